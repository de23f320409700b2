import { FlotillaError } from '@flotilla/core';

/** Where a failure happened, for the error's details. */
export interface ErrorContext {
  model?: string;
  endpoint: string;
  /** Whether any part of the response body had arrived. */
  streaming?: boolean;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/**
 * The ollama client reports a truncated stream and an `{"error"}` line inside a stream as
 * plain Errors with nothing but a message, so this edge reads those messages; callers only
 * ever see kinds.
 */
const TRUNCATED = 'Did not receive done or success response in stream';
const BUSY_MESSAGE = /server busy|maximum pending requests|too many requests|overloaded/i;

/** Maps anything the ollama client, the transport or the stream throws to a FlotillaError. */
export function toFlotillaError(error: unknown, ctx: ErrorContext): FlotillaError {
  if (FlotillaError.is(error)) return error;
  const details = { model: ctx.model, endpoint: ctx.endpoint };
  const e = error as { name?: unknown; message?: unknown; status_code?: unknown; code?: unknown; cause?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);

  if (e?.name === 'ResponseError' && typeof e.status_code === 'number') {
    const status = e.status_code;
    const d = { ...details, status };
    if (status === 404) return new FlotillaError('modelNotFound', `model ${JSON.stringify(ctx.model ?? '?')} not found on ${ctx.endpoint}: ${message}`, { cause: error, details: d });
    if (status === 503 || status === 429) return new FlotillaError('overloaded', `${ctx.endpoint} is busy: ${message}`, { cause: error, details: d });
    if (status === 499) return new FlotillaError('aborted', `${ctx.endpoint} saw the request cancelled: ${message}`, { cause: error, details: d });
    if (status >= 400 && status < 500) return new FlotillaError('badRequest', `${ctx.endpoint} rejected the request (${status}): ${message}`, { cause: error, details: d });
    return new FlotillaError('unavailable', `${ctx.endpoint} failed (${status}): ${message}`, { cause: error, details: d });
  }
  if (e?.name === 'AbortError') return new FlotillaError('aborted', 'model call was cancelled', { cause: error, details });
  if (message.startsWith(TRUNCATED)) {
    return new FlotillaError('unavailable', `${ctx.endpoint} ended the stream without a final chunk`, { cause: error, details: { ...details, truncated: true } });
  }
  const code = networkCode(error);
  if (code) {
    return new FlotillaError('unavailable', `${ctx.endpoint} unreachable or connection lost (${code}): ${message}`, {
      cause: error,
      details: { ...details, code, streaming: ctx.streaming ?? false },
    });
  }
  if (ctx.streaming && e instanceof Error && e.name === 'Error') {
    // An {"error": "..."} line after status 200: the server failed while generating.
    const kind = BUSY_MESSAGE.test(message) ? 'overloaded' : 'unavailable';
    return new FlotillaError(kind, `${ctx.endpoint} failed mid-stream: ${message}`, { cause: error, details: { ...details, midStream: true } });
  }
  return new FlotillaError('unavailable', `${ctx.endpoint}: ${message}`, { cause: error, details });
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const name = (e as { name?: unknown }).name;
    const msg = (e as { message?: unknown }).message;
    if (name === 'TypeError' && (msg === 'terminated' || msg === 'fetch failed')) return 'ECONNRESET';
  }
  return undefined;
}
