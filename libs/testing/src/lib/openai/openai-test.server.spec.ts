import { OpenAITestServer } from './openai-test.server';
import { faultMarker } from './openai-fault';

async function sse(res: Response): Promise<{ events: string[]; raw: string }> {
  const raw = await res.text();
  const events = raw
    .split('\n\n')
    .filter((e) => e.length > 0)
    .map((e) => e.replace(/^data: /, ''));
  return { events, raw };
}

interface CompletionJson {
  object: string;
  choices: { finish_reason: string; message: { content: string } }[];
}
interface ErrorJson {
  error: Record<string, unknown>;
}
interface EmbeddingsJson {
  data: { embedding: number[] }[];
}
interface Base64EmbeddingsJson {
  data: { embedding: string }[];
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('OpenAITestServer', () => {
  const server = new OpenAITestServer({
    models: ['m1', { id: 'tiny', contextLength: 10, embeddingDimensions: 4 }],
    slots: 2,
    timeScale: 0.01,
  });
  let base = '';

  beforeAll(async () => {
    await server.start();
    base = server.baseURL;
  });
  afterAll(() => server.close());
  afterEach(() => server.clearFaults());

  const chat = (content: string, extra: Record<string, unknown> = {}) =>
    post(`${base}/chat/completions`, { model: 'm1', messages: [{ role: 'user', content }], ...extra });

  it('checks tool turns as OpenAI does: a tool message answers a call of the message before it, every call is answered', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
    const call = { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] };
    const send = (messages: unknown[], extra: Record<string, unknown> = {}) => post(`${base}/chat/completions`, { model: 'm1', messages, tools, ...extra });
    const user = { role: 'user', content: 'hi' };
    const stray = await send([user, { role: 'tool', tool_call_id: 'call_1', content: 'x' }]);
    expect(stray.status).toBe(400);
    expect(((await stray.json()) as ErrorJson).error['message']).toMatch(/must be a response to a preceeding message with 'tool_calls'/);
    const wrongId = await send([user, call, { role: 'tool', tool_call_id: 'call_9', content: 'x' }]);
    expect(((await wrongId.json()) as ErrorJson).error['message']).toMatch(/'call_9' not found/);
    const unanswered = await send([user, call, user]);
    expect(((await unanswered.json()) as ErrorJson).error['message']).toMatch(/did not have response messages: call_1/);
    const answered = (await (await send([user, call, { role: 'tool', tool_call_id: 'call_1', content: 'x' }], { stream: false })).json()) as CompletionJson;
    expect(answered.choices[0]!.finish_reason).toBe('stop');
    // `required` forces a call even after a tool answered; an unknown named tool is refused.
    const forced = (await (await send([user, call, { role: 'tool', tool_call_id: 'call_1', content: 'x' }], { stream: false, tool_choice: 'required' })).json()) as CompletionJson;
    expect(forced.choices[0]!.finish_reason).toBe('tool_calls');
    expect((await send([user], { tool_choice: { type: 'function', function: { name: 'nope' } } })).status).toBe(400);
  });

