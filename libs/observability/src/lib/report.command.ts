import { stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlotillaError, numberFlag, parseFlags } from '@flotilla/core';
import { formatVariantReport, variantReport } from './variant-report';
import { readRunSummaries } from './trace-file.reader';
import { renderHtmlReport } from './html-report';

export const REPORT_USAGE = `usage: flotilla-report [--json] [--html <out.html>] [--min-runs <n>] [--alpha <p>] <trace files or directories...>

Compares the A/B variants recorded in Flotilla trace files (latency p50/p95, success rate,
tokens/s, retries) and says whether the sample is large enough to call a winner.
  --json            print the report as JSON
  --html <file>     also write a self-contained HTML report (timelines and charts)
  --min-runs <n>    runs per variant before a winner is called, a whole number >= 1 (default 10)
  --alpha <p>       significance level across an agent's variant pairs, between 0 and 1 (default 0.05)
Flags take --flag value or --flag=value.
Exit codes: 0 reported, 1 no runs found or a trace unreadable, 2 bad arguments.
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
  let files: string[];
  let json: boolean;
  let html: string | undefined;
  let minRuns: number | undefined;
  let alpha: number | undefined;
  try {
    const { values, positionals } = parseFlags('flotilla report', argv, {
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
      'min-runs': { type: 'string' },
      alpha: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(REPORT_USAGE);
      return 0;
    }
    files = positionals;
    json = values.json;
    html = values.html;
    minRuns = values['min-runs'] === undefined ? undefined : numberFlag('--min-runs', values['min-runs'], { min: 1, minInclusive: true, integer: true });
    alpha = values.alpha === undefined ? undefined : numberFlag('--alpha', values.alpha, { min: 0, max: 1, maxInclusive: false });
    if (html !== undefined) await checkHtmlTarget(html);
  } catch (e) {
    if (!FlotillaError.is(e, 'config')) throw e;
    io.stderr(`flotilla report: ${e.message}\n`);
    return 2;
  }
  if (files.length === 0) {
    io.stderr(`flotilla report: no trace files given\n${REPORT_USAGE}`);
    return 2;
  }
  let runs;
  try {
    runs = await readRunSummaries(files);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    io.stderr(`flotilla report: ${err.path ?? files.join(', ')}: cannot read it (${err.code ?? err.message})\n`);
    return 1;
  }
  if (runs.length === 0) {
    io.stderr(`flotilla report: no runs in ${files.join(', ')}\n`);
    return 1;
  }
  const result = variantReport(runs, { minRuns, alpha });
  io.stdout(json ? JSON.stringify(result, null, 2) + '\n' : formatVariantReport(result));
  if (html !== undefined) {
    try {
      await writeFile(html, renderHtmlReport(runs, result));
    } catch (e) {
      io.stderr(`flotilla report: --html ${html}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`);
      return 1;
    }
    io.stderr(`wrote ${html}\n`);
  }
  return 0;
}

/** `--html` names a file to write, in a folder that exists: said before the traces are read. */
async function checkHtmlTarget(file: string): Promise<void> {
  const fail = (why: string) => new FlotillaError('config', `--html ${file}: ${why}; expected the path of an .html file to write`, { details: { flag: '--html' } });
  const kind = await stat(file).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => 'none');
  if (kind === 'dir') throw fail('is a directory');
  const parent = await stat(dirname(file)).then((s) => s.isDirectory(), () => false);
  if (!parent) throw fail(`its folder ${dirname(file)} does not exist`);
}
