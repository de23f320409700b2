import { valueForSchema } from '../schema/schema-value.generator';

/** A failure the simulator injects into one request. */
export type SimFault =
  /** Answer with this status before any byte of the body (404 -> `model 'x' not found`, 503 -> server busy). */
  | { type: 'status'; status: number; message?: string }
  /** After `afterChunks` chunks, a `{"error":...}` line, then the stream closes (status stays 200). */
  | { type: 'midStreamError'; afterChunks: number; message?: string }
  /** After `afterChunks` chunks, the socket is destroyed. */
  | { type: 'drop'; afterChunks: number }
  /** After `afterChunks` chunks, the response ends cleanly but without the `done` chunk. */
  | { type: 'truncate'; afterChunks: number }
  /** Nothing at all (not even headers) until the client goes away. */
  | { type: 'hang' }
  /** Chunks `intervalMs` apart in real time (not scaled). */
  | { type: 'trickle'; intervalMs: number }
  /** A line that is not JSON after `afterChunks` chunks; the stream then goes on. */
  | { type: 'malformed'; afterChunks: number };

export interface SimToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** What the model says to one request. A string is plain text. */
export interface SimReplySpec {
  text?: string;
  toolCalls?: SimToolCall[];
  /** `text`: the model writes `toolCalls` in its reply's text (Hermes / Qwen 2.5 `<tool_call>` tags) and the server returns no tool calls, as a server whose template parser misses them does. */
  toolCallsAs?: 'text';
  /** Split the text into this many chunks instead of one per word-token. */
  chunks?: number;
  /** Real ms between chunks, overriding the latency model. */
  intervalMs?: number;
  fault?: SimFault;
}

export type SimReply = string | SimReplySpec;

export interface SimRequestContext {
  api: 'chat' | 'generate' | 'openai';
  model: string;
  /** Chat messages, or for generate one user message holding the prompt. */
  messages: { role: string; content: string }[];
  /** The requested output format: "json", a JSON Schema, or undefined. */
  format?: unknown;
  tools?: unknown[];
  options: Record<string, unknown>;
  /** The parsed request body as received. */
  body: Record<string, unknown>;
  /** 0-based number of this generation request on this server. */
  index: number;
}

/** Decides a reply; `undefined` falls through to the next script and finally the default. */
export type ReplyScript = (ctx: SimRequestContext) => SimReply | undefined;

/** A rule that injects a fault into matching requests. */
export interface FaultRule {
  /** Model name (normalised with ":latest") or a pattern. @default every model */
  model?: string | RegExp;
  /** A string the last user message must contain. */
  contains?: string;
  fault: SimFault;
  /** How many requests it applies to. @default Infinity */
  times?: number;
}

export function normaliseReply(reply: SimReply): SimReplySpec {
  return typeof reply === 'string' ? { text: reply } : reply;
}

export function lastUserText(messages: readonly { role: string; content: string }[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return messages[i]!.content;
  return '';
}

/**
 * The default reply, deterministic in the prompt: conforming JSON for a schema format,
 * a small JSON object for "json", else a sentence that quotes the last user message.
 */
export function defaultReply(ctx: SimRequestContext): SimReplySpec {
  const prompt = lastUserText(ctx.messages);
  const seed = `${ctx.model}\n${prompt}`;
  if (ctx.format && typeof ctx.format === 'object') return { text: JSON.stringify(valueForSchema(ctx.format, seed)) };
  if (ctx.format === 'json') return { text: JSON.stringify({ model: ctx.model, answer: summary(prompt) }) };
  return { text: `This is ${ctx.model} answering: ${summary(prompt)}` };
}

function summary(prompt: string): string {
  const words = prompt.trim().split(/\s+/).filter(Boolean).slice(0, 12);
  return words.length ? words.join(' ') : 'hello.';
}

const MAGIC = /\[\[sim:([a-z]+)(?:=(\d+))?\]\]/;

/**
 * Faults named in the prompt, for use from outside a test (e.g. the CLI server):
 * `[[sim:status=503]]`, `[[sim:error=2]]`, `[[sim:drop=2]]`, `[[sim:truncate=2]]`, `[[sim:hang]]`,
 * `[[sim:trickle=200]]`, `[[sim:malformed=1]]`.
 */
export function magicFault(text: string): SimFault | undefined {
  const m = MAGIC.exec(text);
  if (!m) return undefined;
  const n = m[2] === undefined ? undefined : Number(m[2]);
  switch (m[1]) {
    case 'status':
      return { type: 'status', status: n ?? 500 };
    case 'error':
      return { type: 'midStreamError', afterChunks: n ?? 1 };
    case 'drop':
      return { type: 'drop', afterChunks: n ?? 1 };
    case 'truncate':
      return { type: 'truncate', afterChunks: n ?? 1 };
    case 'hang':
      return { type: 'hang' };
    case 'trickle':
      return { type: 'trickle', intervalMs: n ?? 200 };
    case 'malformed':
      return { type: 'malformed', afterChunks: n ?? 1 };
    default:
      return undefined;
  }
}

/** Splits text into Ollama-like tokens: each word with the whitespace before it. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

export function splitChunks(text: string, n: number): string[] {
  if (n <= 1 || text.length <= 1) return text ? [text] : [];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Prompt tokens, estimated as Ollama-ish: a few per message plus chars / 4. */
export function estimatePromptTokens(messages: readonly { content: string }[]): number {
  return Math.max(1, messages.reduce((n, m) => n + 4 + Math.ceil(m.content.length / 4), 0));
}
