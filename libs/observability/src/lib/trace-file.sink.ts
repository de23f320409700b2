import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent, RunEndEvent } from '@flotilla/core';
import { redact, redactText } from './redact';
import { TRACE_FILE_EXTENSION, TRACE_FILE_VERSION, type TraceHeader } from './trace-file.format';

/** @default 64 */
export const DEFAULT_TRACE_FLUSH_LINES = 64;

export interface TraceFileSinkOptions {
  /** Directory for the trace files (created when missing): one `<time>-<chain>-<runId>-<pid>.jsonl` per run. */
  dir: string;
  /** Keep `token` events (they are many). @default false */
  tokens?: boolean;
  /** Keep step outputs in `step.end` lines. @default true */
  outputs?: boolean;
  /** Write a run's buffered lines once this many are pending (and always at `run.end`). @default 64 */
  flushLines?: number;
  /** Wall clock (epoch ms) read at `run.start`. @default Date.now */
  now?: () => number;
  /** Where write failures go. @default a process warning */
  onError?: (error: unknown) => void;
}

interface RunFile {
  path: string;
  buf: string;
  lines: number;
  write: Promise<void>;
}

/**
 * Writes each run's events as JSON lines to a file of its own, for `report` and the HTML
 * report to read later. Lines are buffered per run and appended in order off the hot
 * path; a crash leaves at worst a truncated last line, which the reader skips. Secrets
 * are masked (error details and the run input by key name, every line by pattern).
 */
export class TraceFileSink {
  private readonly runs = new Map<string, RunFile>();
  private readonly pending = new Set<Promise<void>>();
  private readonly flushLines: number;
  private readonly tokens: boolean;
  private readonly outputs: boolean;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private dirReady: Promise<unknown> | undefined;
  /** Paths of the files written so far, in run order. */
  readonly files: string[] = [];

  constructor(private readonly options: TraceFileSinkOptions) {
    this.flushLines = options.flushLines ?? DEFAULT_TRACE_FLUSH_LINES;
    this.tokens = options.tokens ?? false;
    this.outputs = options.outputs ?? true;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((e) => process.emitWarning(`flotilla trace file: ${String(e)}`));
  }

  next(event: RunEvent): void {
    let file = this.runs.get(event.runId);
    if (event.type === 'run.start') {
      const startedAt = this.now();
      const header: TraceHeader = { type: 'trace.header', version: TRACE_FILE_VERSION, runId: event.runId, chain: event.chain, startedAt, pid: process.pid };
      const path = join(this.options.dir, `${fileStamp(startedAt)}-${safe(event.chain)}-${event.runId}-${process.pid}${TRACE_FILE_EXTENSION}`);
      file = { path, buf: '', lines: 0, write: (this.dirReady ??= mkdir(this.options.dir, { recursive: true })).then(() => undefined) };
      this.runs.set(event.runId, file);
      this.files.push(path);
      this.append(file, JSON.stringify(header));
      this.append(file, JSON.stringify({ ...event, input: redact(event.input) }));
      return;
    }
    if (!file) return;
    switch (event.type) {
      case 'token':
        if (!this.tokens) return;
        this.append(file, JSON.stringify(event));
        return;
      case 'step.end':
        this.append(file, JSON.stringify(this.outputs ? event : { ...event, output: undefined }));
        return;
      case 'retry':
      case 'error':
        this.append(file, JSON.stringify(redact(event)));
        return;
      case 'run.end':
        this.append(file, JSON.stringify(slimEnd(event)));
        this.runs.delete(event.runId);
        this.write(file);
        return;
      default:
        this.append(file, JSON.stringify(event));
    }
  }

  /** Resolves once every line received so far is on disk. */
  async flush(): Promise<void> {
    for (const file of this.runs.values()) this.write(file);
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private append(file: RunFile, line: string): void {
    file.buf += redactText(line) + '\n';
    if (++file.lines >= this.flushLines) this.write(file);
  }

  private write(file: RunFile): void {
    if (file.buf === '') return;
    const chunk = file.buf;
    file.buf = '';
    file.lines = 0;
    const p = file.write.then(() => appendFile(file.path, chunk)).catch(this.onError);
    file.write = p;
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }
}

/** `run.end` without what the file already holds (the trace and the completed steps). */
function slimEnd(event: RunEndEvent): unknown {
  const { trace: _trace, steps: _steps, ...rest } = event.result;
  return { ...event, result: redact(rest) };
}

function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'chain';
}
