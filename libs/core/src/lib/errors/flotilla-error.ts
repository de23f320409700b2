import { DEFAULT_RETRYABLE, type ErrorKind } from './error-kind';

const BRAND = Symbol.for('@flotilla/core/FlotillaError');

export interface FlotillaErrorOptions {
  /** Overrides the kind's default (see `DEFAULT_RETRYABLE`). */
  retryable?: boolean;
  cause?: unknown;
  /** Structured facts about the failure (model, endpoint, phase, raw reply...). Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * The one error type of Flotilla. Check with `FlotillaError.is(e)`, not `instanceof`:
 * two installed copies of the library break `instanceof`, the brand symbol does not.
 */
export class FlotillaError extends Error {
  readonly [BRAND] = true;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: ErrorKind, message: string, options: FlotillaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlotillaError';
    this.kind = kind;
    this.retryable = options.retryable ?? DEFAULT_RETRYABLE[kind];
    this.details = options.details ?? {};
  }

  static is(value: unknown, kind?: ErrorKind): value is FlotillaError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (kind === undefined || (value as FlotillaError).kind === kind)
    );
  }

  /** Wraps anything thrown into a FlotillaError, keeping FlotillaErrors as they are. */
  static from(value: unknown, fallback: ErrorKind = 'unavailable', details?: Record<string, unknown>): FlotillaError {
    if (FlotillaError.is(value)) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new FlotillaError(fallback, message, { cause: value, details });
  }

  /** A copy with other retryability or extra details; the original stays the cause chain's head. */
  with(options: { retryable?: boolean; details?: Record<string, unknown> }): FlotillaError {
    return new FlotillaError(this.kind, this.message, {
      retryable: options.retryable ?? this.retryable,
      cause: this.cause,
      details: { ...this.details, ...options.details },
    });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, kind: this.kind, message: this.message, retryable: this.retryable, details: this.details };
  }
}
