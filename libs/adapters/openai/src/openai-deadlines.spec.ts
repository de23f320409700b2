import { FlotillaError } from '@flotilla/core';
import { ConnectionCountingProxy, expectDeadlineTimeout, freePort, hostileServersForSuite, OpenAITestServer, SILENT_HOSTILE_SERVERS, timed } from '@flotilla/testing';
import { lastValueFrom } from 'rxjs';
import { OpenAICompatibleModelClient } from './index';

const DEADLINE_MS = 400;

describe('OpenAICompatibleModelClient: every call but chat has a wall-clock deadline', () => {
  const hostile = hostileServersForSuite();

  const calls: [string, string, (c: OpenAICompatibleModelClient) => Promise<unknown>][] = [
    ['listModels', '/v1/models', (c) => c.listModels()],
    ['contextWindow', '/v1/models', (c) => c.contextWindow('m')],
    ['embed', '/v1/embeddings', (c) => lastValueFrom(c.embed({ model: 'm', input: 'x' }))],
  ];

  describe.each(SILENT_HOSTILE_SERVERS)('against %s', (_what, mode) => {
    it.each(calls)('%s (%s) fails with a retryable timeout naming the endpoint and path, within 2x its deadline', async (_name, path, call) => {
      const server = await hostile(mode);
      const client = new OpenAICompatibleModelClient({ baseURL: `${server.url}/v1`, env: {}, metadataTimeoutMs: DEADLINE_MS, embedTimeoutMs: DEADLINE_MS });
      expectDeadlineTimeout(await timed(() => call(client)), { endpoint: client.endpoint, path, limitMs: DEADLINE_MS });
      await client.close();
    });

    it('health() reports the silent server as not ok with a timeout, within 2x the deadline, never throwing', async () => {
      const server = await hostile(mode);
      const client = new OpenAICompatibleModelClient({ baseURL: `${server.url}/v1`, env: {}, metadataTimeoutMs: DEADLINE_MS });
      const { value, ms } = await timed(() => client.health());
      expect(value).toMatchObject({ ok: false, probe: '/health', error: { kind: 'timeout', details: { path: '/health' } } });
      expect(ms).toBeLessThan(2 * DEADLINE_MS);
    });
  });

  it('a context lookup whose /v1/models has no length and whose /props hangs times out; the caller may cancel sooner', async () => {
    const server = await hostile({ mode: 'headersThenSilence', format: 'json', paths: ['/props'] });
    const client = new OpenAICompatibleModelClient({ baseURL: `${server.url}/v1`, env: {}, metadataTimeoutMs: DEADLINE_MS });
    const { error, ms } = await timed(() => client.contextWindow('m'));
    expect(error).toMatchObject({ kind: 'timeout', details: { path: '/props' } });
    expect(ms).toBeLessThan(2 * DEADLINE_MS);
    expect(server.requests).toEqual(['GET /v1/models', 'GET /props']);
    await expect(client.contextWindow('m', undefined, AbortSignal.timeout(50))).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('a reset mid-body and garbage bytes fail as unavailable, at once', async () => {
    for (const mode of [{ mode: 'resetAfter' as const, format: 'json' as const, bytes: 20 }, { mode: 'garbage' as const }]) {
      const server = await hostile(mode);
      const client = new OpenAICompatibleModelClient({ baseURL: `${server.url}/v1`, env: {}, metadataTimeoutMs: 5_000 });
      const { error, ms } = await timed(() => client.listModels());
      expect(error).toMatchObject({ kind: 'unavailable', retryable: true, details: { endpoint: client.endpoint } });
      expect(ms).toBeLessThan(1_000);
    }
  });
});

describe('OpenAICompatibleModelClient: errors that say what to fix', () => {
  const server = new OpenAITestServer({ models: ['m'], apiKey: 'right-key' });
  beforeAll(() => server.start());
  afterAll(() => server.close());

  it('a refused connection is unavailable with the connection error code in details', async () => {
    const client = new OpenAICompatibleModelClient({ baseURL: `http://127.0.0.1:${await freePort()}/v1`, env: {} });
    await expect(client.listModels()).rejects.toMatchObject({ kind: 'unavailable', details: { code: 'ECONNREFUSED', reason: 'connection' } });
  });

  it('a 404 from a base URL without /v1 says to add /v1', async () => {
    const root = server.baseURL.replace(/\/v1$/, '');
    const client = new OpenAICompatibleModelClient({ baseURL: root, env: { K: 'right-key' }, apiKeyEnv: 'K' });
    const error = (await client.listModels().catch((e: unknown) => e)) as FlotillaError;
    expect(error).toMatchObject({ kind: 'modelNotFound', details: { status: 404, hint: 'add /v1 to the base URL' } });
    expect(error.message).toContain('add /v1');
    const right = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: { K: 'right-key' }, apiKeyEnv: 'K' });
    expect((await right.listModels()).map((m) => m.id)).toEqual(['m']);
  });

  it('a refused key names the variable it should come from, and says when that variable is unset', async () => {
    const unset = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, apiKeyEnv: 'GPU1_KEY' });
    const e1 = (await unset.listModels().catch((e: unknown) => e)) as FlotillaError;
    expect(e1).toMatchObject({ kind: 'config', details: { status: 401, apiKeyEnv: 'GPU1_KEY' } });
    expect(e1.message).toContain('the API key variable GPU1_KEY is not set');
    const wrong = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: { GPU1_KEY: 'wrong-key' }, apiKeyEnv: 'GPU1_KEY' });
    const e2 = (await wrong.listModels().catch((e: unknown) => e)) as FlotillaError;
    expect(e2.message).toContain('check the API key in GPU1_KEY');
    expect(e2.message).not.toContain('wrong-key');
  });

  it('rejects a base URL that is not a URL with a config error naming the option', () => {
    expect(() => new OpenAICompatibleModelClient({ baseURL: 'not a url', env: {} })).toThrow(/OpenAICompatibleOptions\.baseURL/);
  });

  it('close() destroys its kept-alive connections at once', async () => {
    const proxy = await ConnectionCountingProxy.start(server.baseURL);
    try {
      const client = new OpenAICompatibleModelClient({ baseURL: `${proxy.url}/v1`, env: { K: 'right-key' }, apiKeyEnv: 'K' });
      await Promise.all([client.listModels(), client.listModels()]);
      expect(proxy.open.size).toBeGreaterThan(0);
      await client.close();
      expect(await proxy.drained(1_000)).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
