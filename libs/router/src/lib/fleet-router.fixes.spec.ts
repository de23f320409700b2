import 'reflect-metadata';
import { Agent, type ChatEvent, type FlotillaAgent, FlotillaError, createFlotilla, defineChain, step } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the OpenAI-compatible test server
import { ConnectionCountingProxy, HostileServer, OpenAITestServer } from '@flotilla/testing';
import type { Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { ManualModelClient } from '../spec/manual.model-client';
import { type OllamaSimServer, events, finalOf, fleet, freePort, startSim, userMessage, waitUntil } from '../spec/sim-fleet';
import { EndpointSchema } from './config/router-config.schema';
import type { Fleet } from './create-fleet';
import { EndpointState } from './endpoints/endpoint-state';
import { FleetRouter } from './fleet-router';

describe('FleetRouter fixes', () => {
  const closers: (() => Promise<void>)[] = [];
  const sim = async (o: Parameters<typeof startSim>[0]) => {
    const s = await startSim(o);
    closers.push(() => s.close());
    return s;
  };
  const make = (input: Parameters<typeof fleet>[0]): Fleet => {
    const f = fleet(input);
    closers.push(() => f.close());
    return f;
  };
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  describe('one name per model per endpoint kind', () => {
    it('Ollama: an untagged name and its :latest are one model (learned speed, loaded state)', async () => {
      const a = await sim({ models: ['qwen3'] });
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }] });
      await f.start();
      await events(f.router.chat({ model: 'qwen3', messages: userMessage('one') }));
      await events(f.router.chat({ model: 'qwen3:latest', messages: userMessage('two') }));
      await events(f.router.chat({ model: 'qwen3', messages: userMessage('three') }));
      const e = f.router.endpoint('a')!;
      expect(e.peekStats('qwen3')).toBe(e.peekStats('qwen3:latest'));
      expect(e.peekStats('qwen3')!.serviceMs.count).toBe(2); // the first call was a cold load
      expect(f.router.report().endpoints[0]!.loaded).toEqual(['qwen3:latest']);
    });

    it('Ollama: after a 404 for an untagged name the server is not asked for it again', async () => {
      const a = await sim({ models: ['mistral'] });
      const b = await sim({ models: ['mistral'] });
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }, { name: 'b', kind: 'ollama', url: b.url }], routing: { healthIntervalMs: 0 } });
      await f.start();
      a.removeModel('mistral:latest');
      const failed = (await events(f.router.chat({ model: 'mistral', messages: userMessage('x') })).catch((e: unknown) => e)) as FlotillaError;
      expect(failed).toMatchObject({ kind: 'modelNotFound', retryable: true, details: { endpoint: 'a', failover: true } });
      expect(f.router.endpoint('a')!.serves('mistral')).toBe(false);
      expect(f.router.endpoint('a')!.serves('mistral:latest')).toBe(false);
      const finals = await Promise.all([1, 2, 3].map((i) => events(f.router.chat({ model: 'mistral', messages: userMessage(`y${i}`) })).then(finalOf)));
      expect(finals.map((x) => x.endpoint)).toEqual(['b', 'b', 'b']);
      expect(a.generationRequests()).toHaveLength(1);
    });

    it('OpenAI-compatible: ids are kept as the server lists them (no :latest), and learned under that name', async () => {
      const server = new OpenAITestServer({ models: ['my-alias'], timeScale: 0.02 });
      await server.start();
      closers.push(() => server.close());
      const f = make({ endpoints: [{ name: 'llama', kind: 'openai', url: server.baseURL }] });
      await f.start();
      await events(f.router.chat({ model: 'my-alias', messages: userMessage('one') }));
      await events(f.router.chat({ model: 'my-alias', messages: userMessage('two') }));
      const e = f.router.endpoint('llama')!;
      expect(e.peekStats('my-alias')!.serviceMs.count + e.peekStats('my-alias')!.loadMs.count).toBe(2);
      expect(e.available).toEqual(new Set(['my-alias']));
      expect(e.serves('my-alias:latest')).toBe(false);
      await expect(events(f.router.chat({ model: 'my-alias:latest', messages: userMessage('x') }))).rejects.toMatchObject({ kind: 'modelNotFound' });
    });
  });

  describe('circuit breakers', () => {
    it('a refused connection opens an OpenAI-compatible endpoint\'s circuit at once, as it does an Ollama one\'s', async () => {
      const [p1, p2] = [await freePort(), await freePort()];
      const f = make({
        endpoints: [
          { name: 'oa', kind: 'openai', url: `http://127.0.0.1:${p1}/v1` },
          { name: 'ol', kind: 'ollama', url: `http://127.0.0.1:${p2}` },
        ],
        routing: { healthIntervalMs: 0 },
      });
      const e1 = (await events(f.router.chat({ model: 'm', messages: userMessage('x') })).catch((e: unknown) => e)) as FlotillaError;
      const e2 = (await events(f.router.chat({ model: 'm', messages: userMessage('x') })).catch((e: unknown) => e)) as FlotillaError;
      expect([e1.details['endpoint'], e2.details['endpoint']].sort()).toEqual(['oa', 'ol']);
      for (const e of [e1, e2]) expect(e).toMatchObject({ kind: 'unavailable', details: { code: 'ECONNREFUSED', failover: true } });
      expect(f.router.report().endpoints.map((e) => e.circuit)).toEqual(['open', 'open']);
    });

    it('a server that answers its probe is eligible at once; failed probes do not restart the cooldown', async () => {
      const port = await freePort();
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: `http://127.0.0.1:${port}` }], routing: { healthIntervalMs: 0, cooldownMs: 10_000 } });
      const e = f.router.endpoint('a')!;
      await f.monitor.probe(e);
      expect(e.breaker.state).toBe('open');
      const retryAt = e.breaker.retryAt;
      await new Promise((r) => setTimeout(r, 20));
      await f.monitor.probe(e);
      expect(e.breaker.retryAt).toBe(retryAt);
      const a = await sim({ port, models: ['m'] });
      expect(await f.monitor.probe(e)).toBe(true);
      expect(e.breaker.state).toBe('closed');
      expect(finalOf(await events(f.router.chat({ model: 'm', messages: userMessage('x') }))).endpoint).toBe('a');
      expect(a.generationRequests()).toHaveLength(1);
    });

    it('with the default 5 s probe interval, a restarted server is used again within one interval', async () => {
      const port = await freePort();
      let a: OllamaSimServer = await sim({ port, models: ['m'] });
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url }] });
      await f.start();
      await a.close();
      await expect(events(f.router.chat({ model: 'm', messages: userMessage('x') }))).rejects.toMatchObject({ kind: 'unavailable' });
      expect(f.router.endpoint('a')!.breaker.state).toBe('open');
      a = await sim({ port, models: ['m'] });
      const restarted = Date.now();
      await waitUntil(() => f.router.endpoint('a')!.breaker.state === 'closed', 7_000, 'the circuit to close');
      expect(Date.now() - restarted).toBeLessThanOrEqual(5_000 + 250);
      expect(finalOf(await events(f.router.chat({ model: 'm', messages: userMessage('x') }))).endpoint).toBe('a');
    }, 15_000);

    it('every endpoint down on its configuration: the error is config and names the unset API key variable', async () => {
      const server = new OpenAITestServer({ models: ['m'], apiKey: 'the-key' });
      await server.start();
      closers.push(() => server.close());
      const f = createFleetWithEnv({ endpoints: [{ name: 'gpu', kind: 'openai', url: server.baseURL, apiKeyEnv: 'GPU1_KEY' }] }, {});
      closers.push(() => f.close());
      await f.start();
      const error = (await events(f.router.chat({ model: 'm', messages: userMessage('x') })).catch((e: unknown) => e)) as FlotillaError;
      expect(error).toMatchObject({ kind: 'config', retryable: false });
      expect(error.message).toContain('GPU1_KEY is not set');
      const ok = createFleetWithEnv({ endpoints: [{ name: 'gpu', kind: 'openai', url: server.baseURL, apiKeyEnv: 'GPU1_KEY' }] }, { GPU1_KEY: 'the-key' });
      closers.push(() => ok.close());
      await ok.start();
      expect(finalOf(await events(ok.router.chat({ model: 'm', messages: userMessage('x') }))).endpoint).toBe('gpu');
    });
  });

  describe('context-window lookups', () => {
    @Agent({ name: 'looker', model: 'm', retries: 2, timeouts: { firstTokenMs: 600, stallMs: 600, totalMs: 2_000 } })
    class Looker implements FlotillaAgent<string, string> {
      prompt(input: string) {
        return [{ role: 'user' as const, content: input }];
      }
    }
    const hostile = async () => {
      const h = await HostileServer.start({ mode: 'blackHole' });
      closers.push(() => h.close());
      return h;
    };

    it('a black hole beside a healthy endpoint (no probe has run yet) costs at most one first-token deadline', async () => {
      const hole = await hostile();
      const a = await sim({ models: [{ name: 'm', loadMs: 0 }] });
      const f = make({
        endpoints: [
          { name: 'hole', kind: 'ollama', url: hole.url },
          { name: 'healthy', kind: 'ollama', url: a.url },
        ],
        routing: { healthIntervalMs: 0, probeTimeoutMs: 200, defaultLoadMs: 0 },
      });
      const started = performance.now();
      const result = await createFlotilla({ client: f.router, agents: [Looker] }).run(defineChain('l', step.call('looker')), 'hi').result;
      expect(result.error).toBeUndefined();
      expect(result.steps[0]!.call!.endpoint).toBe('healthy');
      expect(performance.now() - started).toBeLessThan(600);
      expect(hole.connections).toBeGreaterThan(0); // asked, and blamed for not answering
      expect(f.router.endpoint('hole')!.lastError).toMatchObject({ kind: 'timeout', details: { endpoint: 'hole', limitMs: 200 } });
      expect(f.router.endpoint('hole')!.dispatched).toBe(0);
    });

    it('skips endpoints whose circuit is open, and rejects (so nothing is cached) when every one asked failed', async () => {
      const hole = await hostile();
      const a = await sim({ models: [{ name: 'm', contextLength: 8192 }] });
      const f = make({
        endpoints: [
          { name: 'hole', kind: 'ollama', url: hole.url },
          { name: 'healthy', kind: 'ollama', url: a.url },
        ],
        routing: { healthIntervalMs: 0, probeTimeoutMs: 200 },
      });
      f.router.endpoint('hole')!.breaker.trip();
      expect(await f.router.contextWindow('m', { numCtx: 100_000 })).toBe(8192);
      expect(hole.connections).toBe(0);
      const alone = make({ endpoints: [{ name: 'hole', kind: 'ollama', url: hole.url }], routing: { healthIntervalMs: 0, probeTimeoutMs: 200 } });
      await expect(alone.router.contextWindow('m')).rejects.toMatchObject({ kind: 'timeout', details: { endpoint: 'hole' } });
    });
  });

  describe('queue time and deadlines', () => {
    @Agent({ name: 'quick', model: 'm', retries: 0, timeouts: { firstTokenMs: 300, stallMs: 300, totalMs: 1_000 } })
    class Quick implements FlotillaAgent<string, string> {
      prompt(input: string) {
        return [{ role: 'user' as const, content: input }];
      }
    }
    const runQuick = (f: Fleet, text: string) =>
      createFlotilla({ client: f.router, agents: [Quick] }).run(defineChain('q', step.call('quick')), text).result;

    it('waiting for a slot longer than the first-token deadline is fine: deadlines start at dispatch', async () => {
      const a = await sim({ models: [{ name: 'm', loadMs: 0 }], timeScale: 1 });
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }], routing: { defaultLoadMs: 0 } });
      await f.start();
      a.scriptNext({ text: 'a b c d e f g h', intervalMs: 100 }); // ~800 ms, tokens every 100 ms
      const first = runQuick(f, 'long');
      await waitUntil(() => f.router.endpoint('a')!.inFlight === 1, 2_000, 'the first call to run');
      const second = await runQuick(f, 'short');
      expect(second.error).toBeUndefined();
      expect(second.status).toBe('succeeded');
      expect(second.steps[0]!.call!.timings.queueMs).toBeGreaterThan(300);
      expect((await first).status).toBe('succeeded');
    });

    it('routing.maxQueueMs bounds the wait: overloaded, naming the setting', async () => {
      const a = await sim({ models: ['m'], timeScale: 1 });
      const f = make({ endpoints: [{ name: 'a', kind: 'ollama', url: a.url, slots: 1 }], routing: { maxQueueMs: 200 } });
      await f.start();
      a.scriptNext({ text: 'a b c d e f', intervalMs: 100 });
      const first = events(f.router.chat({ model: 'm', messages: userMessage('long') }));
      await waitUntil(() => f.router.endpoint('a')!.inFlight === 1, 2_000, 'the first call to run');
      const started = Date.now();
      const seen: ChatEvent[] = [];
      const error = await new Promise<unknown>((resolve) => f.router.chat({ model: 'm', messages: userMessage('short') }).subscribe({ next: (e) => seen.push(e), error: resolve, complete: () => resolve(undefined) }));
      expect(error).toMatchObject({ kind: 'overloaded' });
      expect((error as Error).message).toContain('routing.maxQueueMs');
      expect(seen).toEqual([{ type: 'queued', ticket: 1 }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(2 * 200);
      await first;
      expect(f.router.queued).toBe(0);
    });

    it('has a finite default for routing.maxQueueMs', () => {
      expect(make({ endpoints: [{ name: 'a', kind: 'ollama', url: 'http://127.0.0.1:1' }] }).router.routing.maxQueueMs).toBe(120_000);
    });
  });

  describe('retries', () => {
    const manualFleet = (n: number, slots = 1) => {
      const clients = Array.from({ length: n }, (_, i) => new ManualModelClient(`e${i}`));
      const endpoints = clients.map((c, i) => new EndpointState(EndpointSchema.parse({ name: `e${i}`, kind: 'fixture', cassettes: ['x.json'], slots }), c));
      return { clients, endpoints, router: new FleetRouter({ endpoints }) };
    };
    const subs: Subscription[] = [];
    afterEach(() => subs.splice(0).forEach((s) => s.unsubscribe()));
    const call = (router: FleetRouter, text: string, options = {}) => {
      const seen: ChatEvent[] = [];
      const out = { seen, error: undefined as unknown };
      subs.push(router.chat({ model: 'm', messages: userMessage(text) }, options).subscribe({ next: (e) => seen.push(e), error: (e) => (out.error = e) }));
      return out;
    };

    it('a retry keeps its place: it goes ahead of calls that arrived after the original', () => {
      const { clients, router } = manualFleet(1);
      const c = clients[0]!;
      const original = call(router, 'original');
      const later1 = call(router, 'later 1');
      const later2 = call(router, 'later 2');
      expect(original.seen[0]).toEqual({ type: 'dispatched', endpoint: 'e0', ticket: 0 });
      expect(later1.seen).toEqual([{ type: 'queued', ticket: 1 }]);
      c.fail(c.open[0]!, new FlotillaError('unavailable', 'dropped', { details: { streaming: true } }));
      expect(c.open.map((x) => x.request.messages[0]!.content)).toEqual(['later 1']);
      call(router, 'original, retried', { retry: { ticket: 0, endpoint: 'e0', kind: 'unavailable' } });
      c.complete(c.open[0]!);
      expect(c.open.map((x) => x.request.messages[0]!.content)).toEqual(['original, retried']);
      c.complete(c.open[0]!);
      expect(c.open.map((x) => x.request.messages[0]!.content)).toEqual(['later 2']);
      expect(later2.seen.at(-1)).toEqual({ type: 'dispatched', endpoint: 'e0', ticket: 2 });
    });

    it('a retry prefers another endpoint than the one its last attempt failed on', () => {
      const { clients, router } = manualFleet(2);
      for (let i = 0; i < 4; i++) {
        const first = call(router, `try ${i}`);
        const { endpoint, ticket } = first.seen[0] as { endpoint: string; ticket: number };
        subs.pop()!.unsubscribe(); // the engine's first-token deadline ended the attempt
        const retried = call(router, `try ${i}, retried`, { retry: { ticket, endpoint, kind: 'timeout' } });
        expect(retried.seen[0]).toMatchObject({ type: 'dispatched', endpoint: endpoint === 'e0' ? 'e1' : 'e0', ticket });
        for (const c of clients) for (const x of c.open) c.complete(x);
      }
    });

    it('an engine timeout (which the router cannot see) counts against the endpoint it happened on', () => {
      const { clients, endpoints, router } = manualFleet(2);
      for (let i = 0; i < 3; i++) {
        call(router, `retry ${i}`, { retry: { endpoint: 'e0', kind: 'timeout' } });
        for (const c of clients) for (const x of c.open) c.complete(x);
      }
      expect(endpoints[0]!.breaker.state).toBe('open');
      expect(endpoints[1]!.breaker.state).toBe('closed');
      // Other failures the engine retries were already counted by the router itself: not again.
      call(router, 'after a failure', { retry: { endpoint: 'e1', kind: 'unavailable' } });
      expect(endpoints[1]!.breaker.state).toBe('closed');
    });

    it('a mid-stream failure counts against the endpoint\'s breaker', () => {
      const { clients, endpoints, router } = manualFleet(1);
      for (let i = 0; i < 3; i++) {
        call(router, `x${i}`);
        const c = clients[0]!.open[0]!;
        clients[0]!.token(c);
        clients[0]!.fail(c, new FlotillaError('unavailable', 'broke off'));
      }
      expect(endpoints[0]!.breaker.state).toBe('open');
    });
  });

  it('fleet.close() closes every kept-alive connection at once', async () => {
    const a = await sim({ models: ['m'] });
    const server = new OpenAITestServer({ models: ['o'] });
    await server.start();
    closers.push(() => server.close());
    const open = new Set<Socket>();
    const proxy = async (target: string) => {
      const p = await ConnectionCountingProxy.start(target, open);
      closers.push(() => p.close());
      return p.url;
    };
    const f = fleet({
      endpoints: [
        { name: 'ol', kind: 'ollama', url: await proxy(a.url) },
        { name: 'oa', kind: 'openai', url: `${await proxy(server.url)}/v1` },
      ],
    });
    await f.start();
    await events(f.router.chat({ model: 'm', messages: userMessage('x') }));
    await events(f.router.chat({ model: 'o', messages: userMessage('x') }));
    expect(open.size).toBeGreaterThanOrEqual(2);
    await f.close();
    await waitUntil(() => open.size === 0, 1_000, 'every connection to close');
  });
});

import { RouterConfigSchema, type RouterConfigInput } from './config/router-config.schema';
import { createFleetFromConfig } from './create-fleet';

function createFleetWithEnv(input: RouterConfigInput, env: NodeJS.ProcessEnv): Fleet {
  return createFleetFromConfig(RouterConfigSchema.parse(input), { env });
}
