import 'reflect-metadata';
import { Agent, ERROR_KINDS, type FlotillaAgent, type ModelClient, type RunResult, createFlotilla, defineChain, step } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { type Fleet, RouterConfigSchema, createFleetFromConfig } from '@flotilla/router';
import { HostileServer, type HostileServerOptions, OllamaSimServer, OpenAITestServer } from '@flotilla/testing';

// The hostile-server set against each HTTP backend kind, directly and through the router:
// every run ends with a typed error, or fails over to the healthy endpoint, within 2x the
// configured deadline. A run has one attempt per agent call unless failing over.

const FIRST_TOKEN_MS = 500;
const PROBE_TIMEOUT_MS = 400; // under the first-token deadline; long enough that a loaded 2-core machine answers a healthy probe
/** The router announces a model it has not seen loaded as loading for this long: the first-token deadline grows by it. */
const LOAD_MS = 100;
const BOUND_MS = 2 * FIRST_TOKEN_MS;
const ROUTED_BOUND_MS = 2 * (FIRST_TOKEN_MS + LOAD_MS);

@Agent({ name: 'asker', model: 'm', retries: 0, timeouts: { firstTokenMs: FIRST_TOKEN_MS, stallMs: FIRST_TOKEN_MS, totalMs: 4 * FIRST_TOKEN_MS } })
class Asker implements FlotillaAgent<string, string> {
  prompt(input: string) {
    return [{ role: 'user' as const, content: input }];
  }
}

async function runOnce(client: ModelClient, retries = 0): Promise<{ result: RunResult; ms: number }> {
  const config = { agents: { asker: { retries } }, engine: { retryBaseDelayMs: 5, retryMaxDelayMs: 5 } };
  const engine = createFlotilla({ client, agents: [Asker], config });
  const started = performance.now();
  const result = await engine.run(defineChain('hostile', step.call('asker')), 'hello').result;
  return { result, ms: performance.now() - started };
}

interface Healthy {
  url: string;
  close(): Promise<void>;
}

interface Kind {
  kind: 'ollama' | 'openai';
  chatPath: string;
  format: 'ndjson' | 'sse';
  /** The adapter for a server at `root` (no path). */
  client(root: string): ModelClient & { close(): Promise<void> };
  /** The fleet endpoint URL for a server at `root`. */
  endpointUrl(root: string): string;
  healthy(): Promise<Healthy>;
}

const KINDS: Kind[] = [
  {
    kind: 'ollama',
    chatPath: '/api/chat',
    format: 'ndjson',
    client: (root) => new OllamaModelClient({ host: root }),
    endpointUrl: (root) => root,
    async healthy() {
      const sim = new OllamaSimServer({ models: ['m'], timeScale: 0.01 });
      return { url: await sim.start(), close: () => sim.close() };
    },
  },
  {
    kind: 'openai',
    chatPath: '/v1/chat/completions',
    format: 'sse',
    client: (root) => new OpenAICompatibleModelClient({ baseURL: `${root}/v1`, env: {} }),
    endpointUrl: (root) => `${root}/v1`,
    async healthy() {
      const server = new OpenAITestServer({ models: ['m'], timeScale: 0.02 });
      return { url: await server.start(), close: () => server.close() };
    },
  },
];

type Mode = Pick<HostileServerOptions, 'mode' | 'bytes'>;
const MODES: [string, Mode, 'timeout' | 'unavailable'][] = [
  ['a black hole', { mode: 'blackHole' }, 'timeout'],
  ['headers, then silence', { mode: 'headersThenSilence' }, 'timeout'],
  ['one byte a minute', { mode: 'trickle' }, 'timeout'],
  ['a reset after 16 bytes', { mode: 'resetAfter', bytes: 16 }, 'unavailable'],
  ['garbage bytes', { mode: 'garbage' }, 'unavailable'],
];

describe.each(KINDS)('hostile servers against the $kind backend', (k) => {
  const closers: (() => Promise<void> | void)[] = [];
  let healthy: Healthy;
  beforeAll(async () => {
    healthy = await k.healthy();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(() => healthy.close());

  /** Hostile on every path, or only on chat with the rest answered by the healthy server. */
  const hostile = async (mode: Mode, chatOnly: boolean) => {
    const s = await HostileServer.start({ ...mode, format: k.format, ...(chatOnly ? { paths: [k.chatPath], upstream: healthy.url } : {}) });
    closers.push(() => s.close());
    return s;
  };
  const fleetOf = (endpoints: { name: string; url: string }[]): Fleet => {
    const f = createFleetFromConfig(
      RouterConfigSchema.parse({
        endpoints: endpoints.map((e) => ({ name: e.name, kind: k.kind, url: k.endpointUrl(e.url) })),
        routing: { healthIntervalMs: 0, probeTimeoutMs: PROBE_TIMEOUT_MS, defaultLoadMs: LOAD_MS },
      }),
    );
    closers.push(() => f.close());
    return f;
  };
  const expectTyped = (result: RunResult, kinds: readonly string[]) => {
    expect(result.status).toBe('failed');
    expect(ERROR_KINDS).toContain(result.error?.kind);
    expect(kinds).toContain(result.error!.kind);
  };

  describe.each(MODES)('%s', (_name, mode, kind) => {
    it.each([
      ['on every path (the context-window lookup meets it first)', false],
      ['on the chat path only', true],
    ])(`directly: a typed ${kind} within 2x the first-token deadline, %s`, async (_where, chatOnly) => {
      const server = await hostile(mode, chatOnly as boolean);
      const client = k.client(server.url);
      closers.push(() => client.close());
      const { result, ms } = await runOnce(client);
      expectTyped(result, [kind]);
      expect(ms).toBeLessThan(BOUND_MS);
    });

    it('through the router, as its only endpoint: a typed error within 2x the first-token deadline', async () => {
      const server = await hostile(mode, false);
      const { result, ms } = await runOnce(fleetOf([{ name: 'hostile', url: server.url }]).router);
      expectTyped(result, kind === 'timeout' ? ['timeout'] : ['unavailable', 'circuitOpen']);
      expect(ms).toBeLessThan(ROUTED_BOUND_MS);
    });

    it('through the router, beside a healthy endpoint (probes answered, chat hostile): fails over, within 2x the first-token deadline', async () => {
      const server = await hostile(mode, true);
      const f = fleetOf([
        { name: 'hostile', url: server.url },
        { name: 'healthy', url: healthy.url },
      ]);
      await f.start();
      const { result, ms } = await runOnce(f.router, 2);
      expect(result.error).toBeUndefined();
      expect(result.steps[0]!.call!.endpoint).toBe('healthy');
      expect(server.requests).toContain(`POST ${k.chatPath}`);
      expect(ms).toBeLessThan(ROUTED_BOUND_MS);
    });

    it('through the router, beside a healthy endpoint (hostile on every path): never waits on it', async () => {
      const server = await hostile(mode, false);
      const f = fleetOf([
        { name: 'hostile', url: server.url },
        { name: 'healthy', url: healthy.url },
      ]);
      await f.start();
      const { result, ms } = await runOnce(f.router, 2);
      expect(result.error).toBeUndefined();
      expect(result.steps[0]!.call!.endpoint).toBe('healthy');
      expect(ms).toBeLessThan(ROUTED_BOUND_MS);
    });
  });
});
