/**
 * A request's wall-clock deadline passed. Carries what was asked (`path`) and the limit, so
 * the adapter that maps it to a `timeout` FlotillaError can say which call on which server.
 */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';

  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`${path} did not finish within ${timeoutMs} ms`);
  }

  /** Checked by name (and along the cause chain): two installed copies break `instanceof`. */
  static find(error: unknown): RequestTimeoutError | undefined {
    for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
      if ((e as { name?: unknown }).name === 'RequestTimeoutError') return e as RequestTimeoutError;
    }
    return undefined;
  }
}

/**
 * Runs `request` with a signal that aborts when the caller's `signal` does or when
 * `timeoutMs` of wall-clock time have passed, whichever comes first. `request` must read the
 * whole response body before it settles: aborting destroys the socket mid-body, so a server
 * that trickles its answer cannot stretch the deadline. On the deadline it rejects with a
 * `RequestTimeoutError` (whatever `request` itself threw becomes its cause); on the caller's
 * abort, with an `AbortError` (however the abort surfaced: a socket torn down mid-body
 * reads as a reset). The one deadline mechanism of every metadata call (model lists,
 * probes, context-window lookups, embeddings).
 */
export async function withRequestDeadline<T>(
  path: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timeout = new RequestTimeoutError(path, timeoutMs);
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  const onAbort = () => controller.abort(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await request(controller.signal);
  } catch (error) {
    if (controller.signal.reason === timeout) {
      if (error !== timeout) Object.defineProperty(timeout, 'cause', { value: error, configurable: true });
      throw timeout;
    }
    if (signal?.aborted && (error as { name?: unknown })?.name !== 'AbortError') {
      throw Object.assign(new Error('This operation was aborted', { cause: error }), { name: 'AbortError' });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
