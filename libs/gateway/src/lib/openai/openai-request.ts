import type { ChatMessage, ChatRequest, JsonSchema, ToolCall, ToolChoice } from '@flotilla/core';
import { requestError } from '../http/api-error';
import { Fields, NOT_CARRIED } from '../http/fields';
import { functionTool } from '../http/function-tool';

export interface OpenAIChatCall {
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
}


/**
 * An OpenAI chat-completions body as a router request. Every field either reaches the backend
 * (core fields, or `providerOptions` for both backend kinds) or is refused with a 400 naming it.
 */
export function openaiChatRequest(body: Record<string, unknown>): OpenAIChatCall {
  const f = new Fields(body);
  const model = f.requiredString('model');
  const rawMessages = f.array('messages');
  if (!rawMessages) throw requestError(400, 'messages is required', 'messages');
  const messages = rawMessages.map((m, i) => openaiMessage(m, `messages[${i}]`));
  const { stream, includeUsage } = streamFields(f);
  const request: ChatRequest = { model, messages, options: samplingOptions(f) };
  const tools = f.array('tools');
  const choice = toolChoice(f.raw('tool_choice'));
  if (tools?.length && choice !== 'none') request.tools = tools.map((t, i) => functionTool(t, `tools[${i}]`, 'openai'));
  if (choice !== undefined && choice !== 'auto' && choice !== 'none') {
    const named = typeof choice === 'object' ? choice.name : undefined;
    if (!request.tools?.length) throw requestError(400, `tool_choice ${JSON.stringify(f.raw('tool_choice'))} needs tools`, 'tool_choice');
    if (named !== undefined && !request.tools.some((t) => t.name === named)) throw requestError(400, `tool_choice names the function "${named}", which is not in tools`, 'tool_choice');
    // The adapter of the endpoint that serves the call enforces it, or reports in warnings what it cannot.
    request.toolChoice = choice;
  }
  f.onlyDefault('parallel_tool_calls', [true], 'tool calls are returned as the model makes them');
  const format = responseFormat(f.object('response_format'));
  if (format) request.format = format;
  f.onlyDefault('n', [1], 'one choice per request');
  f.onlyDefault('logprobs', [false], NOT_CARRIED);
  providerExtras(f, request);
  f.refuseRest(NOT_CARRIED);
  return { request, stream, includeUsage };
}

export function streamFields(f: Fields): { stream: boolean; includeUsage: boolean } {
  const stream = f.boolean('stream') ?? false;
  const so = f.object('stream_options');
  let includeUsage = false;
  if (so) {
    const s = new Fields(so, 'stream_options.');
    includeUsage = s.boolean('include_usage') ?? false;
    s.refuseRest(NOT_CARRIED);
  }
  return { stream, includeUsage };
}

/** temperature, top_p, seed, stop, max_tokens / max_completion_tokens. */
export function samplingOptions(f: Fields): NonNullable<ChatRequest['options']> {
  const o: NonNullable<ChatRequest['options']> = {};
  const temperature = f.number('temperature');
  if (temperature !== undefined) o.temperature = temperature;
  const topP = f.number('top_p');
  if (topP !== undefined) o.topP = topP;
  const seed = f.integer('seed');
  if (seed !== undefined) o.seed = seed;
  const stop = f.strings('stop');
  if (stop) o.stop = stop;
  const maxTokens = f.integer('max_completion_tokens') ?? f.integer('max_tokens');
  if (maxTokens !== undefined) o.maxTokens = maxTokens;
  return o;
}

/** Penalties: the same meaning on OpenAI-compatible servers and in Ollama's options. */
export function providerExtras(f: Fields, request: ChatRequest): void {
  const openai: Record<string, unknown> = {};
  const ollama: Record<string, unknown> = {};
  for (const key of ['presence_penalty', 'frequency_penalty'] as const) {
    const v = f.number(key);
    if (v === undefined) continue;
    openai[key] = v;
    ollama[key] = v;
  }
  if (Object.keys(openai).length) request.providerOptions = { openai, ollama: { options: ollama } };
}

