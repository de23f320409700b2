import { decisionMicrobench, lowerBoundMs } from '../../../bench/router.bench';
import { PIPELINE, SERVERS } from '../../../bench/router-workload';

describe('routing cost and the benchmark\'s lower bound', () => {
  // The decision's cost is a benchmark figure (docs/benchmarks.md); this checks what the
  // microbenchmark measures: each finished call hands its slot to exactly one queued call.
  it('the decision microbenchmark dispatches one queued call per finished call and keeps the queue at depth', async () => {
    const idle = await decisionMicrobench(1_000, 0);
    const busy = await decisionMicrobench(1_000, 2_000);
    expect(busy.dispatched - idle.dispatched).toBe(2_000);
    expect(busy.queuedAtEnd).toBe(idle.queuedAtEnd);
    expect(idle.queuedAtEnd).toBeGreaterThan(990);
    expect(Number.isFinite(busy.p50Us)).toBe(true);
  });

  it('bounds the makespan by the critical path after the last arrival and by each model\'s work over its slots', () => {
    const fastest = Math.max(...SERVERS.map((s) => s.tokensPerSec));
    const cp = PIPELINE.reduce((ms, st) => ms + 20 + (st.tokens / fastest) * 1000, 0);
    expect(lowerBoundMs([0, 10_000])).toBeCloseTo(Math.max(10_000 + cp, 2_000 + ((2 * 5 * 150) / 625) * 1000), 6);
    expect(lowerBoundMs(Array.from({ length: 200 }, () => 0))).toBeCloseTo(2_000 + ((200 * 750) / 625) * 1000, 6);
  });
});
