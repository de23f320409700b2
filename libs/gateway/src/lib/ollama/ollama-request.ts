import type { ChatMessage, ChatRequest, JsonSchema } from '@flotilla/core';
import { requestError } from '../http/api-error';
import { Fields, NOT_CARRIED } from '../http/fields';
import { functionTool } from '../http/function-tool';

export interface OllamaCall {
  request: ChatRequest;
  stream: boolean;
}


/**
 * Fields of `/api/generate` that only an Ollama server's own prompt handling can honour: the
 * gateway refuses them (naming the field) rather than answer them as a chat.
 */
export const GENERATE_ONLY_FIELDS = ['suffix', 'raw', 'template', 'context', 'images'] as const;

/** `options` keys with a core meaning; every other key goes to Ollama backends as written. */
const CORE_OPTIONS: Readonly<Record<string, (o: NonNullable<ChatRequest['options']>, v: unknown, name: string) => void>> = {
  temperature: (o, v, n) => (o.temperature = num(v, n)),
  top_p: (o, v, n) => (o.topP = num(v, n)),
  top_k: (o, v, n) => (o.topK = int(v, n)),
  min_p: (o, v, n) => (o.minP = num(v, n)),
  seed: (o, v, n) => (o.seed = int(v, n)),
  num_predict: (o, v, n) => (o.maxTokens = int(v, n)),
  repeat_penalty: (o, v, n) => (o.repeatPenalty = num(v, n)),
  num_ctx: (o, v, n) => (o.numCtx = int(v, n)),
  num_thread: (o, v, n) => (o.numThread = int(v, n)),
  num_gpu: (o, v, n) => (o.numGpu = int(v, n)),
  num_batch: (o, v, n) => (o.numBatch = int(v, n)),
  stop: (o, v, n) => {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw requestError(400, `${n} must be an array of strings`, n);
    o.stop = v as string[];
  },
};

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw requestError(400, `${name} must be a number`, name);
  return v;
}

function int(v: unknown, name: string): number {
  if (!Number.isInteger(v)) throw requestError(400, `${name} must be an integer`, name);
  return v as number;
}

/** `model`, `format`, `options`, `keep_alive`, `tools`, `think`, `stream`: shared by /api/chat and /api/generate. */
function common(f: Fields, messages: ChatMessage[]): OllamaCall {
  const model = f.requiredString('model');
  const stream = f.boolean('stream') ?? true;
  const options: NonNullable<ChatRequest['options']> = {};
  const passThrough: Record<string, unknown> = {};
  const raw = f.object('options') ?? {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    const set = CORE_OPTIONS[k];
    if (set) set(options, v, `options.${k}`);
    else passThrough[k] = v;
  }
  const keepAlive = f.raw('keep_alive');
  if (keepAlive !== undefined) {
    if (typeof keepAlive !== 'number' && typeof keepAlive !== 'string') throw requestError(400, 'keep_alive must be a number of seconds or a duration', 'keep_alive');
    options.keepAlive = keepAlive;
  }
  const request: ChatRequest = { model, messages, options };
  const format = f.raw('format');
  if (format === 'json') request.format = { type: 'object' };
  else if (format && typeof format === 'object' && !Array.isArray(format)) request.format = format as JsonSchema;
  else if (format !== undefined && format !== '') throw requestError(400, 'format must be "json" or a JSON Schema object', 'format');
  const ollama: Record<string, unknown> = {};
  const think = f.raw('think');
  if (think !== undefined) {
    if (typeof think !== 'boolean' && !['low', 'medium', 'high'].includes(think as string)) throw requestError(400, 'think must be a boolean or "low", "medium", "high"', 'think');
    ollama['think'] = think;
  }
  if (Object.keys(passThrough).length) ollama['options'] = passThrough;
  if (Object.keys(ollama).length) request.providerOptions = { ollama };
  return { request, stream };
}

/** `POST /api/chat` as a router request. */
export function ollamaChatRequest(body: Record<string, unknown>): OllamaCall {
  const f = new Fields(body);
  const raw = f.array('messages') ?? [];
  const messages = raw.map((m, i) => ollamaMessage(m, `messages[${i}]`));
  const call = common(f, messages);
  const tools = f.array('tools');
  if (tools?.length) call.request.tools = tools.map((t, i) => functionTool(t, `tools[${i}]`, 'ollama'));
  f.refuseRest(NOT_CARRIED);
  return call;
}

/** `POST /api/generate` without Ollama-only fields: `system` and `prompt` as a chat. */
export function ollamaGenerateRequest(body: Record<string, unknown>): OllamaCall {
  const f = new Fields(body);
  for (const field of GENERATE_ONLY_FIELDS) {
    if (f.has(field)) throw requestError(400, `${field} is not supported by this gateway's /api/generate: it needs an Ollama server's own prompt handling; send a chat instead`, field);
  }
  const system = f.string('system');
  const prompt = f.string('prompt');
  const messages: ChatMessage[] = [];
  if (system) messages.push({ role: 'system', content: system });
  if (prompt) messages.push({ role: 'user', content: prompt });
  const call = common(f, messages);
  f.refuseRest(NOT_CARRIED);
  return call;
}


function ollamaMessage(m: unknown, where: string): ChatMessage {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw requestError(400, `${where} must be an object`, where);
  const f = new Fields(m as Record<string, unknown>, `${where}.`);
  const role = f.requiredString('role');
  if (!['system', 'user', 'assistant', 'tool'].includes(role)) throw requestError(400, `${where}.role ${JSON.stringify(role)} is not one of system, user, assistant, tool`, `${where}.role`);
  const out: ChatMessage = { role: role as ChatMessage['role'], content: f.string('content') ?? '' };
  const images = f.array('images');
  if (images?.length) {
    if (!images.every((i) => typeof i === 'string')) throw requestError(400, `${where}.images must be base64 strings`, `${where}.images`);
    out.images = images as string[];
  }
  const calls = f.array('tool_calls');
  if (calls?.length) {
    out.toolCalls = calls.map((c, i) => {
      const fn = (c as { function?: { name?: unknown; arguments?: unknown } })?.function;
      if (typeof fn?.name !== 'string') throw requestError(400, `${where}.tool_calls[${i}].function.name is required`, `${where}.tool_calls[${i}].function.name`);
      return { name: fn.name, arguments: (fn.arguments && typeof fn.arguments === 'object' ? fn.arguments : {}) as Record<string, unknown> };
    });
  }
  const toolName = f.string('tool_name');
  if (toolName !== undefined) out.toolName = toolName;
  f.string('thinking');
  f.refuseRest(NOT_CARRIED);
  return out;
}
