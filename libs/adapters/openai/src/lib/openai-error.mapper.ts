import { FlotillaError, type ErrorKind } from '@flotilla/core';
import { RequestTimeoutError } from '@flotilla/http';
import OpenAI from 'openai';

export interface ErrorContext {
  model?: string;
  endpoint: string;
  /** `request`: before the response started; `stream`: while reading it. */
  phase: 'request' | 'stream';
  /** The API key, when it is a real one: removed from every message and cause. */
  secret?: string;
  /** The variable the key comes from, named when the server refuses the key (never the key). */
  apiKeyEnv?: string;
  /** The base URL lacks `/v1`: a 404 says so. */
  missingV1?: boolean;
}

/** Connection-level failures, as Node reports them on the transport error (the SDK's cause). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const REDACTED = '[redacted]';

/**
 * Maps whatever the SDK or the stream threw to a FlotillaError, by error class, HTTP status
 * and the error body's `type`/`code` (never by message text). The server's message is kept
 * (redacted), the SDK error stays the cause unless it mentions the key.
 */
export function toFlotillaError(error: unknown, ctx: ErrorContext): FlotillaError {
  if (FlotillaError.is(error)) return error;
  const where = ctx.model === undefined ? ctx.endpoint : `${ctx.endpoint} (model "${ctx.model}")`;
  const details: Record<string, unknown> = { endpoint: ctx.endpoint, phase: ctx.phase };
  if (ctx.model !== undefined) details['model'] = ctx.model;
  const make = (kind: ErrorKind, message: string, extra: Record<string, unknown> = {}, retryable?: boolean) =>
    new FlotillaError(kind, redact(message, ctx.secret), {
      cause: safeCause(error, ctx.secret),
      details: { ...details, ...extra },
      ...(retryable === undefined ? {} : { retryable }),
    });

  const timeout = RequestTimeoutError.find(error);
  if (timeout) return make('timeout', `${where} did not answer ${timeout.path} within ${timeout.timeoutMs} ms`, { path: timeout.path, limitMs: timeout.timeoutMs });
  // The SDK's own abort error before the response, the transport's AbortError while reading it.
  if (error instanceof OpenAI.APIUserAbortError || (error as { name?: unknown })?.name === 'AbortError') return make('aborted', `request to ${where} was cancelled`);
  if (error instanceof OpenAI.APIConnectionTimeoutError) return make('timeout', `request to ${where} timed out in the HTTP client`);
  if (error instanceof OpenAI.APIConnectionError) {
    const code = networkCode(error);
    return make('unavailable', `cannot connect to ${where}${code ? ` (${code})` : ''}`, { reason: 'connection', ...(code ? { code } : {}) });
  }
  if (error instanceof OpenAI.APIError) {
    const body = (error.error ?? {}) as Record<string, unknown>;
    const serverMessage = typeof body['message'] === 'string' ? body['message'] : error.message;
    const extra: Record<string, unknown> = { status: error.status, type: error.type, code: error.code };
    if (error.type === 'exceed_context_size_error' || error.code === 'context_length_exceeded') {
      if (typeof body['n_prompt_tokens'] === 'number') extra['promptTokens'] = body['n_prompt_tokens'];
      if (typeof body['n_ctx'] === 'number') extra['contextLength'] = body['n_ctx'];
      return make('contextOverflow', `${where}: prompt exceeds the context window: ${serverMessage}`, extra);
    }
    if (error.status === undefined) {
      // An `{"error": ...}` event inside a 200 stream: the server failed while generating.
      return make('unavailable', `${where} failed mid-stream: ${serverMessage}`, { ...extra, reason: 'streamError' }, true);
    }
    const kind = kindForStatus(error.status);
    let hint = '';
    if (error.status === 404 && ctx.missingV1) {
      hint = '; the base URL does not end in /v1: add /v1 to it (e.g. http://127.0.0.1:8080/v1)';
      extra['hint'] = 'add /v1 to the base URL';
    } else if ((error.status === 401 || error.status === 403) && ctx.apiKeyEnv) {
      hint = ctx.secret ? `; check the API key in ${ctx.apiKeyEnv}` : `; the API key variable ${ctx.apiKeyEnv} is not set`;
      extra['apiKeyEnv'] = ctx.apiKeyEnv;
    }
    return make(kind, `${where} answered ${error.status}: ${serverMessage}${hint}`, extra);
  }
  if (error instanceof SyntaxError) {
    return make('unavailable', `${where} sent a stream event that is not JSON`, { reason: 'malformedStream' }, true);
  }
  // undici's "terminated" (socket closed mid-body) and the like.
  const message = error instanceof Error ? error.message : String(error);
  return make('unavailable', `${where}: ${ctx.phase === 'stream' ? 'stream broke off' : 'request failed'}: ${message}`, { reason: 'transport' }, true);
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('HPE_'))) return code;
  }
  return undefined;
}

export function kindForStatus(status: number): ErrorKind {
  if (status === 404) return 'modelNotFound';
  if (status === 429 || status === 503) return 'overloaded';
  if (status === 401 || status === 403) return 'config';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  return 'badRequest';
}

export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join(REDACTED) : text;
}

/** The original error as cause, unless any part of it mentions the key: then a redacted stand-in. */
function safeCause(error: unknown, secret: string | undefined): unknown {
  if (!secret) return error;
  const e = error as { message?: unknown; error?: unknown; cause?: unknown; stack?: unknown };
  const text = [e?.message, safeJson(e?.error), String(e?.cause ?? ''), String(e?.stack ?? '')].join('\n');
  if (!text.includes(secret)) return error;
  const standIn = new Error(redact(String(e?.message ?? error), secret));
  standIn.name = error instanceof Error ? error.name : 'Error';
  return standIn;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
