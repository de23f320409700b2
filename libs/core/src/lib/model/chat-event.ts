import type { ChatMessage, ToolCall } from './chat-message';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** All in milliseconds. Missing values are unknown, not zero. */
export interface CallTimings {
  /** Time the request waited for a slot (engine limiter, router queue). */
  queueMs?: number;
  /** Time the server spent loading the model (Ollama load_duration). */
  loadMs?: number;
  /** Time to the first text or tool-call event. */
  firstTokenMs?: number;
  /** Whole call, from send to final event. */
  totalMs?: number;
  /** Server-side prompt processing and generation time, where reported. */
  promptEvalMs?: number;
  evalMs?: number;
}

export type FinishReason = 'stop' | 'length' | 'toolCalls' | 'load' | 'unload' | 'other';

/** A piece of generated text. */
export interface DeltaEvent {
  type: 'delta';
  text: string;
}

export interface ToolCallEvent {
  type: 'toolCall';
  call: ToolCall;
}

/**
 * Sent by whoever knows that the model is being loaded before the first token
 * (a router, a client that sees a cold model). The engine extends the first-token
 * deadline by `expectedLoadMs`, and never retries a timeout during a load on the same server.
 */
export interface LoadingEvent {
  type: 'loading';
  expectedLoadMs: number;
  endpoint?: string;
}

/** The last event of every successful call. */
export interface FinalEvent {
  type: 'final';
  message: ChatMessage;
  finishReason: FinishReason;
  usage: TokenUsage;
  timings: CallTimings;
  /** Which model and server actually answered. */
  model: string;
  endpoint?: string;
}

export type ChatEvent = DeltaEvent | ToolCallEvent | LoadingEvent | FinalEvent;
