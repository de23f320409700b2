import { FlotillaError } from '@flotilla/core';
import { HostileServer, OllamaSimServer } from '@flotilla/testing';
import { lastValueFrom } from 'rxjs';
import { createServer, type Socket } from 'node:net';
import { OllamaModelClient } from './ollama.model-client';

const DEADLINE_MS = 400;

/** Runs `call`, returning its error and how long it took. */
async function timed(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe('OllamaModelClient: every call but chat has a wall-clock deadline', () => {
  const servers: HostileServer[] = [];
  const hostile = async (options: Parameters<typeof HostileServer.start>[0]) => {
    const s = await HostileServer.start(options);
    servers.push(s);
    return s;
  };
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const calls: [string, string, (c: OllamaModelClient) => Promise<unknown>][] = [
    ['listModels', '/api/tags', (c) => c.listModels()],
    ['loadedModels', '/api/ps', (c) => c.loadedModels()],
    ['version', '/api/version', (c) => c.version()],
    ['contextWindow', '/api/show', (c) => c.contextWindow('m')],
    ['warm', '/api/chat', (c) => c.warm('m', { timeoutMs: DEADLINE_MS })],
    ['embed', '/api/embed', (c) => lastValueFrom(c.embed({ model: 'm', input: 'x' }))],
  ];

  describe.each([
    ['a black hole', { mode: 'blackHole' as const }],
    ['headers, then silence', { mode: 'headersThenSilence' as const, format: 'json' as const }],
    ['a body trickled one byte every 50 ms', { mode: 'trickle' as const, format: 'json' as const, intervalMs: 50 }],
  ])('against %s', (_what, mode) => {
    it.each(calls)('%s (%s) fails with a retryable timeout naming the endpoint and path, within 2x its deadline', async (_name, path, call) => {
      const server = await hostile(mode);
      const client = new OllamaModelClient({ host: server.url, metadataTimeoutMs: DEADLINE_MS, embedTimeoutMs: DEADLINE_MS });
      const { error, ms } = await timed(() => call(client));
      expect(FlotillaError.is(error, 'timeout')).toBe(true);
      expect(error).toMatchObject({ retryable: true, details: { endpoint: client.endpoint, path, limitMs: DEADLINE_MS } });
      expect((error as Error).message).toContain(client.endpoint);
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
      expect(ms).toBeLessThan(2 * DEADLINE_MS);
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
    const open = new Set<Socket>();
    const url = await sim.start();
    // A proxy in front of the simulator, to see the client's sockets.
    const proxy = createServer((client) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      const upstream = new URL(url);
      const server = require('node:net').connect(Number(upstream.port), upstream.hostname) as Socket;
      client.pipe(server).pipe(client);
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const client = new OllamaModelClient({ host: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` });
      await Promise.all([client.listModels(), client.version(), client.loadedModels()]);
      expect(open.size).toBeGreaterThan(0);
      await client.close();
      const until = Date.now() + 1_000;
      while (open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      expect(open.size).toBe(0);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
      await sim.close();
    }
  });
});
