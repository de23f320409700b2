import 'reflect-metadata';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the real pipeline through the router
import { type CodingPipelineOptions, DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL, type PipelineResult, codingPipeline, pipelineResult } from '@flotilla/agents';
import { type FlotillaConfig, type ModelClient, type RunOptions, createFlotilla } from '@flotilla/core';
import { type OllamaSimServer, fleet, startSim } from '../spec/sim-fleet';
import type { Fleet } from './create-fleet';

/** The coding pipeline on `client`, read as the pipeline's result. */
async function runPipeline(client: ModelClient, objective: string, config?: FlotillaConfig, options: CodingPipelineOptions & RunOptions = {}): Promise<PipelineResult> {
  const pipeline = codingPipeline(options);
  return pipelineResult(pipeline, objective, await createFlotilla({ client, config }).run(pipeline, objective, options).result);
}

const MODELS = [DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL];

describe('the manager -> workers -> reviewer pipeline through the router', () => {
  let a: OllamaSimServer;
  let b: OllamaSimServer;
  let f: Fleet;
  beforeAll(async () => {
    a = await startSim({ models: MODELS, numParallel: 2, timeScale: 0.01 });
    b = await startSim({ models: MODELS, numParallel: 3, timeScale: 0.01, faults: [{ model: DEFAULT_WORKER_MODEL, fault: { type: 'status', status: 503 }, times: 2 }] });
    f = fleet({
      endpoints: [
        { name: 'a', kind: 'ollama', url: a.url, slots: 2 },
        { name: 'b', kind: 'ollama', url: b.url, slots: 3 },
      ],
      agents: { reviewer: { model: DEFAULT_REVIEWER_MODEL, fallbacks: [DEFAULT_MANAGER_MODEL] } },
      // The simulators load in ~8 ms real time; the default (3 s) would rightly keep calls waiting for the warm server.
      routing: { defaultLoadMs: 10 },
    });
    await f.start();
  });
  afterAll(async () => {
    await f.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('completes runs on both servers, failing over past injected 503s, within the slots', async () => {
    const results = await Promise.all([1, 2, 3].map((i) => runPipeline(f.router, `Create function number ${i} and test it`, f.flotillaConfig, { maxReviewRounds: 1 })));
    for (const r of results) expect(r.status).toBe('succeeded');
    const endpoints = new Set(results.flatMap((r) => r.run.steps.map((s) => s.call?.endpoint).filter(Boolean)));
    expect([...endpoints].sort()).toEqual(['a', 'b']);
    const report = f.router.report();
    expect(report.endpoints.map((e) => e.inFlight)).toEqual([0, 0]);
    expect(report.queued).toBe(0);
    expect(b.generationRequests().filter((r) => r.status === 503)).toHaveLength(2);
    const retried = results.flatMap((r) => r.run.steps).filter((s) => (s.call?.attempts ?? 1) > 1);
    expect(retried.length).toBeGreaterThan(0);
  });
});
