/** The first line of every run in a trace file; the run's events follow, one JSON object a line. */
export interface TraceHeader {
  type: 'trace.header';
  /** `TRACE_FILE_VERSION` when written; the reader also reads version 1 (see `parseTraceFile`). */
  version: number;
  runId: string;
  chain: string;
  /** Wall-clock time of `run.start` (epoch ms); every event's `at` counts from it. */
  startedAt: number;
  /** The process that wrote the run. */
  pid: number;
}

/**
 * 2: step events carry `key` / `parentKey` / `name` (stable step keys), the step error
 * event is `step.error`, run ids are time-ordered UUIDs. 1: span ids (`id` / `parentId`,
 * in completion order), `step`, `error`.
 */
export const TRACE_FILE_VERSION = 2;
export const TRACE_FILE_EXTENSION = '.jsonl';
