// @flotilla/adapter-openai: ModelClient and EmbeddingClient for OpenAI-compatible servers
// (vLLM, llama.cpp's server, Ollama /v1, LM Studio). The only library that imports `openai`.
export { OpenAICompatibleModelClient } from './lib/openai-compatible.model-client';
export { DEFAULT_BASE_URL, DEFAULT_API_KEY_ENV } from './lib/openai-compatible.options';
export type { OpenAICompatibleOptions } from './lib/openai-compatible.options';
export type { OpenAIModelInfo, OpenAIServerHealth } from './lib/server-info';
