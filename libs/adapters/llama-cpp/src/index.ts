// @flotilla/adapter-llama-cpp: ModelClient on llama.cpp inside the process (the only importer of `node-llama-cpp`).
export { LlamaCppModelClient } from './lib/llama-cpp.model-client';
export type { LlamaCppModelStatus } from './lib/llama-cpp.model-client';
export { DEFAULT_SLOTS, DEFAULT_THREADS, DEFAULT_IDLE_UNLOAD_MS, DEFAULT_MAX_CONTEXT, DEFAULT_TEMPERATURE } from './lib/llama-cpp-client.options';
export type { LlamaCppModelClientOptions, LlamaCppModelSpec } from './lib/llama-cpp-client.options';
export type { LlamaCppEvent, RequestOutcome } from './lib/llama-cpp.events';

export { importNodeLlamaCpp, sharedLlama } from './lib/node-llama-cpp.loader';
export type { NodeLlamaCpp } from './lib/node-llama-cpp.loader';
