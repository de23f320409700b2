import type { ChatMessage, ChatRequest } from '@flotilla/core';
import fc from 'fast-check';
import { toChatParams, toOpenAIMessages } from './to-openai-request';

describe('toChatParams', () => {
  const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  it('always streams and asks for usage', () => {
    expect(toChatParams(base).params).toMatchObject({ model: 'm', stream: true, stream_options: { include_usage: true } });
  });

  it('maps sampling options, with top_k / min_p / repeat penalty as extra body fields', () => {
    const { params } = toChatParams({
      ...base,
      options: { temperature: 0.2, topP: 0.9, seed: 7, maxTokens: 64, stop: ['END'], topK: 40, minP: 0.05, repeatPenalty: 1.1 },
    });
    expect(params).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      max_tokens: 64,
      stop: ['END'],
      top_k: 40,
      min_p: 0.05,
      repeat_penalty: 1.1,
      repetition_penalty: 1.1,
    });
  });

  it('does not send runner options (Ollama-only), and says so in one warning each', () => {
    const { params, warnings } = toChatParams({ ...base, options: { numCtx: 8192, keepAlive: '5m', numThread: 2, numGpu: 1, numBatch: 64 } });
    const json = JSON.stringify(params);
    for (const key of ['num_ctx', 'numCtx', 'keep_alive', 'keepAlive', 'num_thread', 'numThread', 'num_gpu', 'num_batch']) {
      expect(json).not.toContain(key);
    }
    expect(warnings.map((w) => w.option)).toEqual(['numCtx', 'keepAlive', 'numThread', 'numGpu', 'numBatch']);
    expect(warnings[0]).toMatchObject({ type: 'unsupported-option', provider: 'openai', message: expect.stringContaining('numCtx is not sent') });
    expect(toChatParams({ ...base, options: { temperature: 0.1 } }).warnings).toEqual([]);
  });

  it('passes its own provider options into the body as written, and ignores other providers\'', () => {
    const { params } = toChatParams({
      ...base,
      options: { temperature: 0.1 },
      providerOptions: { openai: { grammar: 'root ::= "yes"', temperature: 0.3, cache_prompt: true }, ollama: { think: false } },
    });
    expect(params).toMatchObject({ grammar: 'root ::= "yes"', temperature: 0.3, cache_prompt: true });
    expect(JSON.stringify(params)).not.toContain('think');
  });

  it('sends the format as a strict json_schema named after a cleaned title', () => {
    const schema = { title: 'Review result!', type: 'object', properties: {}, required: [], additionalProperties: false };
    expect(toChatParams({ ...base, format: schema }).params.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'Review_result_', schema, strict: true },
    });
    expect(toChatParams({ ...base, format: { type: 'object' } }).params.response_format).toMatchObject({ json_schema: { name: 'output' } });
  });

  it('sends tools as functions', () => {
    const { params } = toChatParams({ ...base, tools: [{ name: 'find', description: 'Find', parameters: { type: 'object' } }] });
    expect(params.tools).toEqual([{ type: 'function', function: { name: 'find', description: 'Find', parameters: { type: 'object' } } }]);
  });
});

describe('toOpenAIMessages', () => {
  it('stringifies tool-call arguments and links tool results to call ids by name', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_a', name: 'weather', arguments: { city: 'Oslo' } },
          { id: 'call_b', name: 'time', arguments: {} },
        ],
      },
      { role: 'tool', toolName: 'time', content: '12:00' },
      { role: 'tool', toolName: 'weather', content: 'rain' },
    ];
    const out = toOpenAIMessages(messages);
    expect(out[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_b', type: 'function', function: { name: 'time', arguments: '{}' } },
      ],
    });
    expect(out[2]).toEqual({ role: 'tool', content: '12:00', tool_call_id: 'call_b' });
    expect(out[3]).toEqual({ role: 'tool', content: 'rain', tool_call_id: 'call_a' });
  });

  it('links a tool result to the call named by toolCallId, even when one tool is called twice', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'weather in two cities?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_oslo', name: 'weather', arguments: { city: 'Oslo' } },
          { id: 'call_rome', name: 'weather', arguments: { city: 'Rome' } },
        ],
      },
      { role: 'tool', toolName: 'weather', toolCallId: 'call_rome', content: 'sun' },
      { role: 'tool', toolName: 'weather', content: 'rain' },
    ];
    const out = toOpenAIMessages(messages);
    expect(out[2]).toEqual({ role: 'tool', content: 'sun', tool_call_id: 'call_rome' });
    expect(out[3]).toEqual({ role: 'tool', content: 'rain', tool_call_id: 'call_oslo' });
  });

  it('sends images as data URLs in content parts', () => {
    const out = toOpenAIMessages([{ role: 'user', content: 'what is this?', images: ['/9j/4AAQ', 'iVBORw0K'] }]);
    expect(out[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0K' } },
      ],
    });
  });

  it('gives every tool result the id of an earlier call (property)', () => {
    const names = fc.constantFrom('a', 'b', 'c');
    fc.assert(
      fc.property(fc.array(names, { minLength: 1, maxLength: 5 }), fc.boolean(), (calls, withIds) => {
        const messages: ChatMessage[] = [
          { role: 'assistant', content: '', toolCalls: calls.map((name, i) => ({ ...(withIds ? { id: `id${i}` } : {}), name, arguments: {} })) },
          ...[...calls].reverse().map((name): ChatMessage => ({ role: 'tool', toolName: name, content: name })),
        ];
        const out = toOpenAIMessages(messages) as { role: string; tool_calls?: { id: string }[]; tool_call_id?: string }[];
        const ids = out[0]!.tool_calls!.map((c) => c.id);
        const answered = out.slice(1).map((m) => m.tool_call_id!);
        expect([...answered].sort()).toEqual([...ids].sort());
      }),
      { numRuns: 100 },
    );
  });
});
