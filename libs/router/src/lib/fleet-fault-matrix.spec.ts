import 'reflect-metadata';
import { Agent, ERROR_KINDS, type FlotillaAgent, type RunResult, createFlotilla, defineChain, step } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: a server that accepts connections and never answers
import { HostileServer, type SimFault } from '@flotilla/testing';
import { type SimProcess, fleet, freePort, spawnSim, startSim, waitUntil } from '../spec/sim-fleet';
import type { Fleet } from './create-fleet';

// The router fault matrix: every fault the simulators support, on one of two endpoints
// (every run completes on the healthy one) and on both (every run ends with a typed error
// within 2x its deadline); the router's counters are back to zero afterwards. The real
// llama.cpp server's killed-server case is in libs/integration/llama-server.

const M = 'm:1b';
const RUNS = 4;
const RUN_DEADLINE_MS = 2_500;

@Agent({ name: 'asker', model: M, retries: 3, timeouts: { firstTokenMs: 400, stallMs: 300, totalMs: 2_000 } })
class Asker implements FlotillaAgent<string, string> {
  prompt(input: string) {
    return [{ role: 'user' as const, content: input }];
  }
}

interface Endpoint {
  url: string;
  /** Kills the server mid-run (the killed-server case); otherwise the fault is in every reply. */
  kill?: () => Promise<void>;
  close(): Promise<void>;
}

const simWith = (fault?: SimFault) => async (): Promise<Endpoint> => {
  const s = await startSim({ models: [{ name: M, loadMs: 0 }], numParallel: 4, ...(fault ? { faults: [{ fault }] } : {}) });
  return { url: s.url, close: () => s.close() };
};

const spawned = async (): Promise<Endpoint> => {
  const p: SimProcess = await spawnSim(await freePort(), ['--models', M, '--num-parallel', '4', '--load-ms', '0', '--tokens-per-sec', '20', '--time-scale', '1']);
  return { url: p.url, kill: () => p.kill('SIGKILL'), close: () => p.kill('SIGKILL') };
};

const FAULTS: [string, () => Promise<Endpoint>][] = [
  ['HTTP 500', simWith({ type: 'status', status: 500 })],
  ['HTTP 503', simWith({ type: 'status', status: 503 })],
  ['HTTP 404 (model missing there)', simWith({ type: 'status', status: 404 })],
  ['an error line mid-stream', simWith({ type: 'midStreamError', afterChunks: 1 })],
  ['a stream cut off without its final chunk', simWith({ type: 'truncate', afterChunks: 2 })],
  ['a dropped connection before the first chunk', simWith({ type: 'drop', afterChunks: 0 })],
  ['a dropped connection after the first chunk', simWith({ type: 'drop', afterChunks: 1 })],
  ['a line that is not JSON', simWith({ type: 'malformed', afterChunks: 1 })],
  ['a hang (no headers)', simWith({ type: 'hang' })],
  ['a stall after the first token', simWith({ type: 'trickle', intervalMs: 5_000 })],
  [
    'a black hole',
    async () => {
      const h = await HostileServer.start({ mode: 'blackHole' });
      return { url: h.url, close: () => h.close() };
    },
  ],
  ['a server killed mid-run', spawned],
];

async function runAll(f: Fleet, kill: (() => Promise<void>)[]): Promise<{ result: RunResult; ms: number }[]> {
  const engine = createFlotilla({ client: f.router, agents: [Asker], config: { engine: { retryBaseDelayMs: 20, retryMaxDelayMs: 50 } } });
  const chain = defineChain('matrix', step.call('asker'));
  const runs = Array.from({ length: RUNS }, async (_, i) => {
    const started = performance.now();
    const result = await engine.run(chain, `question ${i}`, { deadlineMs: RUN_DEADLINE_MS }).result;
    return { result, ms: performance.now() - started };
  });
  if (kill.length) {
    // Killed with calls in flight there: every call the faulty server has, and all of them when both are.
    const victims = f.router.endpoints.filter((e) => e.name !== 'healthy');
    const inFlight = () => victims.reduce((n, e) => n + e.inFlight, 0);
    await waitUntil(() => (victims.length === f.router.endpoints.length ? inFlight() === RUNS : inFlight() > 0), 15_000, 'calls in flight on the server to kill');
    await Promise.all(kill.map((k) => k()));
  }
  return Promise.all(runs);
}

function expectCountersAtZero(f: Fleet): void {
  expect(f.router.queued).toBe(0);
  for (const e of f.router.endpoints) {
    expect(e.inFlight).toBe(0);
    expect(e.inFlightFor(M)).toBe(0);
  }
}

describe('router fault matrix', () => {
  jest.setTimeout(30_000);
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  const make = (endpoints: { name: string; url: string }[]): Fleet => {
    const f = fleet({
      endpoints: endpoints.map((e) => ({ ...e, kind: 'ollama' as const, slots: 4 })),
      routing: { healthIntervalMs: 0, probeTimeoutMs: 200, defaultLoadMs: 10 },
    });
    closers.push(() => f.close());
    return f;
  };
  const endpoint = async (create: () => Promise<Endpoint>) => {
    const e = await create();
    closers.push(() => e.close());
    return e;
  };

  describe.each(FAULTS)('%s', (_name, create) => {
    it('on one of two endpoints: every run completes on the healthy one', async () => {
      const faulty = await endpoint(create);
      const healthy = await endpoint(simWith());
      // The faulty endpoint first: with nothing learned yet, the router tries it first.
      const f = make([
        { name: 'faulty', url: faulty.url },
        { name: 'healthy', url: healthy.url },
      ]);
      await f.start();
      const runs = await runAll(f, faulty.kill ? [faulty.kill] : []);
      const tried = f.router.endpoint('faulty')!;
      expect(tried.dispatched + tried.breaker.openings).toBeGreaterThan(0); // the fault was met, not avoided by luck
      for (const { result } of runs) {
        expect(result.error).toBeUndefined();
        expect(result.steps[0]!.call!.endpoint).toBe('healthy');
      }
      expectCountersAtZero(f);
    });

    it('on both endpoints: every run ends with a typed error within 2x its deadline', async () => {
      const a = await endpoint(create);
      const b = await endpoint(create);
      const f = make([
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ]);
      await f.start();
      const runs = await runAll(f, [a.kill, b.kill].filter((k): k is () => Promise<void> => k !== undefined));
      for (const { result, ms } of runs) {
        expect(result.status).toBe('failed');
        expect(ERROR_KINDS).toContain(result.error?.kind);
        expect(ms).toBeLessThan(2 * RUN_DEADLINE_MS);
      }
      expectCountersAtZero(f);
    });
  });
});
