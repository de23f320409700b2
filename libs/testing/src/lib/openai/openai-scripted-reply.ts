import type { OpenAIFault, OpenAIFaultName } from './openai-fault';

/** A one-shot answer for the next chat request (see `OpenAITestServer.scriptNext`). */
export interface OpenAIScriptedReply {
  /** Exactly this text, instead of the echo, the model's reply or structured output. */
  text?: string;
  /** Split `text` into this many chunks instead of `chunkChars`-sized ones. */
  chunks?: number;
  /** Reply with these tool calls (arguments go out as JSON strings split across chunks). */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** `text`: the model writes `toolCalls` in its reply's text (Hermes / Qwen 2.5 `<tool_call>` tags) and the server returns no tool calls, as a server whose template parser misses them does. */
  toolCallsAs?: 'text';
  fault?: OpenAIFault | OpenAIFaultName;
  /** Message of an injected error (status faults and `errorMidStream`). */
  message?: string;
  /** Real milliseconds between chunks, not scaled by `timeScale`. */
  intervalMs?: number;
  /** Only for requests to this model; the first matching script is used. */
  model?: string;
}
