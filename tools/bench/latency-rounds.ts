// Shared by the latency benchmarks (tools/bench/adapters.bench.ts, libs/gateway/bench/gateway.bench.ts):
// their flags, the rounds that run every variant in rotating order, and the percentiles over the samples.

/** `--<name> N` on the command line (a positive integer), or `fallback`. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer`);
  return n;
}

/** The nearest-rank `p`th percentile of ascending `sorted` values. */
export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Stats {
  p50: number;
  p99: number;
}

/** Median and 99th percentile of `values` (any order). */
export function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
}

/** One way of making the same request; `run` makes it once and times it. */
export interface Variant<S> {
  name: string;
  run(): Promise<S>;
}

/**
 * `warmup + rounds` sequential rounds, each running every variant once in rotating order (so
 * drift and noise spread over all of them); the samples of the rounds after the warm-up, by
 * variant name, in round order (sample i of each variant comes from the same round).
 */
export async function measureRounds<S>(variants: readonly Variant<S>[], warmup: number, rounds: number): Promise<Map<string, S[]>> {
  const out = new Map<string, S[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const sample = await v.run();
      if (round >= warmup) out.get(v.name)!.push(sample);
    }
  }
  return out;
}
