import { FlotillaError } from '@flotilla/core';
import { RequestTimeoutError } from '@flotilla/http';
import { MalformedResponseError, OllamaStatusError, OllamaStreamError, TruncatedStreamError } from './ollama-wire.errors';

/** Where a failure happened, for the error's details. */
export interface ErrorContext {
  model?: string;
  endpoint: string;
  /** Whether any part of the response body had arrived. */
  streaming?: boolean;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/** What Ollama says in an `{"error"}` line when it turns requests away (OLLAMA_MAX_QUEUE). */
const BUSY_MESSAGE = /server busy|maximum pending requests|too many requests|overloaded/i;

/** Maps anything the HTTP layer, the transport or the stream throws to a FlotillaError. */
export function toFlotillaError(error: unknown, ctx: ErrorContext): FlotillaError {
  if (FlotillaError.is(error)) return error;
  const details = { model: ctx.model, endpoint: ctx.endpoint };
  const e = error as { name?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);

  const timeout = RequestTimeoutError.find(error);
  if (timeout) {
    return new FlotillaError('timeout', `${ctx.endpoint} did not answer ${timeout.path} within ${timeout.timeoutMs} ms`, {
      cause: error,
      details: { ...details, path: timeout.path, limitMs: timeout.timeoutMs },
    });
  }
  if (error instanceof OllamaStatusError) {
    const { status } = error;
    const d = { ...details, status };
    if (status === 404) return new FlotillaError('modelNotFound', `model ${JSON.stringify(ctx.model ?? '?')} not found on ${ctx.endpoint}: ${message}`, { cause: error, details: d });
    if (status === 503 || status === 429) return new FlotillaError('overloaded', `${ctx.endpoint} is busy: ${message}`, { cause: error, details: d });
    if (status === 499) return new FlotillaError('aborted', `${ctx.endpoint} saw the request cancelled: ${message}`, { cause: error, details: d });
    if (status >= 400 && status < 500) return new FlotillaError('badRequest', `${ctx.endpoint} rejected the request (${status}): ${message}`, { cause: error, details: d });
    return new FlotillaError('unavailable', `${ctx.endpoint} failed (${status}): ${message}`, { cause: error, details: d });
  }
  if (e?.name === 'AbortError') return new FlotillaError('aborted', 'model call was cancelled', { cause: error, details });
  if (error instanceof TruncatedStreamError) {
    return new FlotillaError('unavailable', `${ctx.endpoint} ended the stream without a final chunk`, { cause: error, details: { ...details, truncated: true } });
  }
  if (error instanceof MalformedResponseError) {
    return new FlotillaError('unavailable', `${ctx.endpoint} sent a reply line that is not JSON: ${error.excerpt}`, {
      cause: error,
      retryable: true,
      details: { ...details, malformed: true, streaming: ctx.streaming ?? false },
    });
  }
  if (error instanceof OllamaStreamError) {
    // An {"error": "..."} line after status 200: the server failed while generating.
    const kind = BUSY_MESSAGE.test(message) ? 'overloaded' : 'unavailable';
    return new FlotillaError(kind, `${ctx.endpoint} failed mid-stream: ${message}`, { cause: error, details: { ...details, midStream: true } });
  }
  const code = networkCode(error);
  if (code) {
    return new FlotillaError('unavailable', `${ctx.endpoint} unreachable or connection lost (${code}): ${message}`, {
      cause: error,
      details: { ...details, code, streaming: ctx.streaming ?? false },
    });
  }
  return new FlotillaError('unavailable', `${ctx.endpoint}: ${message}`, { cause: error, details });
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('HPE_'))) return code;
  }
  // undici (a caller's own fetch) says only "fetch failed" / "terminated" when it has no code.
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message } = e as { name?: unknown; message?: unknown };
    if (name === 'TypeError' && (message === 'terminated' || message === 'fetch failed')) return 'ECONNRESET';
  }
  return undefined;
}
