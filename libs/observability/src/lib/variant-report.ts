import type { RunSummary } from './run-summary';
import { readRunSummaries } from './trace-file.reader';
import { mannWhitneyU, median, quantile, twoProportionZ } from './stats';

/** Runs per variant below which no winner is called. @default 10 */
export const DEFAULT_MIN_RUNS = 10;
/** Family-wise significance level (Bonferroni-split across an agent's variant pairs). @default 0.05 */
export const DEFAULT_ALPHA = 0.05;

export interface VariantReportOptions {
  /** @default 10 */
  minRuns?: number;
  /** @default 0.05 */
  alpha?: number;
}

/** One arm of an agent's A/B comparison. Latency and speed describe its successful calls. */
export interface VariantStats {
  agent: string;
  variant: string;
  runs: number;
  calls: number;
  succeeded: number;
  failed: number;
  /** Successful calls / finished calls. */
  successRate: number;
  latencyP50Ms?: number;
  latencyP95Ms?: number;
  /** Median tokens/s of the calls that report it. */
  tokensPerSecond?: number;
  retries: number;
  retriesPerCall: number;
}

export interface TestResult {
  test: string;
  p?: number;
  /** Two-sided significance level the p-value is held to (alpha / number of pairs). */
  alpha: number;
  winner?: string;
  verdict: string;
}

export interface VariantComparison {
  agent: string;
  a: string;
  b: string;
  latency: TestResult;
  success: TestResult;
}

export interface AgentVariants {
  agent: string;
  variants: VariantStats[];
  comparisons: VariantComparison[];
}

export interface VariantReport {
  runs: number;
  /** Runs that recorded a variant for at least one agent. */
  runsWithVariants: number;
  agents: AgentVariants[];
  minRuns: number;
  alpha: number;
  /** How the tests work, in one paragraph, for people reading the report. */
  method: string;
}

const METHOD = (minRuns: number, alpha: number) =>
  `Variants are drawn per run, so the run is the unit of each test: latency compares each run's median ` +
  `call latency for the agent (Mann-Whitney U, two-sided, normal approximation), success compares the ` +
  `share of runs in which all of the agent's calls succeeded (two-proportion z-test, pooled). A winner ` +
  `is called only with at least ${minRuns} runs per variant (and, for success, 5 expected successes and ` +
  `failures per variant) and p below ${alpha} divided by the number of variant pairs of the agent (Bonferroni).`;

/** Compares A/B variants across the runs in trace files (or directories of them). */
export async function report(traceFiles: readonly string[], options: VariantReportOptions = {}): Promise<VariantReport> {
  return variantReport(await readRunSummaries(traceFiles), options);
}

/** Compares A/B variants across run summaries. */
export function variantReport(runs: readonly RunSummary[], options: VariantReportOptions = {}): VariantReport {
  const minRuns = options.minRuns ?? DEFAULT_MIN_RUNS;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  /** agent -> variant -> per-run samples */
  const arms = new Map<string, Map<string, { runs: RunSummary[]; perRunLatency: number[]; perRunOk: boolean[] }>>();
  let runsWithVariants = 0;
  for (const run of runs) {
    const agents = Object.keys(run.variants);
    if (agents.length > 0) runsWithVariants++;
    for (const agent of agents) {
      const variant = run.variants[agent]!;
      const calls = run.calls.filter((c) => c.agent === agent && c.status !== 'unfinished');
      if (calls.length === 0) continue;
      let byVariant = arms.get(agent);
      if (!byVariant) arms.set(agent, (byVariant = new Map()));
      let arm = byVariant.get(variant);
      if (!arm) byVariant.set(variant, (arm = { runs: [], perRunLatency: [], perRunOk: [] }));
      arm.runs.push(run);
      const ok = calls.filter((c) => c.status === 'succeeded');
      if (ok.length > 0) arm.perRunLatency.push(median(ok.map((c) => c.endAt! - c.startAt)));
      arm.perRunOk.push(ok.length === calls.length);
    }
  }

  const agents: AgentVariants[] = [];
  for (const [agent, byVariant] of [...arms].sort((x, y) => x[0].localeCompare(y[0]))) {
    const names = [...byVariant.keys()].sort();
    const variants = names.map((variant) => stats(agent, variant, byVariant.get(variant)!.runs));
    const pairs = (names.length * (names.length - 1)) / 2;
    const pairAlpha = pairs > 0 ? alpha / pairs : alpha;
    const comparisons: VariantComparison[] = [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const a = byVariant.get(names[i]!)!;
        const b = byVariant.get(names[j]!)!;
        comparisons.push({
          agent,
          a: names[i]!,
          b: names[j]!,
          latency: latencyTest(names[i]!, a.perRunLatency, names[j]!, b.perRunLatency, minRuns, pairAlpha),
          success: successTest(names[i]!, a.perRunOk, names[j]!, b.perRunOk, minRuns, pairAlpha),
        });
      }
    }
    agents.push({ agent, variants, comparisons });
  }
  return { runs: runs.length, runsWithVariants, agents, minRuns, alpha, method: METHOD(minRuns, alpha) };
}

