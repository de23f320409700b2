import type { Observable } from 'rxjs';

export interface EmbeddingRequest {
  model: string;
  /** One text or several; the reply keeps their order. */
  input: string | string[];
  /** Whether the server may cut inputs longer than the context window (else it fails). */
  truncate?: boolean;
  /** Output dimensions, for models that support shortening (Matryoshka). */
  dimensions?: number;
  /** How long the server keeps the model loaded: seconds, or a duration such as "5m". */
  keepAlive?: number | string;
}

export interface EmbeddingResult {
  /** One vector per input, in input order. */
  embeddings: number[][];
  model: string;
  /** Tokens the inputs used, where the server reports it. */
  promptTokens?: number;
  /** Milliseconds; missing values are unknown. */
  timings: { totalMs?: number; loadMs?: number };
  endpoint?: string;
}

/**
 * Text embeddings behind any transport. `embed` is cold: nothing is sent until subscription;
 * it emits one result and completes, or errors with a `FlotillaError`. Unsubscribing, or
 * aborting `options.signal`, cancels the request.
 */
export interface EmbeddingClient {
  readonly name: string;
  embed(request: EmbeddingRequest, options?: { signal?: AbortSignal }): Observable<EmbeddingResult>;
}
