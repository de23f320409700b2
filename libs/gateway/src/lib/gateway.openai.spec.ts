import 'reflect-metadata';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { CHAT_MODEL, EMBED_MODEL, GatewayFixture, OpenAITestServer, json, raw } from '../spec/gateway-fixture';

describe('the gateway with the official openai client', () => {
  const fx = new GatewayFixture();
  const client = () => new OpenAI({ baseURL: `${fx.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
  afterEach(() => fx.close());

  it('answers a chat, streamed and not, with the backend\'s reply and where it was served', async () => {
    await fx.sim({ script: () => 'three little words' });
    await fx.start();
    const whole = await client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(whole.data.choices[0]!.message.content).toBe('three little words');
    expect(whole.data.choices[0]!.finish_reason).toBe('stop');
    expect(whole.data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(whole.response.headers.get('x-flotilla-endpoint')).toBe('sim0');
    expect(whole.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const stream = await client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    let pieces = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.delta.content) pieces++;
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('three little words');
    expect(pieces).toBeGreaterThan(1);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('streams tool calls in OpenAI\'s shape and carries tools, sampling options and response_format to the backend', async () => {
    const sim = await fx.sim({ script: (ctx) => (ctx.tools?.length ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] } : undefined) });
    await fx.start();
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const stream = await client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'weather?' }], tools, stream: true, temperature: 0.2, seed: 7, max_tokens: 50, stop: ['END'], presence_penalty: 0.5 });
    const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      calls.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse(calls[0]!.function!.arguments!)).toEqual({ city: 'Oslo' });
    expect(finish).toBe('tool_calls');
    const body = sim.generationRequests().at(-1)!.body!;
    expect(body['tools']).toHaveLength(1);
    expect(body['options']).toMatchObject({ temperature: 0.2, seed: 7, num_predict: 50, stop: ['END'], presence_penalty: 0.5 });

    const structured = await client().chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'a city' }],
      response_format: { type: 'json_schema', json_schema: { name: 'c', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    });
    expect(JSON.parse(structured.choices[0]!.message.content!)).toHaveProperty('city');
    expect(sim.generationRequests().at(-1)!.body!['format']).toMatchObject({ required: ['city'] });
  });

  it('answers an unknown model, a field it cannot carry and a wrong type with OpenAI\'s errors naming them', async () => {
    await fx.sim();
    await fx.start();
    await expect(client().chat.completions.create({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], logit_bias: { '1': 2 } })).rejects.toMatchObject({
      status: 400,
      param: 'logit_bias',
      type: 'invalid_request_error',
    });
    await expect(client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], n: 2 })).rejects.toMatchObject({ status: 400, param: 'n' });
    const wrong = await raw(fx.url, 'POST', '/v1/chat/completions', json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }));
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body)).toEqual({ error: { message: 'temperature must be a number', type: 'invalid_request_error', param: 'temperature', code: 'badRequest' } });
    const malformed = await raw(fx.url, 'POST', '/v1/chat/completions', '{"model":');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error.message).toMatch(/not valid JSON/);
  });

  it('serves embeddings (the client asks for base64), legacy completions and the fleet\'s models', async () => {
    await fx.sim();
    await fx.start();
    const e = await client().embeddings.create({ model: EMBED_MODEL, input: ['a', 'b'] });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]!.embedding).toHaveLength(16);
    expect(e.data[0]!.embedding.every((v) => Number.isFinite(v))).toBe(true);
    const c = await client().completions.create({ model: CHAT_MODEL, prompt: 'say this' });
    expect(c.choices[0]!.text).toContain('say this');
    const streamed = await client().completions.create({ model: CHAT_MODEL, prompt: 'say this', stream: true });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(c.choices[0]!.text);
    await expect(client().completions.create({ model: CHAT_MODEL, prompt: 'def f(', suffix: 'return 1' })).rejects.toMatchObject({ status: 400, param: 'suffix' });
    const models = await client().models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual([EMBED_MODEL, `${CHAT_MODEL}`].sort());
  });

  it('ends a stream whose backend fails after the first token with an error event, never a clean end', async () => {
    await fx.sim({ faults: [{ contains: 'break', fault: { type: 'drop', afterChunks: 2 } }] });
    await fx.start();
    const stream = await client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'please break after a few words of this' }], stream: true });
    let text = '';
    const read = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })();
    await expect(read).rejects.toMatchObject({ error: { type: 'api_error' } }); // the client's APIError from the error event
    expect(text.length).toBeGreaterThan(0);
    const r = await raw(fx.url, 'POST', '/v1/chat/completions', json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'please break after a few words of this' }], stream: true }));
    const events = r.body.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.at(-1)).toMatch(/^data: \{"error":\{"message":".+","type":"api_error"/);
    expect(r.body).not.toContain('[DONE]');
  });

  it('serves an OpenAI-compatible backend to both clients (OpenAI in, Ollama in)', async () => {
    const server = new OpenAITestServer({ models: [{ id: 'served-model', reply: 'from the openai backend' }], timeScale: 0 });
    await server.start();
    try {
      await fx.start({ endpoints: [{ name: 'oai', kind: 'openai', url: server.baseURL, slots: 2 }] });
      let text = '';
      for await (const chunk of await client().chat.completions.create({ model: 'served-model', messages: [{ role: 'user', content: 'x' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('from the openai backend');
      const viaOllama = await new Ollama({ host: fx.url }).chat({ model: 'served-model', messages: [{ role: 'user', content: 'x' }] });
      expect(viaOllama.message.content).toBe('from the openai backend');
    } finally {
      await fx.close();
      await server.close();
    }
  });

  it('carries tool_choice "required" and a named function to the backend, and refuses a choice it cannot honour', async () => {
    const server = new OpenAITestServer({ models: [{ id: 'served-model', reply: 'plain text' }], timeScale: 0 });
    await server.start();
    try {
      await fx.start({ endpoints: [{ name: 'oai', kind: 'openai', url: server.baseURL, slots: 2 }] });
      const tools = [
        { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string', maxLength: 20 } }, required: ['q'] } } },
        { type: 'function' as const, function: { name: 'other', parameters: { type: 'object', properties: {} } } },
      ];
      const messages = [{ role: 'user' as const, content: 'x' }];
      const forced = await client().chat.completions.create({ model: 'served-model', messages, tools, tool_choice: 'required' });
      expect(forced.choices[0]!.message.tool_calls?.length).toBeGreaterThan(0);
      const named = await client().chat.completions.create({ model: 'served-model', messages, tools, tool_choice: { type: 'function', function: { name: 'other' } } });
      expect(named.choices[0]!.message.tool_calls?.map((c) => (c.type === 'function' ? c.function.name : c.type))).toEqual(['other']);
      const sent = server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => (r.body as { tool_choice?: unknown }).tool_choice);
      expect(sent).toEqual(['required', { type: 'function', function: { name: 'other' } }]);
      const unknownName = await raw(fx.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'served-model', messages, tools, tool_choice: { type: 'function', function: { name: 'nope' } } }));
      expect(unknownName.status).toBe(400);
      expect(unknownName.body).toContain('"param":"tool_choice"');
      const noTools = await raw(fx.url, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'served-model', messages, tool_choice: 'required' }));
      expect(noTools.status).toBe(400);
    } finally {
      await fx.close();
      await server.close();
    }
  });

  it('fails over to another endpoint when the first fails before its first token', async () => {
    const bad = await fx.sim({ faults: [{ fault: { type: 'status', status: 500 } }] });
    const good = await fx.sim();
    await fx.start({ endpoints: [{ name: 'bad', kind: 'ollama', url: bad.url, slots: 4 }, { name: 'good', kind: 'ollama', url: good.url, slots: 1 }] });
    const res = await client().chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    expect(res.data.choices[0]!.message.content).toContain('hello there');
    expect(res.response.headers.get('x-flotilla-endpoint')).toBe('good');
    expect(bad.generationRequests().length).toBeGreaterThanOrEqual(1);
  });
});
