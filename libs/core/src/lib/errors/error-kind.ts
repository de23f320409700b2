/**
 * The closed list of failure kinds every part of Flotilla reports. Adding a kind is a
 * breaking change: every mapper is a `Record<ErrorKind, ...>` (retry defaults below, the
 * CLI's exit codes, reports; HTTP statuses), so a new kind fails to compile until each
 * one says what it means there. docs/errors.md documents each kind.
 */
export const ERROR_KINDS = [
  'modelNotFound',
  'overloaded',
  'unavailable',
  'timeout',
  'aborted',
  'badRequest',
  'badOutput',
  'contextOverflow',
  'circuitOpen',
  'budgetExceeded',
  'config',
  'userCode',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Whether a kind is worth retrying unless the thrower says otherwise. */
export const DEFAULT_RETRYABLE: Readonly<Record<ErrorKind, boolean>> = {
  modelNotFound: false,
  overloaded: true,
  unavailable: true,
  timeout: true,
  aborted: false,
  badRequest: false,
  badOutput: true,
  contextOverflow: false,
  circuitOpen: true,
  budgetExceeded: false,
  config: false,
  // A bug in an agent's prompt()/result(), a step function or a template: asking the model
  // again cannot fix it, and it is not a server outage.
  userCode: false,
};
