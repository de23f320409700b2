/** The first line of every run in a trace file; the run's events follow, one JSON object a line. */
export interface TraceHeader {
  type: 'trace.header';
  version: typeof TRACE_FILE_VERSION;
  runId: string;
  chain: string;
  /** Wall-clock time of `run.start` (epoch ms); every event's `at` counts from it. */
  startedAt: number;
  pid: number;
}

export const TRACE_FILE_VERSION = 1;
export const TRACE_FILE_EXTENSION = '.jsonl';
