import { FlotillaError } from '@flotilla/core';
import { ConnectionCountingProxy, expectDeadlineTimeout, hostileServersForSuite, OllamaSimServer, SILENT_HOSTILE_SERVERS, timed } from '@flotilla/testing';
import { lastValueFrom } from 'rxjs';
import { OllamaModelClient } from './ollama.model-client';

const DEADLINE_MS = 400;

describe('OllamaModelClient: every call but chat has a wall-clock deadline', () => {
  const hostile = hostileServersForSuite();

  const calls: [string, string, (c: OllamaModelClient) => Promise<unknown>][] = [
    ['listModels', '/api/tags', (c) => c.listModels()],
    ['loadedModels', '/api/ps', (c) => c.loadedModels()],
    ['version', '/api/version', (c) => c.version()],
    ['contextWindow', '/api/show', (c) => c.contextWindow('m')],
    ['warm', '/api/chat', (c) => c.warm('m', { timeoutMs: DEADLINE_MS })],
    ['embed', '/api/embed', (c) => lastValueFrom(c.embed({ model: 'm', input: 'x' }))],
  ];

  describe.each(SILENT_HOSTILE_SERVERS)('against %s', (_what, mode) => {
    it.each(calls)('%s (%s) fails with a retryable timeout naming the endpoint and path, within 2x its deadline', async (_name, path, call) => {
      const server = await hostile(mode);
      const client = new OllamaModelClient({ host: server.url, metadataTimeoutMs: DEADLINE_MS, embedTimeoutMs: DEADLINE_MS });
      expectDeadlineTimeout(await timed(() => call(client)), { endpoint: client.endpoint, path, limitMs: DEADLINE_MS });
      await client.close();
    });
  });

  it('a connection reset mid-body and garbage bytes fail as unavailable, at once', async () => {
    for (const mode of [{ mode: 'resetAfter' as const, format: 'json' as const, bytes: 20 }, { mode: 'garbage' as const }]) {
      const server = await hostile(mode);
      const client = new OllamaModelClient({ host: server.url, metadataTimeoutMs: 5_000 });
      const { error, ms } = await timed(() => client.listModels());
      expect(error).toMatchObject({ kind: 'unavailable', retryable: true, details: { endpoint: client.endpoint } });
      expect(ms).toBeLessThan(1_000);
    }
  });

  it("the caller's signal still cancels a metadata call (aborted, not timeout)", async () => {
    const server = await hostile({ mode: 'blackHole' });
    const client = new OllamaModelClient({ host: server.url, metadataTimeoutMs: 10_000 });
    const { error, ms } = await timed(() => client.contextWindow('m', undefined, AbortSignal.timeout(100)));
    expect(error).toMatchObject({ kind: 'aborted' });
    expect(ms).toBeLessThan(1_000);
  });

  it('a lookup that timed out is not remembered: the next one asks the server again', async () => {
    const sim = new OllamaSimServer({ models: [{ name: 'm:latest', contextLength: 8192 }], timeScale: 0.01 });
    const url = await sim.start();
    try {
      const client = new OllamaModelClient({ host: url, defaultNumCtx: 100_000 });
      await expect(client.contextWindow('m', undefined, AbortSignal.abort())).rejects.toMatchObject({ kind: 'aborted' });
      expect(await client.contextWindow('m')).toBe(8192);
    } finally {
      await sim.close();
    }
  });
});

describe('OllamaModelClient configuration and lifetime', () => {
  it.each(['not a url', 'ftp://127.0.0.1:11434', 'http://'])('rejects host %j with a config error naming the option', (host) => {
    let error: unknown;
    try {
      new OllamaModelClient({ host });
    } catch (e) {
      error = e;
    }
    expect(FlotillaError.is(error, 'config')).toBe(true);
    expect((error as Error).message).toContain('OllamaModelClientOptions.host');
    expect((error as Error).message).toContain(JSON.stringify(host));
  });

  it('close() destroys its kept-alive connections at once', async () => {
    const sim = new OllamaSimServer({ models: ['m'], timeScale: 0.01 });
    const url = await sim.start();
    // A proxy in front of the simulator, to see the client's sockets.
    const proxy = await ConnectionCountingProxy.start(url);
    try {
      const client = new OllamaModelClient({ host: proxy.url });
      await Promise.all([client.listModels(), client.version(), client.loadedModels()]);
      expect(proxy.open.size).toBeGreaterThan(0);
      await client.close();
      expect(await proxy.drained(1_000)).toBe(0);
    } finally {
      await proxy.close();
      await sim.close();
    }
  });
});
