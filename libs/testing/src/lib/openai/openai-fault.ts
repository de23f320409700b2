/**
 * Failures the test server can inject, as OpenAI-compatible servers produce them.
 * - `http400` `http404` `http429` `http500` `http503`: an OpenAI error body with that status.
 * - `contextOverflow`: llama.cpp's 400 `exceed_context_size_error` (with n_prompt_tokens, n_ctx).
 * - `errorMidStream`: status 200, `arg` chunks, then `data: {"error":{...}}` and the end of the stream.
 * - `dropMidStream`: status 200, `arg` chunks, then the socket is destroyed.
 * - `endWithoutDone`: status 200, `arg` chunks, then a clean end with no finish_reason and no `[DONE]`.
 * - `hang`: never sends a byte (until the client goes away).
 * - `trickle`: a normal reply with `arg` ms (scaled) between chunks.
 * - `malformedSse`: status 200, `arg` chunks, then a `data:` line that is not JSON.
 */
export const OPENAI_FAULTS = [
  'http400',
  'http404',
  'http429',
  'http500',
  'http503',
  'contextOverflow',
  'errorMidStream',
  'dropMidStream',
  'endWithoutDone',
  'hang',
  'trickle',
  'malformedSse',
] as const;

export type OpenAIFaultName = (typeof OPENAI_FAULTS)[number];

export interface OpenAIFault {
  name: OpenAIFaultName;
  /** Chunks sent before a mid-stream fault (default 1), or the trickle interval in ms (default 200). */
  arg?: number;
}

/** A programmatic or configured fault rule. */
export interface OpenAIFaultRule {
  fault: OpenAIFault | OpenAIFaultName;
  /** Only requests for this model; all models when absent. */
  model?: string;
  /** Only this path (`/v1/chat/completions`, `/v1/embeddings`); both when absent. */
  path?: string;
  /** How many requests the rule hits before it is used up; forever when absent. */
  times?: number;
}

const MAGIC = /\[\[fault:([A-Za-z0-9]+)(?::(\d+))?\]\]/;

/**
 * Reads a fault from a magic string in a message, e.g. `[[fault:http503]]` or
 * `[[fault:dropMidStream:3]]` (3 chunks first). Unknown names are ignored.
 */
export function faultFromText(text: string): OpenAIFault | undefined {
  const m = MAGIC.exec(text);
  if (!m || !(OPENAI_FAULTS as readonly string[]).includes(m[1]!)) return undefined;
  return { name: m[1] as OpenAIFaultName, arg: m[2] === undefined ? undefined : Number(m[2]) };
}

/** The magic string that `faultFromText` reads, for tests that script faults in prompts. */
export function faultMarker(name: OpenAIFaultName, arg?: number): string {
  return `[[fault:${name}${arg === undefined ? '' : `:${arg}`}]]`;
}

export function normaliseFault(fault: OpenAIFault | OpenAIFaultName): OpenAIFault {
  return typeof fault === 'string' ? { name: fault } : fault;
}
