import { type FetchLike, type NodeHttpFetch, createNodeHttpFetch } from '@flotilla/http';
import { Errors } from '@flotilla/core';

/** Constructor options of `OpenAICompatibleModelClient`; all optional. */
export interface OpenAICompatibleOptions {
  /**
   * The server's OpenAI base URL, including `/v1`: vLLM `http://host:8000/v1`, llama.cpp
   * `http://host:8080/v1`, Ollama `http://host:11434/v1`, LM Studio `http://host:1234/v1`.
   * @default DEFAULT_BASE_URL ('http://127.0.0.1:8080/v1', llama.cpp's server)
   */
  baseURL?: string;
  /**
   * Environment variable that holds the API key (sent as `Authorization: Bearer ...`). When it
   * is unset or empty a dummy key is sent: local servers without `--api-key` ignore it. The key
   * is never logged and never appears in error messages or details.
   * @default DEFAULT_API_KEY_ENV ('OPENAI_API_KEY')
   */
  apiKeyEnv?: string;
  /** Name in traces and fixtures. @default `openai@<host:port>` */
  name?: string;
  /**
   * Context length per model id, in tokens. Wins over discovery. Useful for Ollama's /v1,
   * which reports none (and whose `num_ctx` cannot be set through /v1).
   * @default {}
   */
  contextLength?: Readonly<Record<string, number>>;
  /**
   * Ask the server for a context length when none is configured: vLLM's `max_model_len` in
   * `/v1/models`, then llama.cpp's `/props` (`default_generation_settings.n_ctx`).
   * @default true
   */
  discoverContextLength?: boolean;
  /** Extra headers on every request (never put secrets here: use `apiKeyEnv`). @default {} */
  headers?: Readonly<Record<string, string>>;
  /**
   * Wall-clock deadline of each call other than chat and embeddings (`/v1/models`,
   * `/health`, `/props`), body included: a server that accepts the connection and never
   * answers, or trickles its answer, fails the call with `timeout` after this long. Chat
   * calls have no transport deadline: the engine's deadlines govern them.
   * @default 10000
   */
  metadataTimeoutMs?: number;
  /** Wall-clock deadline of an embeddings request. @default 120000 */
  embedTimeoutMs?: number;
  /**
   * Transport. The default is a node:http fetch without undici's 300 s headers / body
   * timeouts (a cold model load can keep headers back that long; deadlines belong to the
   * engine) that resends a request once when a server closed the reused keep-alive socket
   * (llama.cpp's server closes after every stream); `close()` destroys its connections. A
   * transport passed here is the caller's to close.
   * @default createNodeHttpFetch({ resendOnStaleSocket: true }) from @flotilla/http
   */
  fetch?: FetchLike;
  /** Environment to read the key from (tests). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080/v1';
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';
/** Sent when no key is configured; servers started without a key ignore the header. */
export const DUMMY_API_KEY = 'sk-no-key-required';
/**
 * The SDK's per-request timeout, disabled in effect (setTimeout's largest delay, ~24.8 days):
 * deadlines belong to the engine (its calls' first-token, stall and total deadlines), which cancels through the signal.
 */
export const SDK_TIMEOUT_DISABLED_MS = 2_147_483_647;
export const DEFAULT_METADATA_TIMEOUT_MS = 10_000;
export const DEFAULT_EMBED_TIMEOUT_MS = 120_000;

/** Options after defaults, resolved once in the constructor. */
export interface ResolvedOpenAIOptions {
  baseURL: string;
  endpoint: string;
  name: string;
  apiKey: string;
  /** Whether `apiKey` is a real secret (to redact) rather than the dummy. */
  hasSecret: boolean;
  /** The variable the key is read from (a name, never the key): errors name it when it is unset. */
  apiKeyEnv: string;
  /** Base URL path without `/v1` at its end: a 404 then says to add it. */
  missingV1: boolean;
  metadataTimeoutMs: number;
  embedTimeoutMs: number;
  contextLength: Readonly<Record<string, number>>;
  discoverContextLength: boolean;
  headers: Readonly<Record<string, string>>;
  fetch: FetchLike;
  /** The transport the client made itself (and so closes). */
  ownedFetch?: NodeHttpFetch;
}

function parseBaseURL(baseURL: string): URL {
  try {
    const url = new URL(baseURL);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) throw new Error('not http');
    return url;
  } catch {
    throw Errors.config('OpenAICompatibleOptions.baseURL', 'an absolute http(s) URL such as http://127.0.0.1:8080/v1', baseURL);
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw Errors.config(`OpenAICompatibleOptions.${name}`, 'a positive number of milliseconds', value);
  return value;
}

export function resolveOpenAIOptions(options: OpenAICompatibleOptions = {}): ResolvedOpenAIOptions {
  const baseURL = (options.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const env = options.env ?? process.env;
  const apiKeyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const key = env[apiKeyEnv];
  const hasSecret = typeof key === 'string' && key.length > 0;
  const url = parseBaseURL(baseURL);
  const endpoint = url.host;
  const ownedFetch = options.fetch ? undefined : createNodeHttpFetch({ resendOnStaleSocket: true });
  return {
    baseURL,
    endpoint,
    name: options.name ?? `openai@${endpoint}`,
    apiKey: hasSecret ? key : DUMMY_API_KEY,
    hasSecret,
    apiKeyEnv,
    missingV1: !/\/v1$/.test(url.pathname),
    metadataTimeoutMs: positive('metadataTimeoutMs', options.metadataTimeoutMs, DEFAULT_METADATA_TIMEOUT_MS),
    embedTimeoutMs: positive('embedTimeoutMs', options.embedTimeoutMs, DEFAULT_EMBED_TIMEOUT_MS),
    contextLength: options.contextLength ?? {},
    discoverContextLength: options.discoverContextLength ?? true,
    headers: options.headers ?? {},
    fetch: options.fetch ?? ownedFetch!,
    ...(ownedFetch ? { ownedFetch } : {}),
  };
}
