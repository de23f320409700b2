import Ajv from 'ajv';
import { type FlotillaConfig, type RunEvent, createFlotilla } from '@flotilla/core';
// End to end: the agents' real pipeline on the embedded engine (a spec-only import).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PLAN, VERDICT, codingPipeline, pipelineResult } from '@flotilla/agents';
import { lastValueFrom, toArray } from 'rxjs';
import { type SyntheticModels, writeSyntheticModels } from '../testing/synthetic-models';
import type { LlamaCppEvent } from './llama-cpp.events';
import { LlamaCppModelClient } from './llama-cpp.model-client';

/**
 * The manager / worker / reviewer pipeline on synthetic models with random weights: what
 * they say is meaningless, the mechanics are real (grammar-constrained plans and verdicts,
 * fan-out over sequences, cancellation, deadlines, retries).
 */
describe('the coding pipeline on the embedded engine', () => {
  let models: SyntheticModels;
  let client: LlamaCppModelClient;
  const events: LlamaCppEvent[] = [];
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    models = await writeSyntheticModels({
      // A bias on '"' ends JSON strings after ~8 characters, so plans and verdicts stay short.
      manager: { seed: 31, stopBias: 2, contextLength: 8192, biases: { '"': 3 } },
      worker: { seed: 32, stopBias: 3 },
      reviewer: { seed: 33, stopBias: 2, contextLength: 8192, biases: { '"': 3 } },
      endless: { seed: 34, stopBias: -30 },
    });
    client = new LlamaCppModelClient({
      models: {
        'synthetic:manager': { path: models.path('manager'), slots: 1, contextSize: 8192 },
        'synthetic:worker': { path: models.path('worker'), slots: 3, contextSize: 4096 },
        'synthetic:reviewer': { path: models.path('reviewer'), slots: 1, contextSize: 8192 },
        'synthetic:endless': { path: models.path('endless'), slots: 3, contextSize: 2048 },
      },
    });
    client.events$.subscribe((e) => events.push(e));
    await Promise.all(['synthetic:manager', 'synthetic:worker', 'synthetic:reviewer', 'synthetic:endless'].map((m) => client.warm(m)));
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await models?.remove();
  });

  const OBJECTIVE = 'Write a function that reverses a string.';
  /** The coding pipeline on the synthetic models; `config` adds per-agent settings. */
  const start = (over: { workerModel?: string; config?: FlotillaConfig } = {}) => {
    const pipeline = codingPipeline({ maxReviewRounds: 2 });
    const agents = over.config?.agents ?? {};
    const config: FlotillaConfig = {
      engine: { retryBaseDelayMs: 1, retryMaxDelayMs: 5 },
      agents: {
        ...agents,
        manager: { ...agents['manager'], model: 'synthetic:manager' },
        worker: { ...agents['worker'], model: over.workerModel ?? 'synthetic:worker' },
        reviewer: { ...agents['reviewer'], model: 'synthetic:reviewer' },
      },
    };
    const run = createFlotilla({ client, config }).run(pipeline, OBJECTIVE);
    return { run, view: async () => pipelineResult(pipeline, OBJECTIVE, await run.result) };
  };

  /** Most sequences of `model` generating at once among `evs`. */
  const peak = (evs: LlamaCppEvent[], model: string) => {
    let active = 0;
    let max = 0;
    for (const e of evs.filter((x) => x.model === model)) {
      if (e.type === 'started') max = Math.max(max, ++active);
      if (e.type === 'finished' && e.hadSequence) active--;
    }
    return max;
  };

  it('runs manager -> parallel workers -> reviewer with schema-valid plans and verdicts', async () => {
    const from = events.length;
    const result = await start({ config: { agents: { manager: { options: { seed: 7 } } } } }).view();
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(ajv.validate(PLAN.jsonSchema, result.plan)).toBe(true);
    expect(result.plan!.steps.length).toBeGreaterThanOrEqual(2);
    expect(result.stepOutputs).toHaveLength(result.plan!.steps.length);
    expect(result.reviews.length).toBeGreaterThanOrEqual(1);
    for (const v of result.reviews) expect(ajv.validate(VERDICT.jsonSchema, v)).toBe(true);
    // Fan-out: workers generated side by side on the worker model's sequences.
    expect(peak(events.slice(from), 'synthetic:worker')).toBe(Math.min(3, result.plan!.steps.length));
    for (const s of result.stats) {
      expect(s.promptTokens).toBeGreaterThan(0);
      expect(s.completionTokens).toBeGreaterThan(0);
    }
    expect(result.modelCalls).toBe(result.stats.reduce((n, s) => n + s.attempts, 0));
    expect(client.activeSequences).toBe(0);
  }, 30_000);

  it('cancelling the run mid-generation aborts every worker and frees its sequence', async () => {
    const from = events.length;
    const { run } = start({
      workerModel: 'synthetic:endless',
      config: { agents: { manager: { options: { seed: 7 } }, worker: { options: { maxTokens: 1500 } } } },
    });
    let ended = false;
    void run.result.then(() => (ended = true));
    const deadline0 = Date.now() + 10_000;
    const startedNow = () => events.slice(from).filter((e) => e.type === 'started' && e.model === 'synthetic:endless').length;
    while (startedNow() < 2 && !ended && Date.now() < deadline0) await sleep(5);
    expect(ended).toBe(false);
    expect(startedNow()).toBeGreaterThanOrEqual(2);
    await sleep(30);
    await run.cancel();
    const deadline = Date.now() + 3000;
    while (client.activeSequences > 0 && Date.now() < deadline) await sleep(5);
    expect(client.activeSequences).toBe(0);
    const endless = events.slice(from).filter((e) => e.model === 'synthetic:endless');
    const started = endless.filter((e) => e.type === 'started').map((e) => e.id);
    const cancelled = endless.filter((e) => e.type === 'finished' && e.outcome === 'cancelled').map((e) => e.id);
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(cancelled).toEqual(expect.arrayContaining(started));
    expect(client.status().find((s) => s.name === 'synthetic:endless')).toMatchObject({ activeSequences: 0, freeSequences: 3, queued: 0 });
  }, 30_000);

  it('a worker deadline cancels the generation, retries, then fails the run with timeout', async () => {
    const from = events.length;
    const o = start({
      workerModel: 'synthetic:endless',
      config: { agents: { manager: { options: { seed: 7 } }, worker: { retries: 1, timeouts: { totalMs: 120 }, options: { maxTokens: 1500 } } } },
    });
    const trace = await lastValueFrom(o.run.events.pipe(toArray()));
    const result = await o.view();
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('timeout');
    const retries = trace.filter((e) => e.type === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.every((e) => e.type === 'retry' && e.error.kind === 'timeout')).toBe(true);
    const deadline = Date.now() + 3000;
    while (client.activeSequences > 0 && Date.now() < deadline) await sleep(5);
    expect(client.activeSequences).toBe(0);
    const finished = events.slice(from).filter((e) => e.model === 'synthetic:endless' && e.type === 'finished' && e.hadSequence);
    expect(finished.length).toBeGreaterThanOrEqual(2);
    expect(finished.every((e) => e.type === 'finished' && e.outcome === 'cancelled')).toBe(true);
  }, 30_000);

  it('a plan cut off by maxTokens is a schema violation: retried, then the run fails with badOutput', async () => {
    const trace: RunEvent[] = [];
    const o = start({ config: { agents: { manager: { retries: 2, options: { maxTokens: 12 } } } } });
    o.run.events.subscribe((e) => trace.push(e));
    await o.run.result;
    const end = trace.find((e) => e.type === 'run.end');
    expect(end?.type === 'run.end' && end.result.status).toBe('failed');
    expect(end?.type === 'run.end' && end.result.error?.kind).toBe('badOutput');
    const retries = trace.filter((e) => e.type === 'retry');
    expect(retries).toHaveLength(2);
    expect(retries.every((e) => e.type === 'retry' && e.error.kind === 'badOutput')).toBe(true);
    expect(client.activeSequences).toBe(0);
  }, 30_000);
});
