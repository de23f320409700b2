import { type ErrorKind, FlotillaError } from '@flotilla/core';

/** Exit codes of `flotilla`, one meaning each (scripts branch on them). docs/errors.md lists them per error kind. */
export const EXIT = {
  ok: 0,
  /** The run failed (bad output, timeouts, budgets, an error in user code), or `validate` found errors. */
  failed: 1,
  /** Bad command line, configuration, chain file or input: nothing ran. */
  usage: 2,
  /** No model could be reached (server down, model not found, circuit open). */
  unavailable: 3,
  /** The run waits for a person (a human step): answer it with `flotilla runs answer <id>`. Not an error. */
  waiting: 4,
  /** Cancelled by Ctrl-C (SIGINT): 128 + 2. */
  cancelled: 130,
  /** Cancelled by SIGTERM (a service manager, `kill`): 128 + 15. */
  terminated: 143,
} as const;

/** The exit code of a run that failed with each kind (a new kind does not compile until it is mapped here). */
export const EXIT_CODE_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  modelNotFound: EXIT.unavailable,
  overloaded: EXIT.failed,
  unavailable: EXIT.unavailable,
  timeout: EXIT.failed,
  aborted: EXIT.cancelled,
  badRequest: EXIT.failed,
  badOutput: EXIT.failed,
  contextOverflow: EXIT.failed,
  circuitOpen: EXIT.unavailable,
  budgetExceeded: EXIT.failed,
  config: EXIT.usage,
  userCode: EXIT.failed,
};

/** The exit code for an error kind of a failed run (an unknown kind: failed). */
export function exitCodeOf(kind: string | undefined): number {
  return kind !== undefined && Object.hasOwn(EXIT_CODE_OF_KIND, kind) ? EXIT_CODE_OF_KIND[kind as ErrorKind] : EXIT.failed;
}

export function exitCodeOfError(e: unknown): number {
  return FlotillaError.is(e) ? exitCodeOf(e.kind) : EXIT.failed;
}
