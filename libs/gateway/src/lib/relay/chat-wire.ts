import type { DeltaEvent, FinalEvent, FlotillaError, ToolCallEvent } from '@flotilla/core';

/** What a wire format knows of the call it frames. */
export interface WireCall {
  /** The response id (`chatcmpl-...`), from the request id. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model as the client named it. */
  model: string;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Tool calls framed so far (OpenAI numbers them). */
  toolCalls: number;
  /** Whether the first content chunk went out (OpenAI sends the role with it). */
  started: boolean;
}

/**
 * How one API frames a chat reply: each stream piece as text on the wire, the whole reply as
 * one JSON object, and an error inside a stream that has begun. One per response shape
 * (OpenAI chat, OpenAI completions, Ollama chat, Ollama generate); the relay is shared.
 */
export interface ChatWire {
  /** Content type of a streamed reply. */
  readonly streamType: string;
  /** Bytes that keep a stream alive while nothing else is sent, and that every client ignores. */
  heartbeat(call: WireCall): string;
  piece(event: DeltaEvent | ToolCallEvent, call: WireCall): string;
  /** The last pieces of a stream (finish reason, usage, `[DONE]`). */
  end(final: FinalEvent, call: WireCall): string;
  /** An in-band error: the client sees a failure, never a clean end. */
  streamError(error: FlotillaError, call: WireCall): string;
  /** The reply of a `stream: false` request. */
  whole(final: FinalEvent, call: WireCall): Record<string, unknown>;
}