  it('binds 127.0.0.1 and serves /health, /v1/models and /props', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    const models = (await (await fetch(`${base}/models`)).json()) as { object: string; data: { id: string; max_model_len: number }[] };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => m.id)).toEqual(['m1', 'tiny']);
    const props = (await (await fetch(`${server.url}/props`)).json()) as { default_generation_settings: { n_ctx: number } };
    expect(props.default_generation_settings.n_ctx).toBe(4096);
  });

  it('streams SSE chunks ending in [DONE], usage only with include_usage', async () => {
    const res = await chat('hello there', { stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const { events, raw } = await sse(res);
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !('usage' in c))).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('You said: hello there');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');

    const withUsage = await sse(await chat('hello', { stream: true, stream_options: { include_usage: true } }));
    const last = JSON.parse(withUsage.events.at(-2)!);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('answers JSON when not streaming, honours max_tokens and stop', async () => {
    const body = (await (await chat('abcdefghijklmnop', { max_tokens: 2 })).json()) as CompletionJson;
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.choices[0].message.content).toBe('You said');
    const stopped = (await (await chat('one two', { stop: [' two'] })).json()) as CompletionJson;
    expect(stopped.choices[0].message.content).toBe('You said: one');
  });

  it('streams tool calls with arguments split across chunks', async () => {
    const tools = [{ type: 'function', function: { name: 'find', parameters: { type: 'object', properties: { q: { type: 'string', minLength: 5 } }, required: ['q'], additionalProperties: false } } }];
    const { events } = await sse(await chat('look it up', { stream: true, tools }));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const pieces = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'find' } });
    const args = JSON.parse(pieces.map((p: { function: { arguments: string } }) => p.function.arguments).join(''));
    expect(typeof args.q).toBe('string');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('reports errors in OpenAI bodies: 404 model, 400 context overflow, injected statuses', async () => {
    const missing = await post(`${base}/chat/completions`, { model: 'nope', messages: [] });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorJson).error['type']).toBe('not_found_error');
    const long = await post(`${base}/chat/completions`, { model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(100) }] });
    expect(long.status).toBe(400);
    expect(((await long.json()) as ErrorJson).error).toMatchObject({ type: 'exceed_context_size_error', n_ctx: 10, n_prompt_tokens: 25 });
    expect((await chat(`hi ${faultMarker('http503')}`)).status).toBe(503);
    server.injectFault({ fault: 'http500', model: 'm1', times: 1 });
    expect((await chat('hi')).status).toBe(500);
    expect((await chat('hi')).status).toBe(200);
  });

  it('sends an error event mid-stream and drops connections on request', async () => {
    const { events } = await sse(await chat(`go ${faultMarker('errorMidStream', 2)}`, { stream: true }));
    expect(JSON.parse(events.at(-1)!).error.code).toBe(500);
    await expect(chat(`go ${faultMarker('dropMidStream', 1)}`, { stream: true }).then((r) => r.text())).rejects.toThrow();
  });

  it('records requests without the Authorization value, and client disconnects', async () => {
    server.clearRequests();
    const controller = new AbortController();
    const pending = post(`${base}/chat/completions`, { model: 'm1', messages: [{ role: 'user', content: faultMarker('hang') }] }, { authorization: 'Bearer sk-secret' }).catch(
      () => undefined,
    );
    const aborted = fetch(`${base}/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: faultMarker('hang') }] }),
    }).catch(() => 'aborted');
    await server.waitFor((s) => s.requests.length === 2 && s.requests.every((r) => r.body !== undefined));
    controller.abort();
    expect(await aborted).toBe('aborted');
    await server.waitFor((s) => s.disconnects.length === 1);
    expect(server.requests.map((r) => r.hadAuthorization).sort()).toEqual([false, true]);
    expect(server.disconnects[0]!.hadAuthorization).toBe(false);
    expect(JSON.stringify(server.requests)).not.toContain('sk-secret');
    await server.close();
    await pending;
    await server.start();
    base = server.baseURL;
  });

  it('runs at most `slots` requests at once; the rest wait', async () => {
    const slow = new OpenAITestServer({ slots: 2, latency: { firstTokenMs: 30, perTokenMs: 5 } });
    const url = `${await slow.start()}/v1/chat/completions`;
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => post(url, { model: 'test-model', messages: [{ role: 'user', content: `q${i}` }] }).then((r) => r.json())));
      expect(slow.slotStats.maxInUse).toBe(2);
      expect(slow.requests.filter((r) => r.queued).length).toBeGreaterThan(0);
    } finally {
      await slow.close();
    }
  });

  it('checks the API key when configured', async () => {
    const locked = new OpenAITestServer({ apiKey: 'right' });
    const url = `${await locked.start()}/v1/models`;
    try {
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer right' } })).status).toBe(200);
    } finally {
      await locked.close();
    }
  });

  it('returns deterministic embeddings, as floats or base64', async () => {
    const a = (await (await post(`${base}/embeddings`, { model: 'tiny', input: ['a', 'b'] })).json()) as EmbeddingsJson;
    const b = (await (await post(`${base}/embeddings`, { model: 'tiny', input: 'a', encoding_format: 'base64' })).json()) as Base64EmbeddingsJson;
    expect(a.data).toHaveLength(2);
    expect(a.data[0]!.embedding).toHaveLength(4);
    const decoded = Array.from(new Float32Array(Uint8Array.from(Buffer.from(b.data[0]!.embedding, 'base64')).buffer));
    expect(decoded.map((v) => v.toFixed(5))).toEqual(a.data[0]!.embedding.map((v) => v.toFixed(5)));
  });
});
