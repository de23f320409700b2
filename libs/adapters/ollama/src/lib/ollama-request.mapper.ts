import { type ChatMessage, type ChatRequest, type SamplingOptions, type RunnerOptions, type ModelWarning, declareTransportOnlyOptions } from '@flotilla/core';
import type { ChatRequest as OllamaChatRequest, Message, Options, Tool } from 'ollama';

/** The key of this adapter's provider options (`providerOptions.ollama`). */
export const OLLAMA_PROVIDER = 'ollama';

/** How long the server keeps the model loaded changes nothing in the reply. */
declareTransportOnlyOptions(OLLAMA_PROVIDER, ['keep_alive']);

/** Our option names -> Ollama's `options` keys. */
export const OPTION_MAP: Readonly<Record<Exclude<keyof (SamplingOptions & RunnerOptions), 'keepAlive'>, keyof Options>> = {
  temperature: 'temperature',
  topP: 'top_p',
  topK: 'top_k',
  minP: 'min_p',
  seed: 'seed',
  maxTokens: 'num_predict',
  stop: 'stop',
  repeatPenalty: 'repeat_penalty',
  numCtx: 'num_ctx',
  numThread: 'num_thread',
  numGpu: 'num_gpu',
  numBatch: 'num_batch',
};

export function toOllamaOptions(options: ChatRequest['options'] = {}): Partial<Options> {
  const out: Record<string, unknown> = {};
  for (const [ours, theirs] of Object.entries(OPTION_MAP)) {
    const v = (options as Record<string, unknown>)[ours];
    if (v !== undefined) out[theirs] = v;
  }
  return out as Partial<Options>;
}

export function toOllamaMessage(m: ChatMessage): Message {
  const out: Message = { role: m.role, content: m.content };
  if (m.images?.length) out.images = m.images;
  if (m.toolCalls?.length) out.tool_calls = m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
  if (m.toolName !== undefined) out.tool_name = m.toolName;
  return out;
}

/**
 * Ollama's API has no tool choice: `none` is enforced by sending no tools, a named tool by
 * sending only that one (the model may still answer in text), `required` not at all.
 */
function offeredTools(request: ChatRequest): ChatRequest['tools'] {
  const choice = request.toolChoice;
  if (choice === 'none') return undefined;
  if (typeof choice === 'object') return request.tools?.filter((t) => t.name === choice.name);
  return request.tools;
}

/** What `toOllamaChatRequest` cannot do of the request's tool choice. */
export function toolChoiceWarnings(request: ChatRequest): ModelWarning[] {
  const choice = request.toolChoice;
  if (!request.tools?.length || choice === undefined || choice === 'auto' || choice === 'none') return [];
  const what = choice === 'required' ? 'toolChoice "required"' : `toolChoice { name: "${choice.name}" }`;
  const done = choice === 'required' ? 'the model may answer without a tool call' : 'only that tool is offered, but the model may answer without calling it';
  return [{ type: 'unsupported-option', provider: OLLAMA_PROVIDER, option: 'toolChoice', message: `${OLLAMA_PROVIDER}: ${what} cannot be enforced (Ollama's API has no tool choice): ${done}` }];
}

/** Maps a Flotilla chat request to Ollama's; `keepAlive` falls back to the client default; `providerOptions.ollama` goes through as written. */
export function toOllamaChatRequest(request: ChatRequest, defaults: { keepAlive?: number | string } = {}): Omit<OllamaChatRequest, 'stream'> {
  const out: Omit<OllamaChatRequest, 'stream'> = {
    model: request.model,
    messages: request.messages.map(toOllamaMessage),
  };
  const options = toOllamaOptions(request.options);
  if (Object.keys(options).length) out.options = options;
  const keepAlive = request.options?.keepAlive ?? defaults.keepAlive;
  if (keepAlive !== undefined) out.keep_alive = keepAlive;
  if (request.format) out.format = request.format;
  const tools = offeredTools(request);
  if (tools?.length) {
    out.tools = tools.map(
      (t): Tool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters as Tool['function']['parameters'] } }),
    );
  }
  // providerOptions.ollama as written: its `options` over the mapped ones (mirostat, num_keep, ...),
  // anything else as a request field (think, ...).
  const extra = request.providerOptions?.[OLLAMA_PROVIDER];
  if (extra) {
    const { options: more, ...fields } = extra as { options?: Record<string, unknown> } & Record<string, unknown>;
    Object.assign(out, fields);
    if (more) out.options = { ...out.options, ...more } as Partial<Options>;
  }
  return out;
}