function stats(agent: string, variant: string, runs: RunSummary[]): VariantStats {
  const calls = runs.flatMap((r) => r.calls.filter((c) => c.agent === agent && c.status !== 'unfinished'));
  const ok = calls.filter((c) => c.status === 'succeeded');
  const latency = ok.map((c) => c.endAt! - c.startAt).sort((x, y) => x - y);
  const tps = ok.flatMap((c) => (c.tokensPerSecond === undefined ? [] : [c.tokensPerSecond]));
  const retries = calls.reduce((n, c) => n + c.retries, 0);
  return {
    agent,
    variant,
    runs: runs.length,
    calls: calls.length,
    succeeded: ok.length,
    failed: calls.length - ok.length,
    successRate: calls.length ? ok.length / calls.length : 0,
    latencyP50Ms: latency.length ? quantile(latency, 0.5) : undefined,
    latencyP95Ms: latency.length ? quantile(latency, 0.95) : undefined,
    tokensPerSecond: tps.length ? median(tps) : undefined,
    retries,
    retriesPerCall: calls.length ? retries / calls.length : 0,
  };
}

const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

function latencyTest(a: string, xa: number[], b: string, xb: number[], minRuns: number, alpha: number): TestResult {
  const test = 'Mann-Whitney U on per-run median latency';
  if (xa.length < minRuns || xb.length < minRuns) {
    return { test, alpha, verdict: `sample too small to call a winner: ${xa.length} and ${xb.length} runs (need ${minRuns} per variant)` };
  }
  const r = mannWhitneyU(xa, xb);
  const ma = median(xa);
  const mb = median(xb);
  if (r.p >= alpha) return { test, p: r.p, alpha, verdict: `no significant difference (U = ${r.u}, p = ${fmtP(r.p)} ≥ ${fmtP(alpha)})` };
  const winner = r.u < (xa.length * xb.length) / 2 ? a : b;
  return {
    test,
    p: r.p,
    alpha,
    winner,
    verdict: `${winner} is faster: median ${Math.round(winner === a ? ma : mb)} ms vs ${Math.round(winner === a ? mb : ma)} ms (U = ${r.u}, p = ${fmtP(r.p)} < ${fmtP(alpha)})`,
  };
}

function successTest(a: string, oa: boolean[], b: string, ob: boolean[], minRuns: number, alpha: number): TestResult {
  const test = 'two-proportion z-test on runs whose calls all succeeded';
  const sa = oa.filter(Boolean).length;
  const sb = ob.filter(Boolean).length;
  if (oa.length < minRuns || ob.length < minRuns) {
    return { test, alpha, verdict: `sample too small to call a winner: ${oa.length} and ${ob.length} runs (need ${minRuns} per variant)` };
  }
  const r = twoProportionZ(sa, oa.length, sb, ob.length);
  if (!r.valid) {
    return { test, p: r.p, alpha, verdict: `too few ${sa + sb > oa.length + ob.length - sa - sb ? 'failures' : 'successes'} to compare success rates (${sa}/${oa.length} vs ${sb}/${ob.length}; the test needs 5 expected of each per variant)` };
  }
  if (r.p >= alpha) return { test, p: r.p, alpha, verdict: `no significant difference (${sa}/${oa.length} vs ${sb}/${ob.length}, p = ${fmtP(r.p)} ≥ ${fmtP(alpha)})` };
  const winner = r.z > 0 ? a : b;
  return { test, p: r.p, alpha, winner, verdict: `${winner} succeeds more often (${sa}/${oa.length} vs ${sb}/${ob.length}, z = ${r.z.toFixed(2)}, p = ${fmtP(r.p)} < ${fmtP(alpha)})` };
}

/** The report as plain-text tables, for a terminal. */
export function formatVariantReport(r: VariantReport): string {
  const out: string[] = [`${r.runs} runs, ${r.runsWithVariants} with A/B variants`];
  if (r.agents.length === 0) out.push('no agent declared variants in these runs');
  const num = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));
  for (const a of r.agents) {
    out.push('', `agent ${a.agent}`);
    const rows = [
      ['variant', 'runs', 'calls', 'success', 'p50 ms', 'p95 ms', 'tokens/s', 'retries/call'],
      ...a.variants.map((v) => [v.variant, String(v.runs), String(v.calls), `${(v.successRate * 100).toFixed(1)}%`, num(v.latencyP50Ms), num(v.latencyP95Ms), num(v.tokensPerSecond, 1), v.retriesPerCall.toFixed(2)]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) out.push('  ' + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (a.comparisons.length === 0) out.push('  only one variant seen: nothing to compare');
    for (const c of a.comparisons) {
      out.push(`  ${c.a} vs ${c.b}`, `    latency: ${c.latency.verdict}`, `    success: ${c.success.verdict}`);
    }
  }
  out.push('', r.method);
  return out.join('\n') + '\n';
}
