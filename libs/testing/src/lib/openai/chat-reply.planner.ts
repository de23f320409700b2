import { toolCallsAsText } from '../tools/tool-call-text';
import { valueForSchema } from '../schema/schema-value.generator';
import type { OpenAIScriptedReply } from './openai-scripted-reply';
import { estimateTokens, type OpenAITestModel } from './openai-server.options';

/** The parts of a chat completions body the test server reads. */
export interface ChatCompletionBody {
  model?: string;
  messages?: { role?: string; content?: unknown; tool_calls?: { function?: { arguments?: string } }[] }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: { type?: string; function?: { name?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  response_format?: { type?: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
}

export interface PlannedToolCall {
  id: string;
  name: string;
  /** The arguments JSON string, split as a server would stream it. */
  argumentChunks: string[];
}

export interface PlannedReply {
  chunks: string[];
  toolCalls: PlannedToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  completionTokens: number;
}

const TOOL_MARKER = /\[\[tool:([A-Za-z0-9_-]+)\]\]/;
const FAULT_MARKER = /\[\[fault:[^\]]*\]\]/g;

/**
 * Decides a deterministic reply: a tool call when tools are offered and the last message is
 * not a tool result (`[[tool:name]]` in the last user message picks the tool), JSON sampled
 * from the schema under `response_format` json_schema, otherwise the model's reply or an echo.
 */
export function planReply(
  body: ChatCompletionBody,
  model: OpenAITestModel,
  chunkChars: number,
  callNumber: number,
  scripted: OpenAIScriptedReply = {},
): PlannedReply {
  const messages = body.messages ?? [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const userText = textOf(lastUser?.content).replace(FAULT_MARKER, '').trim();
  const promptTokens = promptTokenCount(body);
  const seed = String(typeof body.seed === 'number' ? body.seed : 0);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  if (scripted.toolCallsAs === 'text' && scripted.toolCalls?.length) scripted = { ...scripted, text: toolCallsAsText(scripted.toolCalls), toolCalls: undefined };

  if (scripted.toolCalls && scripted.toolCalls.length > 0) {
    const toolCalls = scripted.toolCalls.map((c, i) => ({
      id: `call_${callNumber}_${i}`,
      name: c.name,
      argumentChunks: splitThree(JSON.stringify(c.arguments)),
    }));
    const completionTokens = toolCalls.reduce((n, c) => n + c.argumentChunks.length, 0);
    return { chunks: [], toolCalls, finishReason: 'tool_calls', promptTokens, completionTokens };
  }

  const tools = (body.tools ?? []).filter((t) => t.function?.name);
  // Like the real servers: `required` or a named tool forces a call on every request; `auto` here calls one until a tool answered.
  const forced = body.tool_choice === 'required' || namedChoice(body.tool_choice) !== undefined;
  if (scripted.text === undefined && tools.length > 0 && body.tool_choice !== 'none' && (forced || messages.at(-1)?.role !== 'tool')) {
    const wanted = TOOL_MARKER.exec(userText)?.[1] ?? namedChoice(body.tool_choice);
    const tool = tools.find((t) => t.function!.name === wanted) ?? tools[0]!;
    const args = JSON.stringify(valueForSchema(tool.function!.parameters ?? { type: 'object', properties: {} }, seed));
    const argumentChunks = splitThree(args);
    return {
      chunks: [],
      toolCalls: [{ id: `call_${callNumber}_0`, name: tool.function!.name!, argumentChunks }],
      finishReason: 'tool_calls',
      promptTokens,
      completionTokens: argumentChunks.length + 1,
    };
  }

  let text: string;
  const format = body.response_format;
  if (scripted.text !== undefined) text = scripted.text;
  else if (format?.type === 'json_schema') text = JSON.stringify(valueForSchema(format.json_schema?.schema ?? {}, seed));
  else if (format?.type === 'json_object') text = JSON.stringify({ reply: userText.slice(0, 40) });
  else if (typeof model.reply === 'function') text = model.reply(userText);
  else text = model.reply ?? `You said: ${userText}`;

  const stops = body.stop == null ? [] : Array.isArray(body.stop) ? body.stop : [body.stop];
  for (const stop of stops) {
    const at = stop ? text.indexOf(stop) : -1;
    if (at >= 0) text = text.slice(0, at);
  }
  let chunks = scripted.chunks ? splitInto(text, scripted.chunks) : splitChunks(text, chunkChars);
  let finishReason: PlannedReply['finishReason'] = 'stop';
  if (typeof maxTokens === 'number' && chunks.length > maxTokens) {
    chunks = chunks.slice(0, maxTokens);
    finishReason = 'length';
  }
  return { chunks, toolCalls: [], finishReason, promptTokens, completionTokens: chunks.length };
}

export function promptTokenCount(body: ChatCompletionBody): number {
  let text = '';
  for (const m of body.messages ?? []) {
    text += textOf(m.content);
    for (const call of m.tool_calls ?? []) text += call.function?.arguments ?? '';
  }
  return estimateTokens(text);
}

/** Text of a message content: a string, or the text parts of a content array. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (p && typeof p === 'object' && typeof p.text === 'string' ? p.text : '')).join('');
}

function namedChoice(choice: unknown): string | undefined {
  const fn = (choice as { function?: { name?: unknown } } | undefined)?.function;
  return typeof fn?.name === 'string' ? fn.name : undefined;
}

function splitChunks(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function splitInto(text: string, n: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  return splitChunks(text, Math.ceil(chars.length / Math.max(1, n)));
}

/** Splits an arguments string in (up to) three pieces, so clients must assemble them. */
function splitThree(text: string): string[] {
  if (text.length < 3) return [text];
  const a = Math.floor(text.length / 3);
  const b = Math.floor((2 * text.length) / 3);
  return [text.slice(0, a), text.slice(a, b), text.slice(b)];
}
