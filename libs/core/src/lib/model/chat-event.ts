import type { ModelWarning } from './provider-options';
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
 * A piece of a tool call as a server streams it (OpenAI-compatible servers stream the
 * arguments as JSON text): display only; the whole call follows as a `toolCall` event.
 */
export interface ToolCallDeltaEvent {
  type: 'toolCallDelta';
  /** The call's place in the reply. */
  index: number;
  /** In the first piece of a call. */
  name?: string;
  id?: string;
  /** The next piece of the arguments' JSON text (may be empty). */
  argumentsDelta: string;
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

/**
 * Sent by a client that queues calls (a router) when this call must wait for a slot; nothing
 * is sent when it is dispatched at once. The engine suspends the call's deadlines until
 * `dispatched`: time in a queue is bounded by the queue's own limit, not by first token.
 */
export interface QueuedEvent {
  type: 'queued';
  /** The call's place in the queue; a retry that passes it back keeps that place. */
  ticket: number;
}

/** Sent by a router when the call goes to a server: deadlines start here. */
export interface DispatchedEvent {
  type: 'dispatched';
  /** The endpoint that got the call (a retry asks the router to prefer another). */
  endpoint: string;
  /** As in `queued`, for calls dispatched without waiting. */
  ticket?: number;
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
  /** What the adapter could not do as asked (an option the server cannot receive). */
  warnings?: readonly ModelWarning[];
}

/**
 * What a chat stream says. Consumers must tolerate (ignore) the types they do not act on:
 * `queued` and `dispatched` come only from clients that queue calls.
 */
export type ChatEvent = DeltaEvent | ToolCallEvent | ToolCallDeltaEvent | LoadingEvent | QueuedEvent | DispatchedEvent | FinalEvent;
