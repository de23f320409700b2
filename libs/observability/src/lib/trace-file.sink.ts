import { appendFile, close, mkdirSync, openSync, write } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent, RunEndEvent, RunStartEvent } from '@flotilla/core';
import { redact, redactText } from './redact';
import { TRACE_FILE_EXTENSION, TRACE_FILE_VERSION, type TraceHeader } from './trace-file.format';

/** @default 64 */
export const DEFAULT_TRACE_FLUSH_LINES = 64;
/** Paths kept in `files` (the oldest are dropped). @default 10_000 */
export const TRACE_FILES_KEPT = 10_000;

export interface TraceFileSinkOptions {
  /** Directory for the trace files (created when missing). */
  dir: string;
  /**
   * - `perRun`: one `<time>-<chain>-<runId>.jsonl` per run (run ids are unique across
   *   processes and machines).
   * - `shared`: one file per sink, named after its first run (`<time>-<runId>.jsonl`), every
   *   run appended (each starts with its header line; the reader splits them). Creating a
   *   file costs the kernel far more than appending to an open one: choose this for many
   *   short runs.
   * @default 'perRun'
   */
  layout?: 'perRun' | 'shared';
  /** Keep `token` events (they are many). @default false */
  tokens?: boolean;
  /**
   * Step outputs kept in `step.end` lines: `'calls'` keeps what each agent call produced
   * and leaves out structural steps' and the run's output (assembled from the calls'
   * outputs: they would double the file); `true` keeps all; `false` none.
   * @default 'calls'
   */
  outputs?: boolean | 'calls';
  /** Write a run's pending events once this many are waiting (and always at `run.end`). @default 64 */
  flushLines?: number;
  /** Wall clock (epoch ms) read at `run.start`. @default Date.now */
  now?: () => number;
  /** Where write failures go. @default a process warning */
  onError?: (error: unknown) => void;
}

interface RunFile {
  path: string;
  /** Events not yet written; serialised when written, off the event's own path. */
  pending: RunEvent[];
  header: TraceHeader | undefined;
  /** A write of this file is under way; `next` chunks wait for it, keeping lines in order. */
  busy: boolean;
  queued: string[];
}

/**
 * Writes each run's events as JSON lines to a file of its own, for `report` and the HTML
 * report to read later. Events are kept by reference and serialised in chunks (at
 * `run.end`, or every `flushLines` events of a long run), appended in order with no
 * promise per write; a crash leaves at worst a truncated last line, which the reader
 * skips. Secrets are masked: error details and the run input by key name, every chunk by
 * pattern.
 */
export class TraceFileSink {
  private readonly runs = new Map<string, RunFile>();
  private readonly flushLines: number;
  private readonly tokens: boolean;
  private readonly outputs: boolean | 'calls';
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private dirMade = false;
  private writing = 0;
  private idle: (() => void)[] = [];
  /** Files with events to write at the next turn of the event loop. */
  private due: RunFile[] = [];
  private scheduled = false;
  private readonly shared: boolean;
  private sharedFd: number | undefined;
  private sharedQueue = '';
  private sharedBusy = false;
  /** Paths of the files written, in run order (the last 10,000). */
  readonly files: string[] = [];

  constructor(private readonly options: TraceFileSinkOptions) {
    this.flushLines = options.flushLines ?? DEFAULT_TRACE_FLUSH_LINES;
    this.tokens = options.tokens ?? false;
    this.outputs = options.outputs ?? 'calls';
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((e) => process.emitWarning(`flotilla trace file: ${String(e)}`));
    this.shared = options.layout === 'shared';
  }

  next(event: RunEvent): void {
    if (event.type === 'run.start') return this.open(event);
    const file = this.runs.get(event.runId);
    if (!file || ((event.type === 'token' || event.type === 'tool.delta') && !this.tokens)) return;
    file.pending.push(event);
    if (event.type === 'run.end') {
      this.runs.delete(event.runId);
      this.schedule(file);
    } else if (file.pending.length === this.flushLines) this.schedule(file);
  }

  /** The run will not end (its events stopped short): what was received is written, the file stays without `run.end`. */
  abandon(runId: string): void {
    const file = this.runs.get(runId);
    if (!file) return;
    this.runs.delete(runId);
    this.schedule(file);
  }

  /** Resolves once every event received so far is on disk. */
  flush(): Promise<void> {
    this.due.push(...this.runs.values());
    this.writeDue();
    return this.writing === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  /** Flushes, then closes the shared file (a later run opens a new one). */
  async close(): Promise<void> {
    await this.flush();
    const fd = this.sharedFd;
    this.sharedFd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => close(fd, () => resolve()));
  }

