import { FlotillaError } from '@flotilla/core';
import { embeddingVector, OpenAITestServer } from '@flotilla/testing';
import { firstValueFrom } from 'rxjs';
import { OpenAICompatibleModelClient } from './index';

describe('OpenAICompatibleModelClient: models, health, context length, embeddings', () => {
  const server = new OpenAITestServer({
    models: [{ id: 'chat', contextLength: 2048 }, { id: 'embedder', embeddingDimensions: 6, contextLength: 16 }],
    timeScale: 0.02,
  });
  let client: OpenAICompatibleModelClient;

  beforeAll(async () => {
    await server.start();
    client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, contextLength: { configured: 777 } });
  });
  afterAll(() => server.close());
  afterEach(() => server.clearFaults());

  it('lists models from /v1/models, with vLLM-style max_model_len as context length', async () => {
    expect(await client.listModels()).toEqual([
      { id: 'chat', ownedBy: 'flotilla-test', contextLength: 2048 },
      { id: 'embedder', ownedBy: 'flotilla-test', contextLength: 16 },
    ]);
  });

  it('is healthy when /health answers, and reports a loading server as overloaded', async () => {
    expect(await client.health()).toMatchObject({ ok: true, probe: '/health' });
    server.setLoading(true);
    try {
      const health = await client.health();
      expect(health.ok).toBe(false);
      expect(FlotillaError.is(health.error, 'overloaded')).toBe(true);
    } finally {
      server.setLoading(false);
    }
  });

  it('reports a server that is not there as unhealthy (unavailable), without throwing', async () => {
    const gone = new OpenAITestServer();
    const url = await gone.start();
    await gone.close();
    const health = await new OpenAICompatibleModelClient({ baseURL: `${url}/v1`, env: {} }).health();
    expect(health.ok).toBe(false);
    expect(FlotillaError.is(health.error, 'unavailable')).toBe(true);
  });

  it('takes context length from options first, then discovers it (/v1/models, then /props), else undefined', async () => {
    expect(await client.contextLength('configured')).toBe(777);
    expect(await client.contextLength('chat')).toBe(2048);
    // Not listed: llama.cpp's /props describes its one loaded model (the first here).
    expect(await client.contextLength('unlisted')).toBe(2048);
    const quiet = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, discoverContextLength: false });
    expect(await quiet.contextLength('chat')).toBeUndefined();
  });

  it('reports the context window the engine checks prompts against (unknown when discovery is off)', async () => {
    expect(await client.contextWindow('chat')).toBe(2048);
    const quiet = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, discoverContextLength: false });
    expect(await quiet.contextWindow('chat')).toBeUndefined();
  });

  it('embeds several inputs in order, as floats', async () => {
    const result = await firstValueFrom(client.embed({ model: 'embedder', input: ['first', 'second'] }));
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings[0]!.map((v) => v.toFixed(6))).toEqual(embeddingVector('first', 6).map((v) => v.toFixed(6)));
    expect(result.embeddings[1]!.map((v) => v.toFixed(6))).toEqual(embeddingVector('second', 6).map((v) => v.toFixed(6)));
    expect(result).toMatchObject({ model: 'embedder', promptTokens: 4, endpoint: client.endpoint });
    expect(server.requests.at(-1)!.body).toMatchObject({ encoding_format: 'float', input: ['first', 'second'] });
  });

  it('embeds one string and answers an empty list without a request', async () => {
    expect((await firstValueFrom(client.embed({ model: 'embedder', input: 'solo' }))).embeddings).toHaveLength(1);
    const before = server.requests.length;
    expect((await firstValueFrom(client.embed({ model: 'embedder', input: [] }))).embeddings).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('maps embedding errors: unknown model, overflow, server error', async () => {
    const fail = (input: string, model = 'embedder') => firstValueFrom(client.embed({ model, input })).catch((e: unknown) => e);
    expect(FlotillaError.is(await fail('x', 'nope'), 'modelNotFound')).toBe(true);
    expect(FlotillaError.is(await fail('y'.repeat(200)), 'contextOverflow')).toBe(true);
    server.injectFault({ fault: 'http500', path: '/v1/embeddings', times: 1 });
    expect(FlotillaError.is(await fail('z'), 'unavailable')).toBe(true);
  });

  it('cancels an embedding request on unsubscribe; the server sees the disconnect', async () => {
    server.injectFault({ fault: 'hang', path: '/v1/embeddings', times: 1 });
    const before = server.requests.length;
    const sub = client.embed({ model: 'embedder', input: 'wait' }).subscribe({ error: () => undefined });
    await server.waitFor((s) => s.requests.length > before && s.requests[before]!.body !== undefined);
    sub.unsubscribe();
    await server.waitFor((s) => s.requests[before]!.clientDisconnected);
  });

  it('fails an embedding with aborted when the caller aborts', async () => {
    server.injectFault({ fault: 'hang', path: '/v1/embeddings', times: 1 });
    const controller = new AbortController();
    const pending = firstValueFrom(client.embed({ model: 'embedder', input: 'wait' }, { signal: controller.signal })).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 30);
    expect(FlotillaError.is(await pending, 'aborted')).toBe(true);
  });
});
