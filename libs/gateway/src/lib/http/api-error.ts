import { type ErrorKind, FlotillaError } from '@flotilla/core';

/** Which API a route speaks: its errors, and its in-band stream errors, take that API's shape. */
export type ApiDialect = 'openai' | 'ollama';

/** The HTTP status of each error kind; a request error may name its own (`details.status`). */
const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  badRequest: 400,
  contextOverflow: 400,
  modelNotFound: 404,
  overloaded: 503,
  unavailable: 503,
  circuitOpen: 503,
  config: 503,
  timeout: 504,
  aborted: 499,
  badOutput: 502,
  budgetExceeded: 500,
  userCode: 500,
};

/** A request the gateway refuses: `badRequest` with the status and the field (`param`) it names. */
export function requestError(status: number, message: string, param?: string): FlotillaError {
  return new FlotillaError('badRequest', message, { retryable: false, details: { status, ...(param === undefined ? {} : { param }) } });
}

export function statusOf(error: FlotillaError): number {
  const s = error.details['status'];
  return typeof s === 'number' ? s : STATUS_OF_KIND[error.kind];
}

const OPENAI_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** The error body of `dialect`: OpenAI's `{error:{message,type,param,code}}`, Ollama's `{error}`. */
export function errorBody(dialect: ApiDialect, error: FlotillaError): Record<string, unknown> {
  if (dialect === 'ollama') return { error: error.message };
  const status = statusOf(error);
  const param = error.details['param'];
  return {
    error: {
      message: error.message,
      type: OPENAI_TYPES[status] ?? 'api_error',
      param: typeof param === 'string' ? param : null,
      code: error.kind === 'modelNotFound' ? 'model_not_found' : error.kind === 'contextOverflow' ? 'context_length_exceeded' : error.kind,
    },
  };
}

/** Seconds a client should wait before trying again after `error`, when waiting helps. */
export function retryAfterOf(error: FlotillaError): number | undefined {
  const status = statusOf(error);
  const asked = error.details['retryAfterS'];
  if (typeof asked === 'number') return asked;
  return status === 503 || status === 429 ? 1 : undefined;
}