  /** Serialising and writing wait for the next turn of the event loop: never on the run's own path. */
  private schedule(file: RunFile): void {
    this.due.push(file);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeDue());
    }
  }

  private writeDue(): void {
    this.scheduled = false;
    const due = this.due;
    this.due = [];
    if (!this.shared) {
      for (const file of due) this.write(file);
      return;
    }
    // One write for every run that is due, appended in order to the one open file.
    for (const file of due) this.sharedQueue += this.serialise(file);
    if (!this.sharedBusy) this.writeShared();
  }

  private writeShared(): void {
    if (this.sharedQueue === '') return;
    const fd = this.sharedFd!;
    const buf = Buffer.from(redactText(this.sharedQueue));
    this.sharedQueue = '';
    this.sharedBusy = true;
    this.writing++;
    const done = (err: Error | null, written?: number): void => {
      if (err) this.onError(err);
      else if (written !== undefined && written < buf.length) return void write(fd, buf, written, buf.length - written, null, (e, n) => done(e, n === undefined ? n : written + n));
      this.sharedBusy = false;
      this.writing--;
      if (this.sharedQueue !== '') return this.writeShared();
      if (this.writing === 0) for (const resolve of this.idle.splice(0)) resolve();
    };
    write(fd, buf, 0, buf.length, null, done);
  }

  private open(event: RunStartEvent): void {
    if (!this.dirMade) {
      mkdirSync(this.options.dir, { recursive: true });
      this.dirMade = true;
    }
    const startedAt = this.now();
    let path: string;
    if (this.shared) {
      if (this.sharedFd === undefined) {
        path = join(this.options.dir, `${fileStamp(startedAt)}-${safe(event.runId, 128)}${TRACE_FILE_EXTENSION}`);
        this.sharedFd = openSync(path, 'a');
        this.files.push(path);
      } else path = this.files[this.files.length - 1]!;
    } else {
      path = join(this.options.dir, `${fileStamp(startedAt)}-${safe(event.chain, 40)}-${safe(event.runId, 128)}${TRACE_FILE_EXTENSION}`);
      if (this.files.push(path) > TRACE_FILES_KEPT) this.files.splice(0, this.files.length - TRACE_FILES_KEPT);
    }
    const header: TraceHeader = { type: 'trace.header', version: TRACE_FILE_VERSION, runId: event.runId, chain: event.chain, startedAt, pid: process.pid };
    this.runs.set(event.runId, { path, pending: [event], header, busy: false, queued: [] });
  }

  private serialise(file: RunFile): string {
    if (file.pending.length === 0) return '';
    let chunk = file.header ? JSON.stringify(file.header) + '\n' : '';
    file.header = undefined;
    for (const e of file.pending) chunk += this.line(e) + '\n';
    file.pending = [];
    return chunk;
  }

  private write(file: RunFile): void {
    const chunk = this.serialise(file);
    if (chunk === '') return;
    if (file.busy) file.queued.push(redactText(chunk));
    else this.append(file, redactText(chunk));
  }

  private append(file: RunFile, chunk: string): void {
    file.busy = true;
    this.writing++;
    appendFile(file.path, chunk, (err) => {
      if (err) this.onError(err);
      const next = file.queued.shift();
      if (next !== undefined) {
        this.writing--;
        return this.append(file, next);
      }
      file.busy = false;
      if (--this.writing === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  private line(e: RunEvent): string {
    switch (e.type) {
      case 'run.start':
        return JSON.stringify({ ...e, input: redact(e.input) });
      case 'step.end':
        return JSON.stringify(this.outputs === true || (this.outputs === 'calls' && e.kind === 'call') ? e : { ...e, output: undefined });
      case 'retry':
      case 'step.error':
      case 'tool.call':
      case 'tool.result':
        return JSON.stringify(redact(e));
      case 'run.end':
        return JSON.stringify(slimEnd(e, this.outputs === true));
      case 'run.waiting':
        // The value under review is a step's output: left out when outputs are (outputs: false).
        return JSON.stringify(redact(this.outputs === false ? { ...e, question: { ...e.question, value: undefined } } : e));
      default:
        return JSON.stringify(e);
    }
  }
}

/** `run.end` without what the file already holds (the trace and the completed steps). */
function slimEnd(event: RunEndEvent, output: boolean): unknown {
  const { trace: _trace, steps: _steps, output: out, ...rest } = event.result;
  return { ...event, result: redact(output ? { ...rest, output: out } : rest) };
}

function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

/** A file-name part: a caller's run id may hold `:`, which some file systems refuse. */
function safe(name: string, max: number): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, max) || '_';
}
