import type { ChatMessage, ToolDefinition } from './chat-message';
import type { ProviderOptions } from './provider-options';
import type { ErrorKind } from '../errors/error-kind';

/** JSON Schema object, as sent to a model as the output format. */
export type JsonSchema = Record<string, unknown>;

/**
 * Sampling options change what the model says; they are part of a request's identity
 * (fixture keys). Runner options only change how it is served.
 */
export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  /** Maximum tokens to generate (Ollama num_predict, OpenAI max_tokens). */
  maxTokens?: number;
  stop?: string[];
  repeatPenalty?: number;
}

export interface RunnerOptions {
  /** Context window to load the model with (Ollama num_ctx). Keep constant per model: a change reloads it. */
  numCtx?: number;
  /** How long the server keeps the model loaded after this call: seconds, or a duration such as "5m". */
  keepAlive?: number | string;
  numThread?: number;
  numGpu?: number;
  numBatch?: number;
}

/** Any tool or none (`auto`), no tool (`none`), at least one (`required`), or this one. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** JSON Schema the reply must conform to (structured output). */
  format?: JsonSchema;
  tools?: ToolDefinition[];
  /**
   * Which tools the model may call (default `auto`). Each adapter enforces it or reports in the
   * final event's `warnings` that it cannot. Ignored without `tools`.
   */
  toolChoice?: ToolChoice;
  options?: SamplingOptions & RunnerOptions;
  /** Options for one provider's adapter, passed through by that adapter only (see `ProviderOptions`). */
  providerOptions?: ProviderOptions;
}

/** Names of the options that shape a reply; everything else is transport. */
export const SAMPLING_OPTION_KEYS: readonly (keyof SamplingOptions)[] = [
  'temperature',
  'topP',
  'topK',
  'minP',
  'seed',
  'maxTokens',
  'stop',
  'repeatPenalty',
];

/** Per-call options: cancellation, and hints a router uses (adapters may ignore them). */
export interface ChatCallOptions {
  /** Aborting cancels the request at the HTTP (or engine) layer. */
  signal?: AbortSignal;
  /** Dispatch priority where calls queue; higher first. */
  priority?: number;
  /** The agent making the call, for routing, limits and traces. */
  agent?: string;
  /** Calls of one conversation (review rounds) share a prompt prefix: prefer the same server. */
  conversation?: string;
  /** The key of the engine step making the call (stable across a run's resumes), for logs and traces. */
  step?: string;
  /** Set by the engine when this call retries a failed attempt (see `RetryHint`). */
  retry?: RetryHint;
}

/**
 * What the engine tells a router about the attempt a call retries: the router keeps the
 * call's place in its queue (`ticket`), prefers another endpoint than the one that failed,
 * and counts a failure the router could not see (an engine deadline) against that endpoint.
 */
export interface RetryHint {
  /** From the failed attempt's `queued` / `dispatched` event. */
  ticket?: number;
  /** Where the failed attempt ran, from its `dispatched` / `loading` events or error details. */
  endpoint?: string;
  /** Why it failed. */
  kind: ErrorKind;
}
