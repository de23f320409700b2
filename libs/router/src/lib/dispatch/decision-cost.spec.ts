import { decisionMicrobench, lowerBoundMs } from '../../../bench/router.bench';
import { PIPELINE, SERVERS } from '../../../bench/router-workload';

describe('routing cost and the benchmark\'s lower bound', () => {
  it('decides and dispatches in well under 50 µs with 1,000 calls queued', async () => {
    const { p50Us } = await decisionMicrobench(1_000, 5_000);
    expect(p50Us).toBeLessThan(50);
  });

  it('bounds the makespan by the critical path after the last arrival and by each model\'s work over its slots', () => {
    const fastest = Math.max(...SERVERS.map((s) => s.tokensPerSec));
    const cp = PIPELINE.reduce((ms, st) => ms + 20 + (st.tokens / fastest) * 1000, 0);
    expect(lowerBoundMs([0, 10_000])).toBeCloseTo(Math.max(10_000 + cp, 2_000 + ((2 * 5 * 150) / 625) * 1000), 6);
    expect(lowerBoundMs(Array.from({ length: 200 }, () => 0))).toBeCloseTo(2_000 + ((200 * 750) / 625) * 1000, 6);
  });
});
