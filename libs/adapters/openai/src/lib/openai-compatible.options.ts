import { type FetchLike, createNodeHttpFetch } from '@flotilla/http';
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
   * Transport. The default is a node:http fetch without undici's 300 s headers / body
   * timeouts (a cold model load can keep headers back that long; deadlines belong to the
   * engine) that resends a request once when a server closed the reused keep-alive socket
   * (llama.cpp's server closes after every stream).
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
 * deadlines belong to the engine (`withDeadlines`), which cancels through the signal.
 */
export const SDK_TIMEOUT_DISABLED_MS = 2_147_483_647;

/** Options after defaults, resolved once in the constructor. */
export interface ResolvedOpenAIOptions {
  baseURL: string;
  endpoint: string;
  name: string;
  apiKey: string;
  /** Whether `apiKey` is a real secret (to redact) rather than the dummy. */
  hasSecret: boolean;
  contextLength: Readonly<Record<string, number>>;
  discoverContextLength: boolean;
  headers: Readonly<Record<string, string>>;
  fetch: FetchLike;
}

function hostOf(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.host;
  } catch {
    throw Errors.config('OpenAICompatibleOptions.baseURL', 'an absolute http(s) URL such as http://127.0.0.1:8080/v1', baseURL);
  }
}

export function resolveOpenAIOptions(options: OpenAICompatibleOptions = {}): ResolvedOpenAIOptions {
  const baseURL = (options.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const env = options.env ?? process.env;
  const key = env[options.apiKeyEnv ?? DEFAULT_API_KEY_ENV];
  const hasSecret = typeof key === 'string' && key.length > 0;
  const endpoint = hostOf(baseURL);
  return {
    baseURL,
    endpoint,
    name: options.name ?? `openai@${endpoint}`,
    apiKey: hasSecret ? key : DUMMY_API_KEY,
    hasSecret,
    contextLength: options.contextLength ?? {},
    discoverContextLength: options.discoverContextLength ?? true,
    headers: options.headers ?? {},
    fetch: options.fetch ?? createNodeHttpFetch({ resendOnStaleSocket: true }),
  };
}
