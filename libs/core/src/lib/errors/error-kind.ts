/**
 * The closed list of failure kinds every part of Flotilla reports. Adding a kind is a
 * breaking change: routers, retry policies and reports switch over this list.
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
};
