import { Errors } from '@flotilla/core';
import type { FetchLike } from '@flotilla/http';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Ollama's context window when a request sets no num_ctx (OLLAMA_CONTEXT_LENGTH; 4096 in current releases). */
export const DEFAULT_OLLAMA_NUM_CTX = 4096;
/** Wall-clock deadline of a metadata call (/api/tags, /api/ps, /api/show, /api/version). */
export const DEFAULT_METADATA_TIMEOUT_MS = 10_000;
/** Wall-clock deadline of an embedding request (it may load the model first). */
export const DEFAULT_EMBED_TIMEOUT_MS = 120_000;
/** Wall-clock deadline of `warm()`: Ollama's own load timeout (OLLAMA_LOAD_TIMEOUT) is 5 minutes. */
export const DEFAULT_WARM_TIMEOUT_MS = 300_000;

export interface OllamaModelClientOptions {
  /** Server base URL. @default "http://127.0.0.1:11434" */
  host?: string;
  /** Name for traces and fixtures. @default "ollama@<host>:<port>" */
  name?: string;
  /** Extra HTTP headers on every request (e.g. a proxy's auth). @default {} */
  headers?: Record<string, string>;
  /**
   * Stream replies. With `false` the whole reply arrives in one body: one delta, then the
   * final event; cancellation still works (the transport carries a per-call signal). @default true
   */
  stream?: boolean;
  /** keep_alive sent when a request sets none: seconds, or a Go duration ("5m"). @default the server's */
  keepAlive?: number | string;
  /**
   * The server's window for requests without `numCtx` (its OLLAMA_CONTEXT_LENGTH). Ollama
   * silently drops the oldest messages beyond it, so the engine checks prompts against it.
   * @default 4096
   */
  defaultNumCtx?: number;
  /**
   * Wall-clock deadline of each metadata call (model lists, loaded models, /api/show for the
   * context window, version), body included: a server that accepts the connection and never
   * answers, or trickles its answer, fails the call with `timeout` after this long.
   * Chat calls have no transport deadline: the engine's first-token, stall and total
   * deadlines govern them.
   * @default 10000
   */
  metadataTimeoutMs?: number;
  /** Wall-clock deadline of an embedding request (it may include a model load). @default 120000 */
  embedTimeoutMs?: number;
  /**
   * Transport. The default is a node:http fetch without undici's 300 s headers/body
   * timeouts, which a slow model load or a long `stream:false` reply would hit; `close()`
   * destroys its connections. A transport passed here is the caller's to close.
   * @default createNodeHttpFetch()
   */
  fetch?: FetchLike;
}

/** Normalised once in the constructor. */
export interface ResolvedOllamaOptions {
  host: string;
  endpoint: string;
  name: string;
  headers: Record<string, string>;
  stream: boolean;
  keepAlive?: number | string;
  defaultNumCtx: number;
  metadataTimeoutMs: number;
  embedTimeoutMs: number;
}

export function resolveOllamaOptions(options: OllamaModelClientOptions): ResolvedOllamaOptions {
  const raw = options.host ?? DEFAULT_OLLAMA_HOST;
  const url = parseHost(raw);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const endpoint = `${url.hostname}:${port}`;
  const host = `${url.protocol}//${endpoint}${url.pathname.replace(/\/$/, '')}`;
  return {
    host,
    endpoint,
    name: options.name ?? `ollama@${endpoint}`,
    headers: options.headers ?? {},
    stream: options.stream ?? true,
    keepAlive: options.keepAlive,
    defaultNumCtx: options.defaultNumCtx ?? DEFAULT_OLLAMA_NUM_CTX,
    metadataTimeoutMs: positive('metadataTimeoutMs', options.metadataTimeoutMs, DEFAULT_METADATA_TIMEOUT_MS),
    embedTimeoutMs: positive('embedTimeoutMs', options.embedTimeoutMs, DEFAULT_EMBED_TIMEOUT_MS),
  };
}

/** An http(s) URL, with or without the scheme ("127.0.0.1:11434"); anything else is a `config` error naming the option. */
function parseHost(raw: string): URL {
  const expected = 'a server URL such as http://127.0.0.1:11434';
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw Errors.config('OllamaModelClientOptions.host', expected, raw);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) throw Errors.config('OllamaModelClientOptions.host', expected, raw);
  return url;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw Errors.config(`OllamaModelClientOptions.${name}`, 'a positive number of milliseconds', value);
  return value;
}
