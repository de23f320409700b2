import { OllamaSimServer } from './ollama-sim.server';
import { lines, post, rawPost } from './sim-test.helpers';

describe('OllamaSimServer: native API wire format', () => {
  const sim = new OllamaSimServer({ models: ['qwen3:4b', { name: 'nomic-embed-text', embeddingDims: 8 }, { name: 'tiny', capabilities: ['completion'] }], timeScale: 0.01 });
  let url: string;
  beforeAll(async () => {
    url = await sim.start();
  });
  afterAll(() => sim.close());

  it('binds 127.0.0.1 on a free port', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers liveness on GET and HEAD /', async () => {
    const get = await fetch(`${url}/`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('Ollama is running');
    const head = await fetch(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('reports version, tags and an empty ps', async () => {
    expect(await (await fetch(`${url}/api/version`)).json()).toEqual({ version: expect.any(String) });
    const tags = (await (await fetch(`${url}/api/tags`)).json()) as { models: { name: string; details: Record<string, unknown> }[] };
    expect(tags.models.map((m) => m.name)).toEqual(['qwen3:4b', 'nomic-embed-text:latest', 'tiny:latest']);
    expect(tags.models[0]!.details).toMatchObject({ family: 'qwen', format: 'gguf', parameter_size: '4B', quantization_level: 'Q4_K_M' });
  });

  it('streams chat as chunked NDJSON: deltas, then a final chunk with empty content and ns metrics', async () => {
    const r = await rawPost(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'tell me about tides' }] });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const ls = lines(r.chunks.join(''));
    const final = ls.at(-1)!;
    expect(ls.slice(0, -1).every((l) => l['done'] === false && typeof (l['message'] as { content: string }).content === 'string')).toBe(true);
    expect(ls.slice(0, -1).map((l) => (l['message'] as { content: string }).content).join('')).toBe('This is qwen3:4b answering: tell me about tides');
    expect(final).toMatchObject({ model: 'qwen3:4b', done: true, done_reason: 'stop', message: { role: 'assistant', content: '' } });
    expect(final['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) {
      expect(Number.isInteger(final[k])).toBe(true);
    }
    // The simulated load of 800 ms is reported in simulated time, in nanoseconds.
    expect(final['load_duration']).toBe(800_000_000);
  });

  it('omits zero metrics (a warm model has no load_duration)', async () => {
    const r = await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'again' }], stream: false });
    const body = JSON.parse(r.text) as Record<string, unknown>;
    expect(body).not.toHaveProperty('load_duration');
    expect(body['eval_count']).toBeGreaterThan(0);
  });

  it('answers stream:false with one application/json object holding the whole text', async () => {
    const r = await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(r.text)).toMatchObject({ done: true, done_reason: 'stop', message: { role: 'assistant', content: 'This is qwen3:4b answering: hi' } });
  });

  it('honours num_predict (done_reason length) and stop', async () => {
    const a = JSON.parse((await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'one two three' }], stream: false, options: { num_predict: 2 } })).text);
    expect(a).toMatchObject({ done_reason: 'length', eval_count: 2, message: { content: 'This is' } });
    const b = JSON.parse((await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'one two three' }], stream: false, options: { stop: [' answering'] } })).text);
    expect(b.message.content).toBe('This is qwen3:4b');
  });

  it('generates JSON that conforms to a format schema, and valid JSON for format "json"', async () => {
    const format = { type: 'object', additionalProperties: false, required: ['n', 'tags'], properties: { n: { type: 'integer', minimum: 3, maximum: 5 }, tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 } } };
    const a = JSON.parse((await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], stream: false, format })).text);
    const v = JSON.parse(a.message.content);
    expect(v.n).toBeGreaterThanOrEqual(3);
    expect(v.tags).toHaveLength(2);
    const b = JSON.parse((await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], stream: false, format: 'json' })).text);
    expect(() => JSON.parse(b.message.content)).not.toThrow();
  });

  it('sends tool calls whole, with object arguments, in one chunk', async () => {
    sim.scriptNext({ toolCalls: [{ name: 'lookup', arguments: { q: 'tides', n: 2 } }] });
    const r = await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'lookup', parameters: {} } }] });
    const withCalls = lines(r.text).filter((l) => (l['message'] as { tool_calls?: unknown }).tool_calls);
    expect(withCalls).toHaveLength(1);
    expect((withCalls[0]!['message'] as { tool_calls: unknown }).tool_calls).toEqual([{ function: { index: 0, name: 'lookup', arguments: { q: 'tides', n: 2 } } }]);
  });

  it('rejects tools for a model without the tools capability (400)', async () => {
    const r = await post(`${url}/api/chat`, { model: 'tiny', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toMatch(/does not support tools/);
  });

  it('serves /api/generate with response chunks and a context array', async () => {
    const r = await post(`${url}/api/generate`, { model: 'qwen3:4b', prompt: 'why is the sea salty' });
    const ls = lines(r.text);
    expect(ls.slice(0, -1).map((l) => l['response']).join('')).toBe('This is qwen3:4b answering: why is the sea salty');
    expect(ls.at(-1)).toMatchObject({ done: true, response: '', context: expect.any(Array) });
  });

  it('answers errors with a JSON {error} body: 400 model is required, 404 not found, 400 bad keep_alive, 400 bad JSON', async () => {
    expect(await post(`${url}/api/chat`, { messages: [] })).toMatchObject({ status: 400, text: '{"error":"model is required"}' });
    expect(await post(`${url}/api/chat`, { model: 'ghost', messages: [] })).toMatchObject({ status: 404, text: `{"error":"model 'ghost' not found"}` });
    const ka = await post(`${url}/api/chat`, { model: 'qwen3:4b', messages: [], keep_alive: '300' });
    expect(ka.status).toBe(400);
    const bad = await fetch(`${url}/api/chat`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty('error');
  });

  it('shows a model: model_info with <family>.context_length, and capabilities', async () => {
    const r = JSON.parse((await post(`${url}/api/show`, { model: 'qwen3:4b' })).text);
    expect(r.model_info['qwen.context_length']).toBe(32768);
    expect(r.capabilities).toEqual(['completion', 'tools']);
    expect((await post(`${url}/api/show`, { model: 'nope' })).status).toBe(404);
  });

  it('embeds deterministically, one unit vector per input', async () => {
    const a = JSON.parse((await post(`${url}/api/embed`, { model: 'nomic-embed-text', input: ['a', 'b'] })).text);
    const b = JSON.parse((await post(`${url}/api/embed`, { model: 'nomic-embed-text', input: 'a' })).text);
    expect(a.embeddings).toHaveLength(2);
    expect(a.embeddings[0]).toHaveLength(8);
    expect(b.embeddings[0]).toEqual(a.embeddings[0]);
    expect(Math.hypot(...(a.embeddings[0] as number[]))).toBeCloseTo(1, 6);
    expect(a.prompt_eval_count).toBeGreaterThan(0);
    expect(Number.isInteger(a.total_duration)).toBe(true);
  });

  it('pulls with streamed progress ending in success, and then lists the model', async () => {
    const r = await post(`${url}/api/pull`, { model: 'phi4-mini' });
    const ls = lines(r.text);
    expect(ls[0]).toEqual({ status: 'pulling manifest' });
    expect(ls.some((l) => typeof l['total'] === 'number' && l['completed'] === l['total'])).toBe(true);
    expect(ls.at(-1)).toEqual({ status: 'success' });
    const tags = (await (await fetch(`${url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toContain('phi4-mini:latest');
    expect(JSON.parse((await post(`${url}/api/pull`, { model: 'phi4-mini', stream: false })).text)).toEqual({ status: 'success' });
  });

  it('answers unknown paths with 404', async () => {
    expect((await fetch(`${url}/api/nope`)).status).toBe(404);
  });

  it('records requests with bodies and timestamps', () => {
    const rec = sim.requests.find((r) => r.path === '/api/generate')!;
    expect(rec).toMatchObject({ method: 'POST', model: 'qwen3:4b', status: 200, clientDisconnected: false, outcome: 'reply' });
    expect(rec.body).toMatchObject({ prompt: 'why is the sea salty' });
    expect(rec.headers['content-type']).toBe('application/json');
    expect(rec.hadAuthorization).toBe(false);
    expect(rec.finishedAt! >= rec.firstByteAt! && rec.firstByteAt! >= rec.receivedAt).toBe(true);
  });
});

describe('OllamaSimServer: pull of a name the registry does not have', () => {
  const sim = new OllamaSimServer({ pullable: (n) => n.startsWith('ok'), timeScale: 0 });
  afterAll(() => sim.close());
  it('streams an error line', async () => {
    const url = await sim.start();
    const ls = lines((await post(`${url}/api/pull`, { model: 'nothing-here' })).text);
    expect(ls.at(-1)).toHaveProperty('error');
  });
});
