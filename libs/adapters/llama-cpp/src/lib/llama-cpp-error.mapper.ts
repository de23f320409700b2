import { Errors, FlotillaError } from '@flotilla/core';

/**
 * Anything the engine throws, as a FlotillaError. Our own checks (missing model file,
 * overflow, queue limit, grammar) throw FlotillaErrors already; an AbortError is a
 * cancellation; anything else from the native engine is `unavailable` (retryable).
 * Duck-typed: node-llama-cpp may live in another realm (jest), where `instanceof Error` fails.
 */
export function toFlotillaError(error: unknown, ctx: { model?: string }): FlotillaError {
  if (FlotillaError.is(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown };
  if (e.name === 'AbortError') return Errors.aborted('model call', error);
  const message = typeof e.message === 'string' ? e.message : String(error);
  return new FlotillaError('unavailable', `embedded engine failed${ctx.model ? ` for '${ctx.model}'` : ''}: ${message}`, {
    cause: error,
    details: { ...(ctx.model ? { model: ctx.model } : {}) },
  });
}
