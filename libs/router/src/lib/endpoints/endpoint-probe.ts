/**
 * What the router can ask a server besides chat. Every member is optional: an endpoint
 * without `listModels` serves its allow-list (or anything), one without `loadedModels` is
 * learned from its replies alone.
 */
export interface EndpointProbe {
  /** Models the server has (Ollama /api/tags, OpenAI /v1/models). Rejects when it is down. */
  listModels?(signal?: AbortSignal): Promise<string[]>;
  /** Models loaded now (Ollama /api/ps). */
  loadedModels?(signal?: AbortSignal): Promise<string[]>;
  /** Loads a model ahead of use with the given num_ctx. */
  warm?(model: string, numCtx?: number): Promise<void>;
  /** Cheap liveness check, when there is no `listModels`. */
  ping?(signal?: AbortSignal): Promise<void>;
}
