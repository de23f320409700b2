import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeRun } from './run-summary';
import { TraceFileSink } from './trace-file.sink';
import { formatVariantReport, report, variantReport } from './variant-report';
import { reportCommand } from './report.command';
import { abRuns } from './testing/ab-runs';

const ROOT = join(__dirname, '../../../..');
let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-ab-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

async function writeRuns(runs: ReturnType<typeof abRuns>): Promise<string[]> {
  const sink = new TraceFileSink({ dir });
  for (const run of runs) run.forEach((e) => sink.next(e));
  await sink.flush();
  return sink.files;
}

describe('variant report', () => {
  it('calls a faster winner with enough runs and says which test decided it', async () => {
    const files = await writeRuns([...abRuns('a', 'fast', 15, 100), ...abRuns('b', 'slow', 15, 200)]);
    const r = await report(files);
    expect(r.runs).toBe(30);
    const [worker] = r.agents;
    expect(worker!.variants.map((v) => [v.variant, v.runs, v.calls, v.successRate])).toEqual([
      ['fast', 15, 30, 1],
      ['slow', 15, 30, 1],
    ]);
    const fast = worker!.variants[0]!;
    expect(fast.latencyP50Ms).toBeGreaterThan(100);
    expect(fast.latencyP95Ms).toBeGreaterThan(fast.latencyP50Ms!);
    expect(fast.tokensPerSecond).toBeGreaterThan(0);
    expect(fast.retries).toBe(4); // runs 0, 4, 8, 12
    const [cmp] = worker!.comparisons;
    expect(cmp!.latency.winner).toBe('fast');
    expect(cmp!.latency.p).toBeLessThan(0.001);
    expect(cmp!.latency.verdict).toMatch(/^fast is faster: median \d+ ms vs \d+ ms \(U = \d+, p = .+ < 0\.050\)$/);
    expect(cmp!.success.verdict).toMatch(/^too few failures to compare success rates/);
    const text = formatVariantReport(r);
    expect(text).toContain('agent worker');
    expect(text).toContain('fast is faster');
    expect(text).toContain('Mann-Whitney U');
  });

  it('refuses to call a winner on a small sample, however large the gap', () => {
    const runs = [...abRuns('a', 'fast', 4, 100), ...abRuns('b', 'slow', 6, 400)].map((e) => summarizeRun(e));
    const [cmp] = variantReport(runs).agents[0]!.comparisons;
    expect(cmp!.latency.winner).toBeUndefined();
    expect(cmp!.latency.verdict).toBe('sample too small to call a winner: 4 and 6 runs (need 10 per variant)');
    expect(cmp!.success.verdict).toMatch(/^sample too small/);
  });

  it('compares success rates per run and reports no difference when there is none', () => {
    const runs = [...abRuns('a', 'x', 40, 100, 2), ...abRuns('b', 'y', 40, 100, 0)].map((e) => summarizeRun(e));
    const r = variantReport(runs);
    const [x, y] = r.agents[0]!.variants;
    expect(x!.successRate).toBeCloseTo(60 / 80);
    expect(y!.successRate).toBe(1);
    const [cmp] = r.agents[0]!.comparisons;
    expect(cmp!.success.winner).toBe('y');
    expect(cmp!.success.verdict).toMatch(/^y succeeds more often \(20\/40 vs 40\/40, z = -?\d/);
    expect(cmp!.latency.winner).toBeUndefined();
    expect(cmp!.latency.verdict).toMatch(/^no significant difference/);
  });

  it('splits alpha across pairs when an agent has three variants', () => {
    const runs = [...abRuns('a', 'p', 12, 100), ...abRuns('b', 'q', 12, 100), ...abRuns('c', 'r', 12, 300)].map((e) => summarizeRun(e));
    const { comparisons } = variantReport(runs).agents[0]!;
    expect(comparisons.map((c) => `${c.a}-${c.b}`)).toEqual(['p-q', 'p-r', 'q-r']);
    expect(comparisons[0]!.latency.alpha).toBeCloseTo(0.05 / 3);
  });

  it('runs as a function and as a command', async () => {
    const files = await writeRuns([...abRuns('a', 'fast', 3, 100), ...abRuns('b', 'slow', 3, 200)]);
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    expect(await reportCommand([dir, '--json'], io)).toBe(0);
    expect(JSON.parse(out.join('')).agents[0].variants).toHaveLength(2);
    const html = join(dir, 'report.html');
    expect(await reportCommand([dir, '--html', html], io)).toBe(0);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect((page.match(/class="run"/g) ?? []).length).toBe(6);
    expect(await reportCommand([], io)).toBe(2);
    expect(await reportCommand(['--min-runs', 'x', files[0]!], io)).toBe(2);
    expect(err.join('')).toContain('--min-runs: expected a whole number >= 1, got "x"');
    // --flag=value as flotilla run takes it; values out of range and unknown flags refused, naming the flag.
    out.length = 0;
    expect(await reportCommand([dir, '--json', '--min-runs=3', '--alpha=0.1'], io)).toBe(0);
    expect(JSON.parse(out.join('')).agents[0].comparisons[0].latency.alpha).toBeCloseTo(0.1);
    expect(await reportCommand([dir, '--alpha', '7'], io)).toBe(2);
    expect(err.join('')).toContain('--alpha: expected a number > 0 and < 1, got "7"');
    expect(await reportCommand([dir, '--jsno'], io)).toBe(2);
    expect(err.join('')).toContain('--jsno: unknown flag for flotilla report; did you mean --json?');
    expect(await reportCommand([dir, '--html', dir], io)).toBe(2);
    expect(err.join('')).toContain(`--html ${dir}: is a directory; expected the path of an .html file to write`);

    const child = spawn(process.execPath, [join(ROOT, 'tools/scripts/run-ts.cjs'), 'libs/observability/src/bin/flotilla-report.ts', ...files], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('6 runs, 6 with A/B variants');
    expect(stdout).toContain('sample too small to call a winner: 3 and 3 runs (need 10 per variant)');
  }, 30_000);
});
