import { type ChatEvent, type ChatRequest, type FinalEvent, FlotillaError } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SyntheticModels, writeSyntheticModels } from '../testing/synthetic-models';
import { LlamaCppModelClient } from './llama-cpp.model-client';
import type { LlamaCppEvent } from './llama-cpp.events';

const user = (content: string): ChatRequest['messages'] => [{ role: 'user', content }];
const finalOf = (c: { events: ChatEvent[] }): FinalEvent => {
  const f = c.events.find((e): e is FinalEvent => e.type === 'final');
  if (!f) throw new Error('no final event');
  return f;
};
/**
 * A reply cut at `maxTokens`. node-llama-cpp holds back a last token that could begin a stop
 * sequence ('<' of '<|im_end|>') and drops it when the limit cuts the reply: one less.
 */
const expectCut = (f: FinalEvent, maxTokens: number) => {
  expect(f.finishReason).toBe('length');
  expect(f.usage.completionTokens).toBeLessThanOrEqual(maxTokens);
  expect(f.usage.completionTokens).toBeGreaterThanOrEqual(maxTokens - 1);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('LlamaCppModelClient on synthetic models', () => {
  let models: SyntheticModels;
  let client: LlamaCppModelClient;
  const events: LlamaCppEvent[] = [];

  beforeAll(async () => {
    models = await writeSyntheticModels({
      chat: { seed: 1, stopBias: 2, contextLength: 2048 },
      endless: { seed: 2, stopBias: -30, contextLength: 2048 },
    });
    client = new LlamaCppModelClient({
      models: {
        chat: models.path('chat'),
        endless: { path: models.path('endless'), slots: 2 },
        narrow: { path: models.path('endless'), contextSize: 64, slots: 1 },
        strict: { path: models.path('endless'), slots: 1, maxQueue: 0 },
        gone: join(models.dir, 'gone.gguf'),
      },
    });
    client.events$.subscribe((e) => events.push(e));
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await models?.remove();
  });

  describe('loading', () => {
    it('reports the trained context length from GGUF metadata without loading the model', async () => {
      expect(await client.contextLength('endless')).toBe(2048);
      expect(await client.contextWindow('endless')).toBe(2048);
      expect(await client.contextWindow('narrow')).toBe(64);
      expect(await client.contextWindow('nope')).toBeUndefined();
      expect(client.status().find((s) => s.name === 'endless')?.loaded).toBe(false);
    });

    it('loads on first use: a loading event, then loadMs in the final timings', async () => {
      const c = await collectChat(client.chat({ model: 'chat', messages: user('hello') }));
      expect(c.error).toBeUndefined();
      const loading = c.events.find((e) => e.type === 'loading');
      expect(loading).toMatchObject({ type: 'loading', endpoint: 'embedded' });
      expect(c.events.indexOf(loading!)).toBe(0);
      const t = finalOf(c).timings;
      expect(t.loadMs).toBeGreaterThan(0);
      expect(t.totalMs).toBeGreaterThanOrEqual(t.loadMs!);
      const again = await collectChat(client.chat({ model: 'chat', messages: user('hello') }));
      expect(again.events.some((e) => e.type === 'loading')).toBe(false);
      expect(finalOf(again).timings.loadMs).toBeUndefined();
      expect(client.status().find((s) => s.name === 'chat')).toMatchObject({ loaded: true, loads: 1, contextSize: 2048, freeSequences: 2 });
    });

    it('with tool choice auto, offers the tools through the chat template: the prompt holds their documentation, no warning', async () => {
      const tools = [{ name: 'lookup', description: 'Find a harbour by its city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
      const c = await collectChat(client.chat({ model: 'chat', messages: user('hello'), tools, options: { maxTokens: 4 } }));
      expect(finalOf(c).warnings ?? []).toEqual([]);
      const bare = await client.countPromptTokens({ model: 'chat', messages: user('hello') });
      const offered = await client.countPromptTokens({ model: 'chat', messages: user('hello'), tools });
      expect(finalOf(c).usage.promptTokens).toBe(offered);
      expect(offered).toBeGreaterThan(bare + 'Find a harbour by its city'.length);
      expect(await client.countPromptTokens({ model: 'chat', messages: user('hello'), tools, toolChoice: 'none' })).toBe(bare);
    });

    it('counts prompt tokens with the model tokenizer and chat template, as usage reports them', async () => {
      const messages = [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'Name a harbour.' },
      ];
      const c = await collectChat(client.chat({ model: 'chat', messages }));
      const counted = await client.countPromptTokens({ model: 'chat', messages });
      expect(finalOf(c).usage.promptTokens).toBe(counted);
      // Byte tokens of both texts, the role names and the ChatML specials.
      expect(counted).toBeGreaterThan('Be brief.'.length + 'Name a harbour.'.length + 'system user assistant'.length);
    });

    it('unloads an idle model and loads it again on demand', async () => {
      const idle = new LlamaCppModelClient({ models: { m: { path: models.path('chat'), idleUnloadMs: 100 } } });
      try {
        await collectChat(idle.chat({ model: 'm', messages: user('hi') }));
        expect(idle.status()[0]).toMatchObject({ loaded: true, loads: 1, unloads: 0 });
        await sleep(60);
        expect(idle.status()[0]!.loaded).toBe(true);
        await until(() => !idle.status()[0]!.loaded, 2000);
        expect(idle.status()[0]).toMatchObject({ loaded: false, unloads: 1 });
        const c = await collectChat(idle.chat({ model: 'm', messages: user('hi') }));
        expect(c.events[0]?.type).toBe('loading');
        expect(idle.status()[0]).toMatchObject({ loaded: true, loads: 2 });
      } finally {
        await idle.close();
      }
    });
  });

  describe('sampling', () => {
    it('stops at maxTokens with finishReason "length"', async () => {
      const c = await collectChat(client.chat({ model: 'endless', messages: user('go on'), options: { maxTokens: 17 } }));
      const f = finalOf(c);
      expect(f.finishReason).toBe('length');
      expectCut(f, 17);
      expect(Buffer.byteLength(f.message.content)).toBe(f.usage.completionTokens);
    });

    it('stops at a stop sequence, which the reply leaves out', async () => {
      const stop = [...'aeiouAEIOU0123456789'];
      const c = await collectChat(client.chat({ model: 'endless', messages: user('go on'), options: { maxTokens: 400, stop, seed: 5 } }));
      const f = finalOf(c);
      expect(f.finishReason).toBe('stop');
      for (const s of stop) expect(f.message.content).not.toContain(s);
      expect(c.events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text).join('')).toBe(f.message.content);
    });

    it('is deterministic for a seed, also on a reused sequence (prefix reuse keeps the state right)', async () => {
      const req: ChatRequest = { model: 'endless', messages: user('same question'), options: { seed: 42, temperature: 0.9, topK: 40, topP: 0.95, maxTokens: 30 } };
      const a = finalOf(await collectChat(client.chat(req))).message.content;
      await collectChat(client.chat({ model: 'endless', messages: user('something else entirely'), options: { maxTokens: 30 } }));
      const b = finalOf(await collectChat(client.chat(req))).message.content;
      const c = finalOf(await collectChat(client.chat({ ...req, options: { ...req.options, seed: 43 } }))).message.content;
      expect(b).toBe(a);
      expect(c).not.toBe(a);
    });

    it('keeps output printable ASCII on a printable synthetic model', async () => {
      const c = await collectChat(client.chat({ model: 'endless', messages: user('x'), options: { maxTokens: 200 } }));
      expectCut(finalOf(c), 200);
      expect(finalOf(c).message.content).toMatch(/^[\x20-\x7e]{199,200}$/);
    });
  });

  describe('cancellation and concurrency', () => {
    it('unsubscribing mid-generation aborts it and frees the sequence for the next request', async () => {
      const endless = () => client.status().find((s) => s.name === 'endless')!;
      let deltas = 0;
      const sub = client.chat({ model: 'endless', messages: user('long'), options: { maxTokens: 1900 } }).subscribe((e) => {
        if (e.type === 'delta') deltas++;
      });
      await until(() => deltas >= 20);
      const finished = firstValueFrom(client.events$.pipe(filter((e) => e.type === 'finished' && e.model === 'endless')));
      sub.unsubscribe();
      expect(await finished).toMatchObject({ outcome: 'cancelled', hadSequence: true });
      expect(endless()).toMatchObject({ activeSequences: 0, freeSequences: 2 });
      expect(deltas).toBeLessThan(1900);
      const next = await collectChat(client.chat({ model: 'endless', messages: user('again'), options: { maxTokens: 10 } }));
      expectCut(finalOf(next), 10);
    });

    it('refuses a request beyond the slots and the queue limit as overloaded (retryable)', async () => {
      const busy = client.chat({ model: 'strict', messages: user('busy'), options: { maxTokens: 1900 } }).subscribe({ error: () => undefined });
      try {
        await until(() => client.status().find((s) => s.name === 'strict')!.activeSequences === 1);
        const rejected = await collectChat(client.chat({ model: 'strict', messages: user('no room') }));
        expect(FlotillaError.is(rejected.error, 'overloaded')).toBe(true);
        expect((rejected.error as FlotillaError).retryable).toBe(true);
      } finally {
        busy.unsubscribe();
      }
    });

    it('serves requests on parallel sequences up to the slots, queues the rest, highest priority first', async () => {
      const seen: LlamaCppEvent[] = [];
      const watch = client.events$.pipe(filter((e) => e.model === 'endless')).subscribe((e) => seen.push(e));
      let active = 0;
      let maxActive = 0;
      const track = client.events$.pipe(filter((e) => e.model === 'endless')).subscribe((e) => {
        if (e.type === 'started') maxActive = Math.max(maxActive, ++active);
        if (e.type === 'finished' && e.hadSequence) active--;
      });
      const run = (i: number, priority: number) =>
        collectChat(client.chat({ model: 'endless', messages: user(`request ${i}`), options: { maxTokens: 150 } }, { priority, agent: `r${i}` }));
      try {
        const results = await Promise.all([run(0, 0), run(1, 0), run(2, 0), run(3, 5), run(4, 0)]);
        for (const c of results) expectCut(finalOf(c), 150);
        expect(maxActive).toBe(2);
        const startOrder = seen.filter((e) => e.type === 'started').map((e) => e.agent);
        expect(startOrder.slice(0, 2).sort()).toEqual(['r0', 'r1']);
        expect(startOrder[2]).toBe('r3');
        const queueMs = results.map((c) => finalOf(c).timings.queueMs!);
        expect(Math.min(...queueMs.slice(2))).toBeGreaterThan(Math.max(queueMs[0]!, queueMs[1]!));
        // Overlap: the two running sequences were evaluated together, not one after the other.
        const firstTwoEnds = seen.filter((e) => e.type === 'finished').slice(0, 2).map((e) => e.agent).sort();
        expect(firstTwoEnds).toEqual(['r0', 'r1']);
      } finally {
        watch.unsubscribe();
        track.unsubscribe();
      }
    });
  });

  describe('errors', () => {
    it('an unknown model name is modelNotFound, with a suggestion', async () => {
      const c = await collectChat(client.chat({ model: 'chatt', messages: user('x') }));
      expect(FlotillaError.is(c.error, 'modelNotFound')).toBe(true);
      expect((c.error as Error).message).toContain("did you mean 'chat'");
    });

    it('a configured model whose file is missing is modelNotFound, not retryable', async () => {
      const c = await collectChat(client.chat({ model: 'gone', messages: user('x') }));
      expect(FlotillaError.is(c.error, 'modelNotFound')).toBe(true);
      expect((c.error as FlotillaError).retryable).toBe(false);
      expect((c.error as FlotillaError).details['path']).toContain('gone.gguf');
    });

    it('a prompt longer than the context is contextOverflow, and frees its slot', async () => {
      // llama.cpp rounds a context up to a multiple of 256: 64 asked, 256 given.
      const ok = await collectChat(client.chat({ model: 'narrow', messages: user('short'), options: { maxTokens: 1000 } }));
      expect(ok.error).toBeUndefined();
      const contextSize = client.status().find((s) => s.name === 'narrow')!.contextSize!;
      expect(contextSize).toBe(256);
      expect(finalOf(ok).usage.promptTokens + finalOf(ok).usage.completionTokens).toBeLessThanOrEqual(contextSize + 1);
      const c = await collectChat(client.chat({ model: 'narrow', messages: user('x'.repeat(300)) }));
      expect(FlotillaError.is(c.error, 'contextOverflow')).toBe(true);
      expect((c.error as FlotillaError).details).toMatchObject({ contextSize });
      expect((c.error as FlotillaError).details['promptTokens']).toBeGreaterThan(300);
      expect(client.status().find((s) => s.name === 'narrow')).toMatchObject({ activeSequences: 0, freeSequences: 1 });
    });

    it('images and empty conversations are badRequest', async () => {
      const img = await collectChat(client.chat({ model: 'chat', messages: [{ role: 'user', content: 'see', images: ['aGk='] }] }));
      expect(FlotillaError.is(img.error, 'badRequest')).toBe(true);
      const empty = await collectChat(client.chat({ model: 'chat', messages: [] }));
      expect(FlotillaError.is(empty.error, 'badRequest')).toBe(true);
    });

    it('rejects bad options at construction as config errors', () => {
      expect(() => new LlamaCppModelClient({ models: { a: { path: '' } } })).toThrow(expect.objectContaining({ kind: 'config' }));
      expect(() => new LlamaCppModelClient({ models: {}, slots: -1 })).toThrow(expect.objectContaining({ kind: 'config' }));
    });

    it('a file llama.cpp cannot load is unavailable, not retryable', async () => {
      const bad = join(models.dir, 'bad.gguf');
      await writeFile(bad, 'this is not a GGUF file at all');
      const c2 = new LlamaCppModelClient({ models: { bad } });
      try {
        const c = await collectChat(c2.chat({ model: 'bad', messages: user('x') }));
        expect(FlotillaError.is(c.error, 'unavailable')).toBe(true);
        expect((c.error as FlotillaError).retryable).toBe(false);
        expect(c2.status()[0]).toMatchObject({ loaded: false, activeSequences: 0, queued: 0 });
      } finally {
        await c2.close();
      }
    });

    it('closing fails the running and the queued requests, and frees everything', async () => {
      const c2 = new LlamaCppModelClient({ models: { m: { path: models.path('endless'), slots: 1 } } });
      let deltas = 0;
      const running = new Promise<{ error?: unknown; final: boolean }>((resolve) => {
        let final = false;
        c2.chat({ model: 'm', messages: user('long'), options: { maxTokens: 1900 } }).subscribe({
          next: (e) => {
            if (e.type === 'delta') deltas++;
            if (e.type === 'final') final = true;
          },
          error: (error: unknown) => resolve({ error, final }),
          complete: () => resolve({ final }),
        });
      });
      await until(() => deltas > 5);
      const queued = collectChat(c2.chat({ model: 'm', messages: user('waiting') }));
      await c2.close();
      const [r, q] = await Promise.all([running, queued]);
      expect(FlotillaError.is(q.error, 'unavailable')).toBe(true);
      expect(r.final).toBe(false);
      expect(FlotillaError.is(r.error)).toBe(true);
      expect(c2.activeSequences).toBe(0);
      expect(c2.status()[0]).toMatchObject({ loaded: false });
    });

    it('after close, calls fail as unavailable', async () => {
      const c2 = new LlamaCppModelClient({ models: { m: models.path('chat') } });
      await c2.close();
      const c = await collectChat(c2.chat({ model: 'm', messages: user('x') }));
      expect(FlotillaError.is(c.error, 'unavailable')).toBe(true);
    });
  });

  it('records the lifecycle of every request', () => {
    const ids = new Set(events.filter((e) => e.type === 'queued').map((e) => e.id));
    const finished = new Set(events.filter((e) => e.type === 'finished').map((e) => e.id));
    expect(ids.size).toBeGreaterThan(10);
    expect([...ids].filter((id) => !finished.has(id))).toEqual([]);
  });
});
