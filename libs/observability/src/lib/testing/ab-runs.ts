import type { RunEvent } from '@flotilla/core';
import { RunEventsBuilder } from './run-events.builder';

/**
 * A/B runs of a `worker` agent with two calls a run: latency = base + jitter; every
 * `failEvery`-th run's second call fails. Deterministic (no Math.random).
 */
export function abRuns(prefix: string, variant: string, runs: number, baseMs: number, failEvery = 0, endpoint = 'gpu-a'): RunEvent[][] {
  const out: RunEvent[][] = [];
  for (let i = 0; i < runs; i++) {
    const b = new RunEventsBuilder(`${prefix}${i}`, 'ab');
    const root = b.step({ kind: 'sequence', at: 0 });
    const jitter = (i * 37) % 50;
    const d1 = baseMs + jitter;
    b.call({ parent: root, segment: '0', agent: 'worker', model: `coder-${variant}`, endpoint, variant, start: 1, end: 1 + d1, usage: { promptTokens: 30, completionTokens: 60 }, timings: { queueMs: 2, firstTokenMs: d1 / 4, totalMs: d1 - 2 }, retries: i % 4 === 0 ? [{ at: 2, delayMs: 0 }] : undefined });
    const fail = failEvery > 0 && i % failEvery === 0;
    const d2 = baseMs + ((i * 53) % 40);
    b.call({ parent: root, segment: '1', agent: 'worker', model: `coder-${variant}`, endpoint, variant, start: 2 + d1, end: 2 + d1 + d2, usage: { promptTokens: 30, completionTokens: 60 }, timings: { firstTokenMs: d2 / 4, totalMs: d2 }, fail: fail ? { kind: 'timeout' } : undefined });
    if (fail) b.failStep(root, 2 + d1 + d2);
    else b.endStep(root, 2 + d1 + d2);
    out.push(b.finish(3 + d1 + d2, fail ? 'failed' : 'succeeded', fail ? 'timeout' : undefined));
  }
  return out;
}
