import type { OpenAIFaultRule } from './openai-fault';

/** A model the test server serves. */
export interface OpenAITestModel {
  id: string;
  /** Context size in tokens; prompts are estimated at 4 characters a token. @default 4096 */
  contextLength?: number;
  /** Fixed reply text; by default the server echoes the last user message. */
  reply?: string | ((lastUserMessage: string) => string);
  /** Length of embedding vectors. @default 8 */
  embeddingDimensions?: number;
}

/** Latencies in model milliseconds; each is multiplied by `timeScale`. */
export interface OpenAILatencyModel {
  /** Before the first chunk, after a slot is free. @default 20 */
  firstTokenMs?: number;
  /** Added to the first-token delay per prompt token. @default 0 */
  promptTokenMs?: number;
  /** Between chunks. @default 5 */
  perTokenMs?: number;
}

export interface OpenAITestServerOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** Models as ids or full descriptions. @default ['test-model'] */
  models?: (string | OpenAITestModel)[];
  /** Requests generated at once (llama.cpp `-np`); the rest wait in arrival order. @default 1 */
  slots?: number;
  latency?: OpenAILatencyModel;
  /** Multiplies every delay; 0.01 turns 20 ms into 0.2 ms. @default 1 */
  timeScale?: number;
  /** Characters per streamed chunk; each chunk counts as one completion token. @default 4 */
  chunkChars?: number;
  /** When set, requests need `Authorization: Bearer <apiKey>`; others get 401. */
  apiKey?: string;
  /**
   * Echo the presented API key in 401 messages, as a careless server might: lets tests prove
   * that clients redact secrets from errors. @default false
   */
  echoApiKeyInErrors?: boolean;
  /** Fault rules checked in order before each request. */
  faults?: OpenAIFaultRule[];
}

export const DEFAULT_MODEL_ID = 'test-model';
export const DEFAULT_CONTEXT_LENGTH = 4096;
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;
export const DEFAULT_SLOTS = 1;
export const DEFAULT_CHUNK_CHARS = 4;
export const DEFAULT_LATENCY: Required<OpenAILatencyModel> = { firstTokenMs: 20, promptTokenMs: 0, perTokenMs: 5 };

/** Prompt token estimate shared by the server's usage and overflow checks. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
