import 'reflect-metadata';
import { FlotillaError } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { Subscription } from 'rxjs';
import { type OllamaSimServer, events, finalOf, fleet, peakConcurrency, startSim, userMessage, waitUntil } from '../spec/sim-fleet';
import type { Fleet } from './create-fleet';

const M = 'qwen3:4b';
const ask = (f: Fleet, text: string, extra: Record<string, unknown> = {}, model = M) =>
  f.router.chat({ model, messages: userMessage(text) }, extra);

describe('FleetRouter over simulated Ollama servers', () => {
  const sims: OllamaSimServer[] = [];
  const fleets: Fleet[] = [];
  const sim = async (o: Parameters<typeof startSim>[0]) => {
    const s = await startSim(o);
    sims.push(s);
    return s;
  };
  const make = (input: Parameters<typeof fleet>[0]) => {
    const f = fleet(input);
    fleets.push(f);
    return f;
  };
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map((f) => f.close()));
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  it('keeps in-flight calls per endpoint and model within its slots and queues the rest', async () => {
    const a = await sim({ models: [M], numParallel: 2 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 2 }] });
    await f.start();
    const finals = await Promise.all(Array.from({ length: 8 }, (_, i) => events(ask(f, `call ${i}`)).then(finalOf)));
    expect(finals).toHaveLength(8);
    expect(peakConcurrency(a.generationRequests())).toBe(2);
    expect(finals.every((x) => x.endpoint === 'a')).toBe(true);
    expect(Math.max(...finals.map((x) => x.timings.queueMs ?? 0))).toBeGreaterThan(0);
    expect(f.router.report().endpoints[0]).toMatchObject({ inFlight: 0, dispatched: 8 });
  });

  it('dispatches queued calls by priority (reviewer before worker), then in arrival order', async () => {
    const a = await sim({ models: [M], numParallel: 1 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }], agents: { urgent: { model: M, priority: 20 } } });
    await f.start();
    const calls = [
      events(ask(f, 'first')),
      events(ask(f, 'worker 1', { priority: 0 })),
      events(ask(f, 'worker 2', { priority: 0 })),
      events(ask(f, 'reviewer', { priority: 10 })),
      events(ask(f, 'configured', { agent: 'urgent', priority: 0 })), // the file's priority wins over the call's
    ];
    await Promise.all(calls);
    const order = a.generationRequests().map((r) => ((r.body?.['messages'] as { content: string }[])[0]!.content));
    expect(order).toEqual(['first', 'configured', 'reviewer', 'worker 1', 'worker 2']);
  });

  it('ages waiting calls (routing.priorityAgingMs): a long wait outranks a higher class that just arrived', async () => {
    // The first call holds the one slot for about 500 ms while the others queue.
    const a = await sim({ models: [M], numParallel: 1, script: (c) => (c.messages[0]?.content === 'first' ? { text: 'a b c d e', intervalMs: 100 } : undefined) });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }], routing: { priorityAgingMs: 100 } });
    await f.start();
    const calls = [events(ask(f, 'first')), events(ask(f, 'old low', { priority: 0 }))];
    await new Promise((r) => setTimeout(r, 300)); // three levels of aging
    calls.push(events(ask(f, 'new high', { priority: 2 })), events(ask(f, 'new higher', { priority: 5 })));
    await Promise.all(calls);
    const order = a.generationRequests().map((r) => ((r.body?.['messages'] as { content: string }[])[0]!.content));
    expect(order).toEqual(['first', 'new higher', 'old low', 'new high']);
  });

  it('announces a cold model with a loading event carrying the learned load time', async () => {
    const a = await sim({ models: [{ name: M, loadMs: 2_000 }], numParallel: 1 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }], routing: { defaultLoadMs: 1_234 } });
    await f.start();
    const first = await events(ask(f, 'cold'));
    expect(first.slice(0, 2)).toEqual([
      { type: 'dispatched', endpoint: 'a', ticket: 0 },
      { type: 'loading', expectedLoadMs: 1_234, endpoint: 'a' },
    ]);
    expect(finalOf(first).timings.loadMs).toBeGreaterThan(1_000);
    const learned = f.router.endpoint('a')!.peekStats(M)!.loadMs.value!;
    expect(learned).toBeGreaterThan(10); // 2 s simulated at timeScale 0.02 = 40 ms real
    const warm = await events(ask(f, 'warm'));
    expect(warm.some((e) => e.type === 'loading')).toBe(false);
    await f.router.endpoint('a')!.client.chat({ model: M, messages: [], options: { keepAlive: 0 } }).toPromise().catch(() => undefined);
    await f.monitor.probeAll(); // /api/ps: unloaded now
    const again = await events(ask(f, 'cold again'));
    expect(again[1]).toEqual({ type: 'loading', expectedLoadMs: Math.round(learned), endpoint: 'a' });
  });

  it('prefers the endpoint that has the model loaded (from /api/ps) over a cold one', async () => {
    const a = await sim({ models: [M] });
    const b = await sim({ models: [M] });
    await new OllamaModelClient({ host: b.url }).warm(M);
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }, { name: 'b', kind: 'ollama', url: b.url }] });
    await f.start();
    expect(finalOf(await events(ask(f, 'hi'))).endpoint).toBe('b');
    expect(a.stats.loads).toBe(0);
  });

  it('routes only to endpoints that list the model and pass the allow-list', async () => {
    const a = await sim({ models: ['other:1b'] });
    const b = await sim({ models: [M, 'other:1b'] });
    const c = await sim({ models: [M] });
    const f = make({
      endpoints: [
        { name: 'a', kind: 'ollama', url: a.url },
        { name: 'b', kind: 'ollama', url: b.url, models: ['other:1b'] },
        { name: 'c', kind: 'ollama', url: c.url },
      ],
    });
    await f.start();
    const finals = await Promise.all([1, 2, 3].map((i) => events(ask(f, `x${i}`)).then(finalOf)));
    expect(finals.map((x) => x.endpoint)).toEqual(['c', 'c', 'c']);
  });

  it('follows the servers\' model lists and loaded state through the health probes', async () => {
    const a = await sim({ models: [M] });
    const b = await sim({ models: [M] });
    await new OllamaModelClient({ host: b.url }).warm(M);
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }, { name: 'b', kind: 'ollama', url: b.url }] });
    await f.start();
    expect(f.router.report().endpoints.map((e) => e.loaded)).toEqual([[], [M]]);
    b.removeModel(M);
    await f.monitor.probeAll();
    expect(f.router.endpoint('b')!.serves(M)).toBe(false);
    expect(finalOf(await events(ask(f, 'hi'))).endpoint).toBe('a');
  });

  it('does not evict a model another endpoint can load without evicting', async () => {
    const a = await sim({ models: [M, 'other:1b'], maxLoadedModels: 1 });
    const b = await sim({ models: [M, 'other:1b'], maxLoadedModels: 2 });
    await new OllamaModelClient({ host: a.url }).warm('other:1b');
    const f = make({
      endpoints: [
        { name: 'a', kind: 'ollama', url: a.url, maxLoadedModels: 1 },
        { name: 'b', kind: 'ollama', url: b.url, maxLoadedModels: 2 },
      ],
    });
    await f.start();
    expect(finalOf(await events(ask(f, 'hi'))).endpoint).toBe('b');
    expect(a.stats.evictions).toBe(0);
  });

  it('keeps num_ctx constant per model so no call forces a reload', async () => {
    const a = await sim({ models: [M], numParallel: 2 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 2 }], routing: { numCtx: { [M]: 2048 } } });
    await f.start();
    await events(f.router.chat({ model: M, messages: userMessage('a'), options: { numCtx: 8192 } }));
    await events(f.router.chat({ model: M, messages: userMessage('b') }));
    expect(a.generationRequests().map((r) => (r.body?.['options'] as { num_ctx?: number })?.num_ctx)).toEqual([2048, 2048]);
    expect(a.stats.reloads).toBe(0);
    expect(await f.router.contextWindow(M)).toBe(2048);
  });

  it('sends a conversation back to the endpoint that served its previous turn while it has a free slot', async () => {
    const a = await sim({ models: [M], numParallel: 2 });
    const b = await sim({ models: [M], numParallel: 2 });
    await Promise.all([a, b].map((s) => new OllamaModelClient({ host: s.url }).warm(M)));
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 2 }, { name: 'b', kind: 'ollama', url: b.url, slots: 2 }] });
    await f.start();
    const first = finalOf(await events(ask(f, 't1', { conversation: 'run-1' }))).endpoint;
    for (let i = 2; i <= 4; i++) expect(finalOf(await events(ask(f, `t${i}`, { conversation: 'run-1' }))).endpoint).toBe(first);
  });

  it('uses the agent\'s fallback model when its model is nowhere available', async () => {
    const a = await sim({ models: [M] });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }], agents: { worker: { model: 'missing:7b', fallbacks: ['also-missing', M] } } });
    await f.start();
    expect(finalOf(await events(ask(f, 'hi', { agent: 'worker' }, 'missing:7b'))).model).toBe(M);
    const labelled = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, labels: ['small'] }], agents: { reviewer: { model: 'big:32b', labels: ['large'], fallbacks: [M] } } });
    await labelled.start();
    // The agent's labels bind its own model; its fallback may run wherever it is.
    expect(finalOf(await events(ask(labelled, 'hi', { agent: 'reviewer' }, 'big:32b'))).model).toBe(M);
    const e = await events(ask(f, 'hi', { agent: 'manager' }, 'missing:7b')).catch((x: unknown) => x);
    expect(FlotillaError.is(e, 'modelNotFound')).toBe(true);
    expect((e as FlotillaError).retryable).toBe(false);
  });

  it('turns a failure before the first token into an immediate failover to another endpoint', async () => {
    const a = await sim({ models: [M], faults: [{ fault: { type: 'status', status: 503 }, times: 1 }] });
    const b = await sim({ models: [M] });
    await new OllamaModelClient({ host: a.url }).warm(M);
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }, { name: 'b', kind: 'ollama', url: b.url }] });
    await f.start();
    const e = (await events(ask(f, 'hi')).catch((x: unknown) => x)) as FlotillaError;
    expect(FlotillaError.is(e, 'overloaded')).toBe(true);
    expect(e.retryable).toBe(true);
    expect(e.details).toMatchObject({ endpoint: 'a', failover: true });
    // The engine retries at once; the router sends the retry elsewhere although a has the model loaded.
    expect(finalOf(await events(ask(f, 'retry'))).endpoint).toBe('b');
  });

  it('fails a call that waited longer than maxQueueMs for a slot as overloaded', async () => {
    const a = await sim({ models: [{ name: M, tokensPerSec: 5 }], numParallel: 1 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }], routing: { maxQueueMs: 30 } });
    await f.start();
    const first = events(ask(f, 'long one'));
    const e = (await events(ask(f, 'waits')).catch((x: unknown) => x)) as FlotillaError;
    expect(FlotillaError.is(e, 'overloaded')).toBe(true);
    expect(e.details).toMatchObject({ model: M, waitedMs: 30 });
    expect(f.router.queued).toBe(0);
    await first;
  });

  it('removes a cancelled call from the queue and cancels one in flight at the server', async () => {
    const a = await sim({ models: [{ name: M, tokensPerSec: 5 }], numParallel: 1 });
    const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }] });
    await f.start();
    const running = new Subscription();
    running.add(ask(f, 'long one').subscribe({ error: () => undefined }));
    const queued = ask(f, 'never sent').subscribe({ error: () => undefined });
    await waitUntil(() => a.activeGenerations === 1, 5_000, 'the first call to start');
    expect(f.router.queued).toBe(1);
    queued.unsubscribe();
    expect(f.router.queued).toBe(0);
    running.unsubscribe();
    await waitUntil(() => a.generationRequests()[0]?.clientDisconnected === true, 5_000, 'the server to see the cancel');
    expect(f.router.report().endpoints[0]!.inFlight).toBe(0);
    expect(a.generationRequests()).toHaveLength(1);
  });
});
