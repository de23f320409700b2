import 'reflect-metadata';
import { Agent, ERROR_KINDS, type FlotillaAgent, type RunResult, createFlotilla, defineChain, step } from '@flotilla/core';
import { type Fleet, RouterConfigSchema, createFleetFromConfig } from '@flotilla/router';
import { OpenAITestServer, ensureLlamaServerBinary } from '@flotilla/testing';
import { pollUntil } from './lib/llama-server.probes';
import { SYNTHETIC_MODEL_ID, type SyntheticLlamaServer, startSyntheticLlamaServer } from './lib/synthetic-llama-server';

// The router fault matrix's killed-server case with llama.cpp's own server: killed (SIGKILL)
// while it generates for the fleet's runs. Beside a healthy endpoint every run completes
// there; with every endpoint killed every run ends typed within 2x its deadline; either way
// the router's counters are back to zero.

jest.setTimeout(60_000);
const BUILD_TIMEOUT_MS = 15 * 60_000;
const RUNS = 4;
const RUN_DEADLINE_MS = 6_000;

@Agent({ name: 'writer', model: SYNTHETIC_MODEL_ID, retries: 3, options: { maxTokens: 400 }, timeouts: { firstTokenMs: 2_000, stallMs: 1_000, totalMs: 5_000 } })
class Writer implements FlotillaAgent<string, string> {
  prompt(input: string) {
    return [{ role: 'user' as const, content: input }];
  }
}

beforeAll(async () => {
  await ensureLlamaServerBinary();
}, BUILD_TIMEOUT_MS);

describe('a llama-server killed mid-run behind the router', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  const llama = async (): Promise<SyntheticLlamaServer> => {
    const s = await startSyntheticLlamaServer({ binary: await ensureLlamaServerBinary(), slots: 2, ctx: 2 * 4096 });
    closers.push(() => s.dispose());
    return s;
  };
  const make = (endpoints: { name: string; url: string; slots: number }[]): Fleet => {
    const f = createFleetFromConfig(
      RouterConfigSchema.parse({
        endpoints: endpoints.map((e) => ({ ...e, kind: 'openai' })),
        routing: { healthIntervalMs: 0, probeTimeoutMs: 500, defaultLoadMs: 10 },
      }),
    );
    closers.push(() => f.close());
    return f;
  };

  /** Starts the runs, kills `victims` once each has calls in flight, waits for every run. */
  async function runAndKill(f: Fleet, victims: SyntheticLlamaServer[], names: string[]): Promise<{ result: RunResult; ms: number }[]> {
    const engine = createFlotilla({ client: f.router, agents: [Writer], config: { engine: { retryBaseDelayMs: 20, retryMaxDelayMs: 50 } } });
    const chain = defineChain('killed', step.call('writer'));
    const runs = Array.from({ length: RUNS }, async (_, i) => {
      const started = performance.now();
      const result = await engine.run(chain, `story ${i}`, { deadlineMs: RUN_DEADLINE_MS }).result;
      return { result, ms: performance.now() - started };
    });
    const busy = () => names.every((n) => f.router.endpoint(n)!.inFlight > 0);
    expect(await pollUntil(busy, 20_000, 5)).toBe(true);
    for (const v of victims) v.server.killNow('SIGKILL');
    return Promise.all(runs);
  }

  const expectCountersAtZero = (f: Fleet) => {
    expect(f.router.queued).toBe(0);
    for (const e of f.router.endpoints) expect(e.inFlight).toBe(0);
  };

  it('beside a healthy endpoint: every run completes there', async () => {
    const victim = await llama();
    const healthy = new OpenAITestServer({ models: [SYNTHETIC_MODEL_ID], slots: 4, timeScale: 0.01 });
    await healthy.start();
    closers.push(() => healthy.close());
    const f = make([
      { name: 'llama', url: `${victim.server.baseURL}/v1`, slots: 2 },
      { name: 'healthy', url: healthy.baseURL, slots: 4 },
    ]);
    await f.start();
    // Listed first, so with nothing learned yet the router sends it calls (asserted below).
    const runs = await runAndKill(f, [victim], ['llama']);
    expect(victim.server.exited || (await pollUntil(() => victim.server.exited, 5_000))).toBe(true);
    for (const { result } of runs) {
      expect(result.error).toBeUndefined();
      expect(result.steps[0]!.call!.endpoint).toBe('healthy');
    }
    expect(f.router.endpoint('llama')!.dispatched).toBeGreaterThan(0);
    expectCountersAtZero(f);
  });

  it('every endpoint killed: every run ends with a typed error within 2x its deadline', async () => {
    const [a, b] = await Promise.all([llama(), llama()]);
    const f = make([
      { name: 'a', url: `${a.server.baseURL}/v1`, slots: 2 },
      { name: 'b', url: `${b.server.baseURL}/v1`, slots: 2 },
    ]);
    await f.start();
    const runs = await runAndKill(f, [a, b], ['a', 'b']);
    for (const { result, ms } of runs) {
      expect(result.status).toBe('failed');
      expect(ERROR_KINDS).toContain(result.error?.kind);
      expect(ms).toBeLessThan(2 * RUN_DEADLINE_MS);
    }
    expectCountersAtZero(f);
  });
});
