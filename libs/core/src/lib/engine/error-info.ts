import type { ErrorInfo } from '../events/run-event';
import { FlotillaError } from '../errors/flotilla-error';

export function toErrorInfo(error: unknown): ErrorInfo {
  const e = FlotillaError.from(error);
  return { kind: e.kind, message: e.message, retryable: e.retryable, details: e.details };
}
