import type { ChatEvent, FinalEvent } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { OllamaSimServer } from '@flotilla/testing';
import { lastValueFrom } from 'rxjs';
import { OllamaModelClient } from './ollama.model-client';
import { nsToMs } from './ollama-response.mapper';

const final = (events: ChatEvent[]) => events.find((e): e is FinalEvent => e.type === 'final')!;

describe('OllamaModelClient against OllamaSimServer', () => {
  const sim = new OllamaSimServer({
    models: [{ name: 'qwen3:4b', loadMs: 1500, contextLength: 40960 }, { name: 'nomic-embed-text', embeddingDims: 12 }, 'llama3.2:1b'],
    numParallel: 2,
    timeScale: 0.01,
  });
  let client: OllamaModelClient;
  let host: string;
  beforeAll(async () => {
    host = await sim.start();
    client = new OllamaModelClient({ host });
  });
  afterAll(() => sim.close());
  const lastBody = () => sim.generationRequests().at(-1)!.body!;

  it('is named after its endpoint', () => {
    expect(client.name).toBe(`ollama@${host.replace('http://', '')}`);
    expect(client.endpoint).toBe(host.replace('http://', ''));
    expect(new OllamaModelClient().name).toBe('ollama@127.0.0.1:11434');
  });

  it('maps every sampling and runner option to Ollama names, and keepAlive to keep_alive', async () => {
    const c = await collectChat(
      client.chat({
        model: 'qwen3:4b',
        messages: [{ role: 'user', content: 'hi' }],
        options: { temperature: 0.2, topP: 0.9, topK: 40, minP: 0.05, seed: 7, maxTokens: 64, stop: ['END'], repeatPenalty: 1.1, numCtx: 4096, numThread: 8, numGpu: 99, numBatch: 256, keepAlive: '10m' },
      }),
    );
    expect(c.error).toBeUndefined();
    expect(lastBody()).toMatchObject({
      model: 'qwen3:4b',
      stream: true,
      keep_alive: '10m',
      options: { temperature: 0.2, top_p: 0.9, top_k: 40, min_p: 0.05, seed: 7, num_predict: 64, stop: ['END'], repeat_penalty: 1.1, num_ctx: 4096, num_thread: 8, num_gpu: 99, num_batch: 256 },
    });
  });

  it('sends providerOptions.ollama as written (its options over the mapped ones), ignoring other providers\'', async () => {
    const c = await collectChat(
      client.chat({
        model: 'qwen3:4b',
        messages: [{ role: 'user', content: 'hi' }],
        options: { temperature: 0.2 },
        providerOptions: { ollama: { options: { mirostat: 2, temperature: 0.5 }, think: false }, openai: { grammar: 'x' } },
      }),
    );
    expect(c.error).toBeUndefined();
    expect(lastBody()).toMatchObject({ think: false, options: { mirostat: 2, temperature: 0.5 } });
    expect(lastBody()).not.toHaveProperty('grammar');
    const final = c.events.find((e) => e.type === 'final');
    expect(final && 'warnings' in final ? final.warnings : undefined).toBeUndefined();
  });

  it('sends the configured headers on every request, never recording Authorization', async () => {
    const withHeaders = new OllamaModelClient({ host, headers: { 'x-team': 'flotilla', Authorization: 'Bearer secret' } });
    await collectChat(withHeaders.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'hi' }] }));
    const rec = sim.generationRequests().at(-1)!;
    expect(rec.headers['x-team']).toBe('flotilla');
    expect(rec.hadAuthorization).toBe(true);
    expect(rec.headers['user-agent']).toMatch(/^flotilla/);
  });

  it('sends no options object when there are none, and the client default keep_alive', async () => {
    const withDefault = new OllamaModelClient({ host, keepAlive: -1 });
    await collectChat(withDefault.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'hi' }] }));
    expect(lastBody()).not.toHaveProperty('options');
    expect(lastBody()['keep_alive']).toBe(-1);
  });

  it('maps messages: images, assistant tool calls with object arguments, tool results with tool_name', async () => {
    await collectChat(
      client.chat({
        model: 'qwen3:4b',
        messages: [
          { role: 'user', content: 'look', images: ['aGVsbG8='] },
          { role: 'assistant', content: '', toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }] },
          { role: 'tool', content: '{"hits":1}', toolName: 'lookup' },
        ],
      }),
    );
    expect(lastBody()['messages']).toEqual([
      { role: 'user', content: 'look', images: ['aGVsbG8='] },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { q: 'x' } } }] },
      { role: 'tool', content: '{"hits":1}', tool_name: 'lookup' },
    ]);
  });

  it('sends format and tools as Ollama expects them', async () => {
    const format = { type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'string' } } };
    const parameters = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };
    await collectChat(client.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], format, tools: [{ name: 'lookup', description: 'find', parameters }] }));
    expect(lastBody()).toMatchObject({ format, tools: [{ type: 'function', function: { name: 'lookup', description: 'find', parameters } }] });
  });

  it('turns ns durations into ms: load, prompt eval and eval from the final chunk, first token and total measured', async () => {
    const c = await collectChat(client.chat({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'one two three' }] }));
    const f = final(c.events);
    expect(f.timings.loadMs).toBe(800);
    expect(f.timings.evalMs).toBeCloseTo((f.usage.completionTokens / 60) * 1000, 3);
    expect(f.timings.promptEvalMs).toBeGreaterThan(0);
    expect(f.timings.firstTokenMs).toBeGreaterThan(0);
    expect(f.timings.totalMs).toBeGreaterThanOrEqual(f.timings.firstTokenMs!);
    const warm = final((await collectChat(client.chat({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'again' }] }))).events);
    expect(warm.timings.loadMs).toBeUndefined();
    expect(nsToMs(1_500_000)).toBe(1.5);
    expect(nsToMs(0)).toBeUndefined();
    expect(nsToMs(undefined)).toBeUndefined();
  });

  it('reports finish reasons: length for num_predict, toolCalls for tool calls', async () => {
    const f = final((await collectChat(client.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'a b c d' }], options: { maxTokens: 2 } }))).events);
    expect(f).toMatchObject({ finishReason: 'length', message: { content: 'This is' }, usage: { completionTokens: 2 } });
    sim.scriptNext({ toolCalls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: {} }] });
    const c = await collectChat(client.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'a', parameters: {} }] }));
    expect(c.events.filter((e) => e.type === 'toolCall')).toHaveLength(2);
    expect(final(c.events)).toMatchObject({ finishReason: 'toolCalls', message: { toolCalls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: {} }] } });
  });

  it('fails a stream with a line that is not JSON as retryable unavailable naming the endpoint, and prints nothing', async () => {
    const printed: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (printed.push(String(chunk)), true)),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (printed.push(String(chunk)), true)),
      ...(['log', 'warn', 'error', 'info', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')))),
    ];
    try {
      sim.scriptNext({ text: 'a b c', fault: { type: 'malformed', afterChunks: 1 } });
      const c = await collectChat(client.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] }));
      expect(c.events.some((e) => e.type === 'final')).toBe(false);
      expect(c.error).toMatchObject({ kind: 'unavailable', retryable: true, details: { endpoint: client.endpoint, malformed: true } });
      expect((c.error as Error).message).toContain(client.endpoint);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(printed).toEqual([]);
  });

  describe('stream: false', () => {
    it('asks for one body and emits one delta, then the final event', async () => {
      const whole = new OllamaModelClient({ host, stream: false });
      const c = await collectChat(whole.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'whole reply' }] }));
      expect(lastBody()['stream']).toBe(false);
      expect(c.events.map((e) => e.type)).toEqual(['delta', 'final']);
      expect(final(c.events)).toMatchObject({ message: { content: 'This is qwen3:4b answering: whole reply' }, finishReason: 'stop' });
      expect(final(c.events).usage.completionTokens).toBeGreaterThan(0);
    });
  });

  describe('extra capabilities', () => {
    it('lists models (GET /api/tags)', async () => {
      const models = await client.listModels();
      expect(models.map((m) => m.name)).toEqual(['qwen3:4b', 'nomic-embed-text:latest', 'llama3.2:1b']);
      expect(models[0]).toMatchObject({ family: 'qwen', parameterSize: '4B', quantization: 'Q4_K_M', sizeBytes: expect.any(Number), digest: expect.any(String) });
    });

    it('warms a model (load only), measures how long it took, then lists it as loaded; keepAlive 0 unloads it', async () => {
      const sim2 = new OllamaSimServer({ models: [{ name: 'cold', loadMs: 3000, size: 4e9, sizeVram: 3e9 }], timeScale: 0.01 });
      const c2 = new OllamaModelClient({ host: await sim2.start() });
      try {
        const warmed = await c2.warm('cold', { keepAlive: '1h', numCtx: 8192 });
        expect(warmed.unloaded).toBe(false);
        expect(warmed.elapsedMs).toBeGreaterThanOrEqual(25); // 3000 ms simulated at timeScale 0.01
        expect(sim2.stats.loads).toBe(1);
        expect(sim2.generationRequests().at(-1)!.body).toMatchObject({ messages: [], keep_alive: '1h', options: { num_ctx: 8192 } });
        const loaded = await c2.loadedModels();
        expect(loaded).toEqual([{ name: 'cold:latest', sizeBytes: 4e9, sizeVramBytes: 3e9, expiresAt: expect.any(Date), contextLength: 8192 }]);
        expect(loaded[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now());
        expect((await c2.warm('cold', { keepAlive: 0 })).unloaded).toBe(true);
        expect(await c2.loadedModels()).toEqual([]);
      } finally {
        await sim2.close();
      }
    });

    it('reports the version', async () => {
      expect(await client.version()).toMatch(/^\d+\.\d+\.\d+$/);
    });

    it('reads the context length from /api/show model_info, once per model', async () => {
      const shows = () => sim.requests.filter((r) => r.path === '/api/show').length;
      const before = shows();
      expect(await client.contextLength('qwen3:4b')).toBe(40960);
      expect(await client.contextLength('qwen3:4b')).toBe(40960);
      expect(shows()).toBe(before + 1);
      await expect(client.contextLength('ghost')).rejects.toMatchObject({ kind: 'modelNotFound' });
    });

    it('reports the window a request gets: numCtx, else the server default, capped at the trained length', async () => {
      expect(await client.contextWindow('qwen3:4b')).toBe(4096);
      expect(await client.contextWindow('qwen3:4b', { numCtx: 16384 })).toBe(16384);
      expect(await client.contextWindow('qwen3:4b', { numCtx: 100_000 })).toBe(40960);
      const wide = new OllamaModelClient({ host: client.endpoint, defaultNumCtx: 8192 });
      expect(await wide.contextWindow('qwen3:4b')).toBe(8192);
      await expect(client.contextWindow('ghost')).rejects.toMatchObject({ kind: 'modelNotFound' });
    });

    it('embeds (EmbeddingClient): one vector per input, in order, with usage', async () => {
      const r = await lastValueFrom(client.embed({ model: 'nomic-embed-text', input: ['alpha', 'beta'], keepAlive: '1m' }));
      expect(r.embeddings).toHaveLength(2);
      expect(r.embeddings[0]).toHaveLength(12);
      expect(r.promptTokens).toBeGreaterThan(0);
      expect(r).toMatchObject({ model: 'nomic-embed-text', endpoint: client.endpoint });
      expect(sim.requests.at(-1)!.body).toMatchObject({ input: ['alpha', 'beta'], keep_alive: '1m' });
      await expect(lastValueFrom(client.embed({ model: 'ghost', input: 'x' }))).rejects.toMatchObject({ kind: 'modelNotFound' });
    });

    it('cancels an embedding when unsubscribed', async () => {
      const sim3 = new OllamaSimServer({ models: [{ name: 'slow-embed', loadMs: 100_000 }], timeScale: 0.01 });
      const c3 = new OllamaModelClient({ host: await sim3.start() });
      try {
        const sub = c3.embed({ model: 'slow-embed', input: 'x' }).subscribe({ error: () => undefined });
        await new Promise((r) => setTimeout(r, 50));
        sub.unsubscribe();
        const until = Date.now() + 2000;
        while (!sim3.requests[0]?.clientDisconnected && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        expect(sim3.requests[0]!.clientDisconnected).toBe(true);
      } finally {
        await sim3.close();
      }
    });
  });
});
