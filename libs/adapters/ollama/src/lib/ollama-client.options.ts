import type { FetchLike } from '@flotilla/http';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Ollama's context window when a request sets no num_ctx (OLLAMA_CONTEXT_LENGTH; 4096 in current releases). */
export const DEFAULT_OLLAMA_NUM_CTX = 4096;

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
   * Transport. The default is a node:http fetch without undici's 300 s headers/body
   * timeouts, which a slow model load or a long `stream:false` reply would hit.
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
}

export function resolveOllamaOptions(options: OllamaModelClientOptions): ResolvedOllamaOptions {
  const raw = options.host ?? DEFAULT_OLLAMA_HOST;
  const url = new URL(raw.includes('://') ? raw : `http://${raw}`);
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
  };
}
