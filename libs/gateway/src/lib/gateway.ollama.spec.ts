import 'reflect-metadata';
import { Ollama } from 'ollama';
import { CHAT_MODEL, EMBED_MODEL, GatewayFixture, json, raw } from '../spec/gateway-fixture';

describe('the gateway with the official ollama client', () => {
  const fx = new GatewayFixture();
  const client = () => new Ollama({ host: fx.url });
  afterEach(() => fx.close());

  it('answers chat and generate, streamed and not, and carries options, format, keep_alive and think to the backend', async () => {
    const sim = await fx.sim({ script: (ctx) => (ctx.format ? undefined : 'four small words here') });
    await fx.start();
    const whole = await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0.1, top_k: 5, mirostat: 2 }, keep_alive: '10m', think: false });
    expect(whole.message.content).toBe('four small words here');
    expect(whole.done).toBe(true);
    expect(whole.eval_count).toBeGreaterThan(0);
    const sent = sim.generationRequests().at(-1)!.body!;
    expect(sent['options']).toMatchObject({ temperature: 0.1, top_k: 5, mirostat: 2 });
    expect(sent).toMatchObject({ keep_alive: '10m', think: false });

    let text = '';
    let last: { done: boolean; done_reason?: string } | undefined;
    for await (const part of await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true })) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe('four small words here');
    expect(last).toMatchObject({ done: true, done_reason: 'stop' });

    const gen = await client().generate({ model: CHAT_MODEL, prompt: 'p', system: 's' });
    expect(gen.response).toBe('four small words here');
    expect(sim.generationRequests().at(-1)!.body!['messages']).toEqual([
      { role: 'system', content: 's' },
      { role: 'user', content: 'p' },
    ]);
    let streamed = '';
    for await (const part of await client().generate({ model: CHAT_MODEL, prompt: 'p', stream: true })) streamed += part.response;
    expect(streamed).toBe('four small words here');

    const structured = await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], format: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } });
    expect(JSON.parse(structured.message.content)).toHaveProperty('n');
  });

  it('streams tool calls in Ollama\'s shape', async () => {
    await fx.sim({ script: (ctx) => (ctx.tools?.length ? { toolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }] } : undefined) });
    await fx.start();
    const tools = [{ type: 'function', function: { name: 'add', description: 'adds', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } } }];
    const calls: unknown[] = [];
    for await (const part of await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'add' }], tools, stream: true })) calls.push(...(part.message.tool_calls ?? []));
    expect(calls).toEqual([{ function: { name: 'add', arguments: { a: 1, b: 2 } } }]);
    const whole = await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'add' }], tools });
    expect(whole.message.tool_calls).toEqual([{ function: { name: 'add', arguments: { a: 1, b: 2 } } }]);
  });

  it('lists the fleet\'s models, which are loaded where, shows a model, embeds and says its version', async () => {
    await fx.sim();
    await fx.sim();
    await fx.start();
    await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'load it' }] });
    const tags = await client().list();
    expect(tags.models.map((m) => m.name).sort()).toEqual([EMBED_MODEL, CHAT_MODEL].sort());
    const ps = await client().ps();
    expect(ps.models.map((m) => [m.name, (m as unknown as { endpoint: string }).endpoint])).toEqual([[CHAT_MODEL, expect.stringMatching(/^sim[01]$/)]]);
    const show = await client().show({ model: CHAT_MODEL });
    expect(show.capabilities).toContain('completion');
    const e = await client().embed({ model: EMBED_MODEL, input: ['one', 'two'] });
    expect(e.embeddings).toHaveLength(2);
    expect((await client().version()).version).toMatch(/^\d+\.\d+/);
  });

  it('refuses Ollama-only generate fields, management routes, unknown models and a larger num_ctx in Ollama\'s error shape', async () => {
    await fx.sim();
    await fx.start({ routing: { numCtx: { [CHAT_MODEL]: 4096 } } });
    await expect(client().generate({ model: CHAT_MODEL, prompt: 'def f(', suffix: 'return 1' })).rejects.toMatchObject({ name: 'ResponseError', status_code: 400, error: expect.stringContaining('suffix') });
    await expect(client().generate({ model: CHAT_MODEL, prompt: 'x', raw: true })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining('raw') });
    await expect(client().pull({ model: CHAT_MODEL })).rejects.toMatchObject({ status_code: 501, error: expect.stringContaining('/api/pull') });
    await expect(client().delete({ model: CHAT_MODEL })).rejects.toMatchObject({ status_code: 501, error: expect.stringContaining('/api/delete') });
    await expect(client().chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status_code: 404 });
    await expect(client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], options: { num_ctx: 8192 } })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining('num_ctx 8192') });
    const smaller = await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], options: { num_ctx: 2048 } });
    expect(smaller.done).toBe(true);
    expect(fx.sims[0]!.generationRequests().at(-1)!.body!['options']).toMatchObject({ num_ctx: 4096 });
    const wrong = await raw(fx.url, 'POST', '/api/chat', json({ model: CHAT_MODEL, messages: 'hello' }));
    expect([wrong.status, JSON.parse(wrong.body)]).toEqual([400, { error: 'messages must be an array' }]);
    const unknownField = await raw(fx.url, 'POST', '/api/chat', json({ model: CHAT_MODEL, messages: [], bogus: 1 }));
    expect([unknownField.status, JSON.parse(unknownField.body).error]).toEqual([400, expect.stringContaining('bogus')]);
  });

  it('ends a stream whose backend dies after the first token with an {"error"} line the client throws on', async () => {
    await fx.sim({ faults: [{ contains: 'break', fault: { type: 'drop', afterChunks: 2 } }] });
    await fx.start();
    let text = '';
    const read = (async () => {
      for await (const part of await client().chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'please break after a few words of this' }], stream: true })) text += part.message.content;
    })();
    await expect(read).rejects.toThrow(/sim0|closed|reset|ended|socket|terminated/i);
    expect(text.length).toBeGreaterThan(0);
    const r = await raw(fx.url, 'POST', '/api/chat', json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'please break after a few words of this' }] }).replace('}', ',"stream":true}'));
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ error: expect.any(String) });
    expect(lines.some((l) => l['done'] === true)).toBe(false);
  });
});