function responseFormat(rf: Record<string, unknown> | undefined): JsonSchema | undefined {
  if (!rf) return undefined;
  const f = new Fields(rf, 'response_format.');
  const type = f.requiredString('type');
  if (type === 'text') return undefined;
  if (type === 'json_object') return { type: 'object' };
  if (type !== 'json_schema') throw requestError(400, `response_format.type ${JSON.stringify(type)} is not supported: text, json_object or json_schema`, 'response_format.type');
  const js = f.object('json_schema');
  if (!js) throw requestError(400, 'response_format.json_schema is required', 'response_format.json_schema');
  const schema = js['schema'];
  if (!schema || typeof schema !== 'object') throw requestError(400, 'response_format.json_schema.schema must be an object', 'response_format.json_schema.schema');
  return schema as JsonSchema;
}


function openaiMessage(m: unknown, where: string): ChatMessage {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw requestError(400, `${where} must be an object`, where);
  const f = new Fields(m as Record<string, unknown>, `${where}.`);
  const role = f.requiredString('role');
  const { text, images } = contentOf(f.raw('content'), `${where}.content`);
  const out: ChatMessage = { role: 'user', content: text };
  switch (role) {
    case 'system':
    case 'developer':
      out.role = 'system';
      break;
    case 'user':
      break;
    case 'assistant': {
      out.role = 'assistant';
      const calls = f.array('tool_calls');
      if (calls?.length) out.toolCalls = calls.map((c, i) => assistantToolCall(c, `${where}.tool_calls[${i}]`));
      f.raw('refusal');
      break;
    }
    case 'tool':
      out.role = 'tool';
      out.toolCallId = f.requiredString('tool_call_id');
      break;
    default:
      throw requestError(400, `${where}.role ${JSON.stringify(role)} is not one of system, developer, user, assistant, tool`, `${where}.role`);
  }
  if (images.length) out.images = images;
  f.refuseRest(NOT_CARRIED);
  return out;
}

function assistantToolCall(c: unknown, where: string): ToolCall {
  if (!c || typeof c !== 'object') throw requestError(400, `${where} must be an object`, where);
  const f = new Fields(c as Record<string, unknown>, `${where}.`);
  const id = f.string('id');
  f.string('type');
  const fn = f.object('function');
  const name = typeof fn?.['name'] === 'string' ? fn['name'] : undefined;
  if (!name) throw requestError(400, `${where}.function.name is required`, `${where}.function.name`);
  let args: Record<string, unknown> = {};
  const raw = fn?.['arguments'];
  if (typeof raw === 'string' && raw.trim()) {
    try {
      args = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw requestError(400, `${where}.function.arguments is not valid JSON`, `${where}.function.arguments`);
    }
  } else if (raw && typeof raw === 'object') args = raw as Record<string, unknown>;
  return { name, arguments: args, ...(id === undefined ? {} : { id }) };
}

/** A string, or parts: text, and images as base64 `data:` URLs (a server cannot fetch a URL for us). */
function contentOf(content: unknown, where: string): { text: string; images: string[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw requestError(400, `${where} must be a string or an array of parts`, where);
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((p, i) => {
    const part = p as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
    if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part?.type === 'image_url' && typeof part.image_url?.url === 'string') {
      const m = /^data:[^;]+;base64,(.*)$/s.exec(part.image_url.url);
      if (!m) throw requestError(400, `${where}[${i}].image_url.url must be a base64 data: URL (the gateway does not fetch images)`, `${where}[${i}].image_url.url`);
      images.push(m[1]!);
    } else throw requestError(400, `${where}[${i}] is not a text or image_url part`, `${where}[${i}]`);
  });
  return { text: texts.join('\n'), images };
}

/** OpenAI's `tool_choice`: "auto", "none", "required", or `{ type: "function", function: { name } }`. */
function toolChoice(raw: unknown): ToolChoice | undefined {
  if (raw === undefined || raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  const fn = typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'function' ? (raw as { function?: { name?: unknown } }).function : undefined;
  if (fn && typeof fn.name === 'string' && fn.name !== '') return { name: fn.name };
  throw requestError(400, `tool_choice ${JSON.stringify(raw)} is not one of "auto", "none", "required" or {"type":"function","function":{"name":...}}`, 'tool_choice');
}
