import { OllamaSimServer } from './ollama-sim.server';
import { post } from './sim-test.helpers';

function sse(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

describe('OllamaSimServer: OpenAI-compatible /v1 surface', () => {
  const sim = new OllamaSimServer({ models: ['qwen3:4b'], timeScale: 0.01 });
  let url: string;
  beforeAll(async () => {
    url = await sim.start();
  });
  afterAll(() => sim.close());

  it('lists models', async () => {
    expect(await (await fetch(`${url}/v1/models`)).json()).toEqual({
      object: 'list',
      data: [{ id: 'qwen3:4b', object: 'model', created: expect.any(Number), owned_by: 'library' }],
    });
  });

  it('streams SSE chunks ending with [DONE], usage only when asked', async () => {
    const body = { model: 'qwen3:4b', stream: true, messages: [{ role: 'user', content: 'hello sea' }] };
    const plain = await post(`${url}/v1/chat/completions`, body);
    expect(plain.headers.get('content-type')).toBe('text/event-stream');
    const events = sse(plain.text);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown }[];
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('This is qwen3:4b answering: hello sea');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);
    const withUsage = sse((await post(`${url}/v1/chat/completions`, { ...body, stream_options: { include_usage: true } })).text);
    expect(withUsage.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: 6, total_tokens: expect.any(Number) } });
  });

  it('answers non-streaming with a chat.completion, honouring response_format json_schema and max_tokens', async () => {
    const schema = { type: 'object', additionalProperties: false, required: ['ok'], properties: { ok: { type: 'boolean' } } };
    const r = JSON.parse(
      (await post(`${url}/v1/chat/completions`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'r', schema } } })).text,
    );
    expect(r).toMatchObject({ object: 'chat.completion', choices: [{ finish_reason: 'stop', message: { role: 'assistant' } }], usage: { completion_tokens: 1 } });
    expect(typeof JSON.parse(r.choices[0].message.content).ok).toBe('boolean');
    const short = JSON.parse((await post(`${url}/v1/chat/completions`, { model: 'qwen3:4b', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] })).text);
    expect(short.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'This is' } });
  });

  it('sends tool calls with string arguments and finish_reason tool_calls', async () => {
    sim.scriptNext({ toolCalls: [{ name: 'f', arguments: { a: 1 } }] });
    const r = JSON.parse((await post(`${url}/v1/chat/completions`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] })).text);
    expect(r.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] } });
  });

  it('uses the OpenAI error shape', async () => {
    const r = await post(`${url}/v1/chat/completions`, { model: 'ghost', messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual({ error: { message: "model 'ghost' not found", type: 'not_found_error', param: null, code: null } });
    sim.scriptNext({ fault: { type: 'status', status: 500, message: 'kaput' } });
    expect(JSON.parse((await post(`${url}/v1/chat/completions`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] })).text).error).toMatchObject({ message: 'kaput', type: 'api_error' });
  });
});
