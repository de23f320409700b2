import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '@flotilla/core';
import { summarizeRun, type RunSummary } from './run-summary';
import { TRACE_FILE_EXTENSION, type TraceHeader } from './trace-file.format';

/** One run read back from a trace file. */
export interface TraceRun {
  file: string;
  runId: string;
  header?: TraceHeader;
  events: RunEvent[];
  /** The file holds the run's `run.end`. */
  complete: boolean;
}

export interface TraceFile {
  path: string;
  runs: TraceRun[];
  /** The last line was cut short (a crash mid-write) and was left out. */
  truncated: boolean;
  /** Lines that were not trace records, left out (1-based line numbers). */
  skipped: { line: number; reason: string }[];
}

/** Reads a JSON-lines trace file; a file may hold several runs (each begins with its header). */
export async function readTraceFile(path: string): Promise<TraceFile> {
  return parseTraceFile(path, await readFile(path, 'utf8'));
}

/**
 * Parses trace-file text; robust to a truncated last line and to stray lines. Runs written
 * in format version 1 (span ids) are read into today's events: a span id stands in for the
 * step key (unique within its run, but not stable across runs) and `error` becomes `step.error`.
 */
export function parseTraceFile(path: string, text: string): TraceFile {
  const out: TraceFile = { path, runs: [], truncated: false, skipped: [] };
  const byRun = new Map<string, TraceRun>();
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let rec: { type?: unknown; runId?: unknown; key?: unknown; id?: unknown };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch (e) {
      if (i === lines.length - 1 && !endsClean) out.truncated = true;
      else out.skipped.push({ line: i + 1, reason: (e as Error).message });
      continue;
    }
    if (typeof rec !== 'object' || rec === null || typeof rec.type !== 'string' || typeof rec.runId !== 'string') {
      out.skipped.push({ line: i + 1, reason: 'not a trace record' });
      continue;
    }
    let run = byRun.get(rec.runId);
    if (!run || (rec.type === 'trace.header' && run.events.length > 0)) {
      run = { file: path, runId: rec.runId, events: [], complete: false };
      byRun.set(rec.runId, run);
      out.runs.push(run);
    }
    if (rec.type === 'trace.header') run.header = rec as TraceHeader;
    else {
      // Only version 1 events have a string `id` without a `key` (step events have a key, run events neither).
      run.events.push(typeof rec.key !== 'string' && typeof rec.id === 'string' ? fromVersion1(rec as unknown as Version1Event) : (rec as RunEvent));
      if (rec.type === 'run.end') run.complete = true;
    }
  }
  return out;
}

/** An event as trace format version 1 wrote it. */
type Version1Event = Record<string, unknown> & { type: string; runId: string; id: string; parentId?: string; step?: string; kind?: string };

function fromVersion1(v1: Version1Event): RunEvent {
  const { id, parentId, step, ...rest } = v1;
  if (rest.type === 'run.start' || rest.type === 'run.end') return rest as unknown as RunEvent;
  const out: Record<string, unknown> = { ...rest, type: rest.type === 'error' ? 'step.error' : rest.type, key: id };
  // The root step's parent was the run's own span, whose id was the run id.
  if (parentId !== undefined && parentId !== v1.runId) out['parentKey'] = parentId;
  if (step !== undefined) out['name'] = step;
  return out as unknown as RunEvent;
}

/** Expands directories to the trace files in them (sorted), keeps plain paths. */
export async function expandTracePaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith(TRACE_FILE_EXTENSION)).sort();
      files.push(...names.map((n) => join(p, n)));
    } else files.push(p);
  }
  return files;
}

/** Every run in the given files and directories, summarised (calls, variants, status). */
export async function readRunSummaries(paths: readonly string[]): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const path of await expandTracePaths(paths)) {
    for (const run of (await readTraceFile(path)).runs) runs.push(summarizeRun(run.events, run.header?.startedAt));
  }
  return runs;
}
