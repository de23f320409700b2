import 'reflect-metadata';
import { FlotillaError } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the real pipeline through the router
import { type CodingPipelineOptions, DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL, type PipelineResult, codingPipeline, pipelineResult } from '@flotilla/agents';
import { type FlotillaConfig, type ModelClient, type RunOptions, createFlotilla } from '@flotilla/core';
import { type SimProcess, events, finalOf, fleet, freePort, spawnSim, startSim, userMessage, waitUntil } from '../spec/sim-fleet';
import type { Fleet } from './create-fleet';

/** The coding pipeline on `client`, read as the pipeline's result. */
async function runPipeline(client: ModelClient, objective: string, config?: FlotillaConfig, options: CodingPipelineOptions & RunOptions = {}): Promise<PipelineResult> {
  const pipeline = codingPipeline(options);
  return pipelineResult(pipeline, objective, await createFlotilla({ client, config }).run(pipeline, objective, options).result);
}

const MODELS = [DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL];

describe('reliability: servers that die and come back', () => {
  jest.setTimeout(60_000);
  const procs: SimProcess[] = [];
  const fleets: Fleet[] = [];
  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    await Promise.all(procs.map((p) => p.kill()));
  });

  it('completes every run on the surviving servers when one server process is killed mid-run; no step lost or run twice', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const args = ['--models', MODELS.join(','), '--num-parallel', '2', '--time-scale', '0.05', '--tokens-per-sec', '40'];
    procs.push(...(await Promise.all(ports.map((p) => spawnSim(p, args)))));
    const f = fleet({
      endpoints: procs.map((p, i) => ({ name: `s${i}`, kind: 'ollama' as const, url: p.url, slots: 2 })),
      routing: { defaultLoadMs: 40, healthIntervalMs: 100, cooldownMs: 60_000 },
    });
    fleets.push(f);
    await f.start();
    const victim = f.router.endpoint('s1')!;
    const runs = Promise.all([1, 2, 3, 4, 5, 6].map((i) => runPipeline(f.router, `Create function number ${i} and test it`, f.flotillaConfig, { maxReviewRounds: 1 })));
    await waitUntil(() => victim.dispatched - victim.inFlight >= 3 && victim.inFlight > 0, 20_000, 's1 to have answered and to be serving');
    const completedBefore = f.router.report().endpoints.reduce((n, e) => n + e.dispatched - e.inFlight, 0);
    await procs[1]!.kill('SIGKILL');
    const results = await runs;
    for (const r of results) {
      expect(r.status).toBe('succeeded');
      expect(r.run.steps.filter((s) => s.call?.agent === 'manager')).toHaveLength(1);
      expect(r.stepOutputs).toHaveLength(r.plan!.steps.length);
      const ids = r.run.steps.map((s) => s.key);
      expect(new Set(ids).size).toBe(ids.length);
      // Each planned task ran to completion exactly once in the first round.
      expect(r.run.steps.filter((s) => s.call?.agent === 'worker' && s.id !== 'revise')).toHaveLength(r.plan!.steps.length);
    }
    expect(completedBefore).toBeGreaterThan(0);
    expect(f.router.report().endpoints[1]).toMatchObject({ circuit: 'open', inFlight: 0 });
  });

  it('fails with a typed error within the deadline when every server is down', async () => {
    const ports = await Promise.all([freePort(), freePort()]);
    const f = fleet({
      endpoints: ports.map((p, i) => ({ name: `d${i}`, kind: 'ollama' as const, url: `http://127.0.0.1:${p}` })),
      routing: { healthIntervalMs: 0 },
    });
    fleets.push(f);
    await f.start();
    const started = Date.now();
    const e = (await events(f.router.chat({ model: DEFAULT_WORKER_MODEL, messages: userMessage('hi') })).catch((x: unknown) => x)) as FlotillaError;
    expect(FlotillaError.is(e, 'circuitOpen')).toBe(true);
    expect(e.details['endpoints']).toEqual(['d0', 'd1']);
    const run = await runPipeline(f.router, 'Create a function', undefined, { deadlineMs: 3_000 });
    expect(run.status).toBe('failed');
    expect(['circuitOpen', 'unavailable']).toContain(run.error?.kind);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('opens a circuit when a server goes away and closes it when the server is back', async () => {
    const port = await freePort();
    let sim = await startSim({ port, models: [DEFAULT_WORKER_MODEL] });
    const f = fleet({
      endpoints: [{ name: 'only', kind: 'ollama', url: sim.url }],
      routing: { healthIntervalMs: 30, cooldownMs: 200, failureThreshold: 2 },
    });
    fleets.push(f);
    await f.start();
    const ask = () => events(f.router.chat({ model: DEFAULT_WORKER_MODEL, messages: userMessage('hi') }));
    expect(finalOf(await ask()).endpoint).toBe('only');
    await sim.close();
    const failed = (await ask().catch((x: unknown) => x)) as FlotillaError;
    expect(failed.details).toMatchObject({ endpoint: 'only', failover: true });
    await waitUntil(() => f.router.report().endpoints[0]!.circuit === 'open', 2_000, 'the circuit to open');
    expect(FlotillaError.is(await ask().catch((x: unknown) => x), 'circuitOpen')).toBe(true);
    sim = await startSim({ port, models: [DEFAULT_WORKER_MODEL] });
    try {
      await waitUntil(() => f.router.report().endpoints[0]!.circuit === 'closed', 5_000, 'the circuit to close');
      expect(finalOf(await ask()).endpoint).toBe('only');
    } finally {
      await sim.close();
    }
  });
});
