import { FlotillaError } from '@flotilla/core';

/** Exit codes of `flotilla`, one meaning each (scripts branch on them). */
export const EXIT = {
  ok: 0,
  /** The run failed (bad output, timeouts, budgets), or `validate` found errors. */
  failed: 1,
  /** Bad command line, configuration, chain file or input: nothing ran. */
  usage: 2,
  /** No model could be reached (server down, model not found, circuit open). */
  unavailable: 3,
  /** Cancelled (Ctrl-C). */
  cancelled: 130,
} as const;

const UNREACHABLE = new Set(['unavailable', 'modelNotFound', 'circuitOpen']);

/** The exit code for an error kind of a failed run. */
export function exitCodeOf(kind: string | undefined): number {
  if (kind === 'aborted') return EXIT.cancelled;
  if (kind === 'config') return EXIT.usage;
  return kind !== undefined && UNREACHABLE.has(kind) ? EXIT.unavailable : EXIT.failed;
}

export function exitCodeOfError(e: unknown): number {
  return FlotillaError.is(e) ? exitCodeOf(e.kind) : EXIT.failed;
}
