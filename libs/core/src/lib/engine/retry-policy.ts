import { FlotillaError } from '../errors/flotilla-error';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff ceiling; doubles each attempt. @default 250 */
  baseDelayMs?: number;
  /** @default 10_000 */
  maxDelayMs?: number;
  /** In [0, 1); full jitter draws the delay uniformly below the ceiling. @default Math.random */
  random?: () => number;
  /** Errors for which no backoff is needed (e.g. invalid output: ask again at once). */
  immediate?: (error: FlotillaError) => boolean;
}

export const DEFAULT_RETRY_BASE_MS = 250;
export const DEFAULT_RETRY_MAX_MS = 10_000;

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The one retry decision of the engine: the delay before retry number `attempt`
 * (1-based), or undefined when the error must not be retried (foreign errors,
 * non-retryable kinds, budget spent).
 */
export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  if (attempt > policy.retries || !FlotillaError.is(error) || !error.retryable) return undefined;
  if (policy.immediate?.(error)) return 0;
  return backoffDelay(attempt, policy.baseDelayMs ?? DEFAULT_RETRY_BASE_MS, policy.maxDelayMs ?? DEFAULT_RETRY_MAX_MS, policy.random ?? Math.random);
}
