import { type ChatMessage, type ChatRequest, type ModelWarning, type ToolDefinition, declareTransportOnlyOptions, unsupportedOption } from '@flotilla/core';
import type OpenAI from 'openai';

type MessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ToolParam = OpenAI.Chat.Completions.ChatCompletionTool;

/**
 * Sampling options that are not in the OpenAI API but that llama.cpp's server and vLLM read
 * from the request body (both ignore unknown fields; Ollama's /v1 ignores them):
 * `top_k`, `min_p` (both servers), `repeat_penalty` (llama.cpp) and `repetition_penalty` (vLLM).
 */
export interface ExtraSamplingParams {
  top_k?: number;
  min_p?: number;
  repeat_penalty?: number;
  repetition_penalty?: number;
}

export type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming & ExtraSamplingParams;

/** The key of this adapter's provider options (`providerOptions.openai`). */
export const OPENAI_PROVIDER = 'openai';

/** llama.cpp's prompt cache and slot choice change how a request is served, not its reply. */
declareTransportOnlyOptions(OPENAI_PROVIDER, ['cache_prompt', 'id_slot']);

/** Runner options the OpenAI API has no field for (a server loads its model its own way). */
const RUNNER_OPTIONS = ['numCtx', 'keepAlive', 'numThread', 'numGpu', 'numBatch'] as const;

/**
 * Maps a core request to a streaming chat completions body, and says what it could not send:
 * runner options (numCtx, keepAlive, numThread, numGpu, numBatch) have no OpenAI field.
 * `providerOptions.openai` goes into the body as written (llama.cpp's `grammar`, vLLM's
 * `guided_json`, ...), over what the mapping set.
 */
export function toChatParams(request: ChatRequest): { params: ChatParams; warnings: ModelWarning[] } {
  const o = request.options ?? {};
  const params: ChatParams = {
    model: request.model,
    messages: toOpenAIMessages(request.messages),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (o.temperature !== undefined) params.temperature = o.temperature;
  if (o.topP !== undefined) params.top_p = o.topP;
  if (o.seed !== undefined) params.seed = o.seed;
  if (o.maxTokens !== undefined) params.max_tokens = o.maxTokens;
  if (o.stop !== undefined && o.stop.length > 0) params.stop = o.stop;
  if (o.topK !== undefined) params.top_k = o.topK;
  if (o.minP !== undefined) params.min_p = o.minP;
  if (o.repeatPenalty !== undefined) {
    params.repeat_penalty = o.repeatPenalty;
    params.repetition_penalty = o.repeatPenalty;
  }
  if (request.format) {
    params.response_format = {
      type: 'json_schema',
      json_schema: { name: schemaName(request.format), schema: request.format, strict: true },
    };
  }
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map(toToolParam);
    const choice = request.toolChoice;
    if (choice !== undefined) params.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  }
  const warnings: ModelWarning[] = [];
  for (const option of RUNNER_OPTIONS) {
    if (o[option] !== undefined) warnings.push(unsupportedOption(OPENAI_PROVIDER, option, 'the OpenAI API has no field for it; the server decides'));
  }
  const extra = request.providerOptions?.[OPENAI_PROVIDER];
  if (extra) Object.assign(params, extra);
  return { params, warnings };
}

function toToolParam(tool: ToolDefinition): ToolParam {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.parameters,
    },
  };
}

/**
 * OpenAI tool results need the id of the call they answer. A tool message with
 * `toolCallId` answers that call; one without (Ollama never gives ids) takes the oldest
 * unanswered call of its tool name from the preceding assistant messages (or the oldest
 * unanswered call, or a synthetic id).
 */
export function toOpenAIMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const open: { id: string; name: string }[] = [];
  let synthetic = 0;
  return messages.map((m): MessageParam => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return m.images && m.images.length > 0
          ? {
              role: 'user',
              content: [
                { type: 'text', text: m.content },
                ...m.images.map((b64) => ({ type: 'image_url' as const, image_url: { url: dataUrl(b64) } })),
              ],
            }
          : { role: 'user', content: m.content };
      case 'assistant': {
        if (!m.toolCalls || m.toolCalls.length === 0) return { role: 'assistant', content: m.content };
        const toolCalls = m.toolCalls.map((c) => {
          const id = c.id ?? `call_${synthetic++}`;
          open.push({ id, name: c.name });
          return { id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } };
        });
        return { role: 'assistant', content: m.content === '' ? null : m.content, tool_calls: toolCalls };
      }
      case 'tool': {
        const byId = m.toolCallId === undefined ? -1 : open.findIndex((c) => c.id === m.toolCallId);
        if (m.toolCallId !== undefined && byId < 0) return { role: 'tool', content: m.content, tool_call_id: m.toolCallId };
        const i = byId >= 0 ? byId : Math.max(0, open.findIndex((c) => c.name === m.toolName));
        const answered = open.splice(i, 1)[0];
        return { role: 'tool', content: m.content, tool_call_id: answered?.id ?? `call_${m.toolName ?? 'tool'}` };
      }
    }
  });
}

/** `json_schema.name` must match ^[a-zA-Z0-9_-]{1,64}$: the schema's title, cleaned, or "output". */
function schemaName(schema: Record<string, unknown>): string {
  const title = typeof schema['title'] === 'string' ? schema['title'].replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) : '';
  return title || 'output';
}

/** Core images are bare base64; OpenAI wants data URLs. The type is sniffed from magic bytes. */
function dataUrl(base64: string): string {
  if (base64.startsWith('data:')) return base64;
  const mime = base64.startsWith('/9j/') ? 'image/jpeg' : base64.startsWith('R0lGOD') ? 'image/gif' : base64.startsWith('UklGR') ? 'image/webp' : 'image/png';
  return `data:${mime};base64,${base64}`;
}
