// @flotilla/adapter-ollama: ModelClient and EmbeddingClient for Ollama servers (the only importer of `ollama`).
export { OllamaModelClient } from './lib/ollama.model-client';
export type { OllamaModelInfo, OllamaLoadedModel, WarmOptions } from './lib/ollama.model-client';
export { DEFAULT_OLLAMA_HOST, DEFAULT_OLLAMA_NUM_CTX, DEFAULT_METADATA_TIMEOUT_MS, DEFAULT_EMBED_TIMEOUT_MS, DEFAULT_WARM_TIMEOUT_MS } from './lib/ollama-client.options';
export type { OllamaModelClientOptions } from './lib/ollama-client.options';
export { toFlotillaError } from './lib/ollama-error.mapper';

