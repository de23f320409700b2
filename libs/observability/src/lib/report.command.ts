import { writeFile } from 'node:fs/promises';
import { formatVariantReport, variantReport } from './variant-report';
import { readRunSummaries } from './trace-file.reader';
import { renderHtmlReport } from './html-report';

export const REPORT_USAGE = `usage: flotilla-report [--json] [--html <out.html>] [--min-runs <n>] [--alpha <p>] <trace files or directories...>

Compares the A/B variants recorded in Flotilla trace files (latency p50/p95, success rate,
tokens/s, retries) and says whether the sample is large enough to call a winner.
  --json            print the report as JSON
  --html <file>     also write a self-contained HTML report (timelines and charts)
  --min-runs <n>    runs per variant before a winner is called (default 10)
  --alpha <p>       significance level across an agent's variant pairs (default 0.05)
`;

export interface ReportIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * The `report` command: parses arguments, reads the traces, prints the comparison.
 * Resolves with the exit code (0 ok, 1 no runs found or unreadable, 2 bad arguments),
 * so a CLI can hand its arguments straight over.
 */
export async function reportCommand(argv: readonly string[], io: ReportIO = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }): Promise<number> {
  const files: string[] = [];
  let json = false;
  let html: string | undefined;
  let minRuns: number | undefined;
  let alpha: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--json') json = true;
      else if (a === '--html') html = value();
      else if (a === '--min-runs') minRuns = positive(a, value(), true);
      else if (a === '--alpha') alpha = positive(a, value(), false);
      else if (a === '-h' || a === '--help') {
        io.stdout(REPORT_USAGE);
        return 0;
      } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
      else files.push(a);
    } catch (e) {
      io.stderr(`flotilla-report: ${(e as Error).message}\n${REPORT_USAGE}`);
      return 2;
    }
  }
  if (files.length === 0) {
    io.stderr(`flotilla-report: no trace files given\n${REPORT_USAGE}`);
    return 2;
  }
  let runs;
  try {
    runs = await readRunSummaries(files);
  } catch (e) {
    io.stderr(`flotilla-report: ${(e as Error).message}\n`);
    return 1;
  }
  if (runs.length === 0) {
    io.stderr(`flotilla-report: no runs in ${files.join(', ')}\n`);
    return 1;
  }
  const result = variantReport(runs, { minRuns, alpha });
  io.stdout(json ? JSON.stringify(result, null, 2) + '\n' : formatVariantReport(result));
  if (html !== undefined) {
    await writeFile(html, renderHtmlReport(runs, result));
    io.stderr(`wrote ${html}\n`);
  }
  return 0;
}

function positive(flag: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${flag}: expected a ${integer ? 'whole ' : ''}number > 0, got "${v}"`);
  return n;
}
