import { FlotillaError, type ChatRequest, type ErrorKind, type FinalEvent } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { faultMarker, OpenAITestServer, type OpenAIFaultName } from '@flotilla/testing';
import Ajv from 'ajv';
import { OpenAICompatibleModelClient } from './index';

const finalOf = (events: { type: string }[]) => events.find((e) => e.type === 'final') as FinalEvent;

describe('OpenAICompatibleModelClient', () => {
  const server = new OpenAITestServer({
    models: ['m', { id: 'small', contextLength: 50 }],
    slots: 2,
    timeScale: 0.02,
  });
  let client: OpenAICompatibleModelClient;
  const ask = (content: string, over: Partial<ChatRequest> = {}): ChatRequest => ({
    model: 'm',
    messages: [{ role: 'user', content }],
    ...over,
  });
  const lastBody = () => server.chatRequests.at(-1)!.body as Record<string, unknown>;

  beforeAll(async () => {
    await server.start();
    client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {} });
  });
  afterAll(() => server.close());
  afterEach(() => server.clearFaults());

  it('is named after the endpoint', () => {
    expect(client.name).toBe(`openai@${new URL(server.url).host}`);
    expect(client.endpoint).toBe(new URL(server.url).host);
  });

  it('streams deltas in order, then one final event with usage from include_usage and timings', async () => {
    const c = await collectChat(client.chat(ask('tell me about tides')));
    expect(c.error).toBeUndefined();
    const deltas = c.events.filter((e) => e.type === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(c.events.at(-1)!.type).toBe('final');
    const final = finalOf(c.events);
    expect(final.message.content).toBe('You said: tell me about tides');
    expect(final.usage).toEqual({ promptTokens: Math.ceil('tell me about tides'.length / 4), completionTokens: deltas.length });
    expect(final.timings.firstTokenMs).toBeLessThanOrEqual(final.timings.totalMs!);
    expect(final.endpoint).toBe(client.endpoint);
    expect(lastBody()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(server.chatRequests.at(-1)!.hadAuthorization).toBe(true);
  });

  it('reports finish reason length when max_tokens cuts the reply', async () => {
    const c = await collectChat(client.chat(ask('a long question here', { options: { maxTokens: 2 } })));
    expect(finalOf(c.events).finishReason).toBe('length');
    expect(lastBody()['max_tokens']).toBe(2);
  });

  it('returns structured output that conforms to a nested schema (ajv)', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['items', 'verdict'],
      properties: {
        items: {
          type: 'array',
          minItems: 1,
          maxItems: 4,
          items: { type: 'object', additionalProperties: false, required: ['name', 'qty'], properties: { name: { type: 'string', maxLength: 12 }, qty: { type: 'integer', minimum: 1, maximum: 9 } } },
        },
        verdict: { type: 'string', enum: ['ok', 'fix'] },
      },
    };
    const validate = new Ajv({ strict: true }).compile(schema);
    for (const seed of [1, 2, 3]) {
      const c = await collectChat(client.chat(ask('list them', { format: schema, options: { seed } })));
      const value: unknown = JSON.parse(finalOf(c.events).message.content);
      expect(validate(value)).toBe(true);
    }
    expect(lastBody()['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  it('assembles tool calls split across chunks, emits them before the final event', async () => {
    server.scriptNext({
      toolCalls: [
        { name: 'weather', arguments: { city: 'Bergen', days: 3, detail: { wind: true } } },
        { name: 'time', arguments: { zone: 'Europe/Oslo' } },
      ],
    });
    const tools = [
      { name: 'weather', parameters: { type: 'object', properties: {} } },
      { name: 'time', parameters: { type: 'object', properties: {} } },
    ];
    const c = await collectChat(client.chat(ask('weather?', { tools })));
    // Each streamed piece is a toolCallDelta as it arrives; the whole calls follow, then the final event.
    expect(c.events.map((e) => e.type)).toEqual([...Array<string>(6).fill('toolCallDelta'), 'toolCall', 'toolCall', 'final']);
    const final = finalOf(c.events);
    expect(final.finishReason).toBe('toolCalls');
    expect(final.message.toolCalls).toEqual([
      { id: expect.any(String), name: 'weather', arguments: { city: 'Bergen', days: 3, detail: { wind: true } } },
      { id: expect.any(String), name: 'time', arguments: { zone: 'Europe/Oslo' } },
    ]);
  });

  it('sends tool results back with the id of the call they answer', async () => {
    const c = await collectChat(
      client.chat({
        model: 'm',
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_9', name: 'weather', arguments: { city: 'Bergen' } }] },
          { role: 'tool', toolName: 'weather', content: 'rain' },
        ],
        tools: [{ name: 'weather', parameters: { type: 'object', properties: {} } }],
      }),
    );
    expect(finalOf(c.events).finishReason).toBe('stop');
    const messages = lastBody()['messages'] as Record<string, unknown>[];
    expect(messages[2]).toEqual({ role: 'tool', content: 'rain', tool_call_id: 'call_9' });
  });

  describe('error mapping', () => {
    const cases: [OpenAIFaultName, ErrorKind, boolean][] = [
      ['http400', 'badRequest', false],
      ['http404', 'modelNotFound', false],
      ['http429', 'overloaded', true],
      ['http503', 'overloaded', true],
      ['http500', 'unavailable', true],
      ['contextOverflow', 'contextOverflow', false],
      ['errorMidStream', 'unavailable', true],
      ['dropMidStream', 'unavailable', true],
      ['endWithoutDone', 'unavailable', true],
      ['malformedSse', 'unavailable', true],
    ];
    it.each(cases)('%s -> %s (retryable %s)', async (fault, kind, retryable) => {
      const c = await collectChat(client.chat(ask(`hello ${faultMarker(fault, 2)}`)));
      expect(c.events.some((e) => e.type === 'final')).toBe(false);
      expect(FlotillaError.is(c.error, kind)).toBe(true);
      expect((c.error as FlotillaError).retryable).toBe(retryable);
      expect((c.error as FlotillaError).details).toMatchObject({ model: 'm', endpoint: client.endpoint });
    });

    it('reports the real overflow of a small context with the server numbers', async () => {
      const c = await collectChat(client.chat(ask('x'.repeat(400), { model: 'small' })));
      expect(FlotillaError.is(c.error, 'contextOverflow')).toBe(true);
      expect((c.error as FlotillaError).details).toMatchObject({ status: 400, type: 'exceed_context_size_error', promptTokens: 100, contextLength: 50 });
    });

    it('reports an unknown model as modelNotFound with status details', async () => {
      const c = await collectChat(client.chat(ask('hi', { model: 'ghost' })));
      expect(FlotillaError.is(c.error, 'modelNotFound')).toBe(true);
      expect((c.error as FlotillaError).details).toMatchObject({ status: 404, type: 'not_found_error', phase: 'request' });
    });

    it('reports a mid-stream failure after the deltas already sent', async () => {
      const c = await collectChat(client.chat(ask(`count to ten ${faultMarker('errorMidStream', 3)}`)));
      expect(c.events.filter((e) => e.type === 'delta')).toHaveLength(3);
      expect((c.error as FlotillaError).details).toMatchObject({ phase: 'stream', reason: 'streamError' });
    });

    it('reports a refused connection as unavailable', async () => {
      const gone = new OpenAITestServer();
      const url = await gone.start();
      await gone.close();
      const c = await collectChat(new OpenAICompatibleModelClient({ baseURL: `${url}/v1`, env: {} }).chat(ask('hi')));
      expect(FlotillaError.is(c.error, 'unavailable')).toBe(true);
      expect((c.error as FlotillaError).retryable).toBe(true);
      expect((c.error as FlotillaError).details).toMatchObject({ reason: 'connection' });
    });

    it('reports a wrong API key as config (not retryable)', async () => {
      const locked = new OpenAITestServer({ apiKey: 'right-key' });
      await locked.start();
      try {
        const wrong = new OpenAICompatibleModelClient({ baseURL: locked.baseURL, env: { OPENAI_API_KEY: 'wrong-key' } });
        const c = await collectChat(wrong.chat({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] }));
        expect(FlotillaError.is(c.error, 'config')).toBe(true);
        expect((c.error as FlotillaError).retryable).toBe(false);
        const right = new OpenAICompatibleModelClient({ baseURL: locked.baseURL, env: { OPENAI_API_KEY: 'right-key' } });
        expect((await collectChat(right.chat({ model: 'test-model', messages: [{ role: 'user', content: 'hi' }] }))).error).toBeUndefined();
      } finally {
        await locked.close();
      }
    });
  });

  describe('cancellation', () => {
    it('an already-aborted signal fails with aborted and sends nothing', async () => {
      const before = server.requests.length;
      const c = await collectChat(client.chat(ask('hi'), { signal: AbortSignal.abort() }));
      expect(FlotillaError.is(c.error, 'aborted')).toBe(true);
      expect(server.requests.length).toBe(before);
    });

    it('unsubscribing mid-stream disconnects, and the server records it', async () => {
      server.scriptNext({ text: 'x'.repeat(200), chunks: 100, intervalMs: 20 });
      const before = server.chatRequests.length;
      let deltas = 0;
      const sub = client.chat(ask('stream slowly')).subscribe({ next: (e) => (deltas += e.type === 'delta' ? 1 : 0), error: () => undefined });
      await server.waitFor(() => deltas >= 2);
      sub.unsubscribe();
      const record = server.chatRequests[before]!;
      await server.waitFor(() => record.clientDisconnected);
      expect(record.completed).toBe(false);
      expect(server.chatRequests).toHaveLength(before + 1);
    });

    it('unsubscribing while queued for a slot frees the place in the queue', async () => {
      const one = new OpenAITestServer({ slots: 1, latency: { firstTokenMs: 0, perTokenMs: 0 } });
      await one.start();
      try {
        const c1 = new OpenAICompatibleModelClient({ baseURL: one.baseURL, env: {} });
        one.scriptNext({ fault: 'trickle', text: 'abcdefgh', chunks: 8, intervalMs: 30 });
        const first = collectChat(c1.chat({ model: 'test-model', messages: [{ role: 'user', content: 'first' }] }));
        await one.waitFor((s) => s.slotStats.inUse === 1);
        const waiting = c1.chat({ model: 'test-model', messages: [{ role: 'user', content: 'second' }] }).subscribe({ error: () => undefined });
        await one.waitFor((s) => s.slotStats.queued === 1);
        waiting.unsubscribe();
        await one.waitFor((s) => s.slotStats.queued === 0 && s.disconnects.length === 1);
        expect((await first).error).toBeUndefined();
      } finally {
        await one.close();
      }
    });
  });

  it('runs concurrent calls against slots: never more than the slots at once, all complete', async () => {
    const pool = new OpenAITestServer({ slots: 2, latency: { firstTokenMs: 40, perTokenMs: 2 } });
    await pool.start();
    try {
      const c = new OpenAICompatibleModelClient({ baseURL: pool.baseURL, env: {} });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => collectChat(c.chat({ model: 'test-model', messages: [{ role: 'user', content: `question ${i}` }] }))),
      );
      results.forEach((r, i) => expect(finalOf(r.events).message.content).toBe(`You said: question ${i}`));
      expect(pool.slotStats.maxInUse).toBe(2);
      expect(pool.chatRequests.filter((r) => r.queued).length).toBeGreaterThanOrEqual(3);
    } finally {
      await pool.close();
    }
  });
});
