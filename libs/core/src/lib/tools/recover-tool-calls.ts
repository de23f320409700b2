import type { ToolCall } from '../model/chat-message';
import type { Tool } from './tool';

/** Replies longer than this are not searched for calls written as text. */
const MAX_RECOVERY_CHARS = 64_000;
/** Openings without a closing bracket tried before the search stops. */
const MAX_UNCLOSED = 32;
/** What opens a call written as text, right before it: a tag, a code fence, Mistral's marker. */
const OPENER = /(?:<tool_call>|```[A-Za-z]*|\[TOOL_CALLS\])\s*$/;
/** What closes it, right after it. */
const CLOSER = /^\s*(?:<\/tool_call>|```)/;

/** What recovery found in a reply's text: the calls, and the text left around them. */
export interface RecoveredToolCalls {
  readonly calls: ToolCall[];
  /** The reply's text without the calls and their wrappers (tags, code fences), trimmed. */
  readonly content: string;
}

/**
 * Tool calls a model wrote in its reply's text when the server returned none in the
 * structured field (a small model, or a chat template the server does not parse):
 * `<tool_call>{"name": ..., "arguments": ...}</tool_call>` (Hermes, Qwen 2.5), bare
 * `{"name", "arguments"}` or `{"name", "parameters"}` JSON (Llama 3.1/3.2), arrays of them
 * (Mistral's `[TOOL_CALLS]`), in any key order, inside code fences, with arguments as an
 * object or a JSON string.
 *
 * All or nothing: every call-shaped value in the text must name one of `tools` and carry
 * arguments that pass that tool's check; otherwise the reply stays text (undefined). JSON
 * that is not call-shaped (an answer, an example) is left in the text. Each recovered call is
 * marked `recovered: true`.
 */
export function recoverToolCalls(text: string, tools: ReadonlyMap<string, Tool<never, unknown>>): RecoveredToolCalls | undefined {
  if (text.length > MAX_RECOVERY_CHARS || text.indexOf('"name"') < 0) return undefined;
  const calls: ToolCall[] = [];
  let rest = '';
  let from = 0;
  let unclosed = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x7b /* { */ && ch !== 0x5b /* [ */) continue;
    const end = closing(text, i);
    if (end < 0) {
      if (++unclosed > MAX_UNCLOSED) break; // bounded work on a cut-off or bracket-heavy reply
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(i, end + 1));
    } catch {
      continue;
    }
    const found = Array.isArray(value) && value.length > 0 && value.every(isCallShaped) ? value : isCallShaped(value) ? [value] : undefined;
    if (found === undefined) {
      i = end; // an answer's JSON, not a call: it stays text, and nothing inside it is a call either
      continue;
    }
    for (const candidate of found) {
      const call = accept(candidate, tools);
      if (call === undefined) return undefined;
      calls.push(call);
    }
    rest += unwrapped(text.slice(from, i), from > 0).replace(OPENER, '');
    from = end + 1;
    i = end;
  }
  if (calls.length === 0) return undefined;
  rest += unwrapped(text.slice(from), true);
  return { calls, content: rest.trim() };
}

/** A piece of text between calls, without the closer of the call before it. */
function unwrapped(piece: string, afterCall: boolean): string {
  return afterCall ? piece.replace(CLOSER, '') : piece;
}

interface CallShape {
  name: string;
  arguments?: unknown;
  parameters?: unknown;
}

function isCallShaped(value: unknown): value is CallShape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (typeof v['name'] !== 'string') return false;
  const keys = Object.keys(v);
  // `{"name", "arguments"}` (Hermes, Qwen, Mistral) or `{"name", "parameters"}` (Llama 3.1/3.2), nothing else beside them.
  return keys.length === 2 && ('arguments' in v || 'parameters' in v);
}

function accept(shape: CallShape, tools: ReadonlyMap<string, Tool<never, unknown>>): ToolCall | undefined {
  const tool = tools.get(shape.name);
  if (tool === undefined) return undefined;
  let args = 'arguments' in shape ? shape.arguments : shape.parameters;
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return undefined;
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  let ok: boolean;
  try {
    ok = tool.parseArgs(args).ok;
  } catch {
    return undefined;
  }
  return ok ? { name: shape.name, arguments: args as Record<string, unknown>, recovered: true } : undefined;
}

/** The index of the bracket that closes the one at `start`, aware of JSON strings; -1 if none. */
function closing(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) depth++;
    else if (ch === 0x7d || ch === 0x5d) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
