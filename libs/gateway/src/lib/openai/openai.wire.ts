import type { FinalEvent, FinishReason, ToolCall } from '@flotilla/core';
import { errorBody } from '../http/api-error';
import type { ChatWire, WireCall } from '../relay/chat-wire';

const FINISH: Readonly<Record<FinishReason, string>> = { stop: 'stop', length: 'length', toolCalls: 'tool_calls', load: 'stop', unload: 'stop', other: 'stop' };

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

function usageOf(final: FinalEvent) {
  const { promptTokens, completionTokens } = final.usage;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

function wireToolCall(call: ToolCall, index: number, id: string) {
  return { index, id: call.id ?? `call_${id}_${index}`, type: 'function' as const, function: { name: call.name, arguments: JSON.stringify(call.arguments) } };
}

/** SSE comments: every SSE client skips them. */
const HEARTBEAT = ': keep-alive\n\n';

/** `POST /v1/chat/completions`: `chat.completion` objects and `chat.completion.chunk` SSE events. */
export const openaiChatWire: ChatWire = {
  streamType: 'text/event-stream',
  heartbeat: () => HEARTBEAT,
  piece(e, c) {
    const chunk = (delta: Record<string, unknown>) => ({ id: `chatcmpl-${c.id}`, object: 'chat.completion.chunk', created: c.created, model: c.model, choices: [{ index: 0, delta, finish_reason: null }] });
    const role = c.started ? {} : { role: 'assistant' };
    c.started = true;
    if (e.type === 'delta') return sse(chunk({ ...role, content: e.text }));
    return sse(chunk({ ...role, tool_calls: [wireToolCall(e.call, c.toolCalls++, c.id)] }));
  },
  end(final, c) {
    const base = { id: `chatcmpl-${c.id}`, object: 'chat.completion.chunk', created: c.created, model: c.model };
    let out = sse({ ...base, choices: [{ index: 0, delta: {}, finish_reason: FINISH[final.finishReason] }] });
    if (c.includeUsage) out += sse({ ...base, choices: [], usage: usageOf(final) });
    return out + 'data: [DONE]\n\n';
  },
  streamError: (error) => sse(errorBody('openai', error)),
  whole(final, c) {
    const calls = final.message.toolCalls ?? [];
    return {
      id: `chatcmpl-${c.id}`,
      object: 'chat.completion',
      created: c.created,
      model: c.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: final.message.content, refusal: null, ...(calls.length ? { tool_calls: calls.map((t, i) => wireToolCall(t, i, c.id)) } : {}) },
          logprobs: null,
          finish_reason: FINISH[final.finishReason],
        },
      ],
      usage: usageOf(final),
    };
  },
};

/** `POST /v1/completions`: `text_completion` objects, streamed as SSE. */
export const openaiCompletionWire: ChatWire = {
  streamType: 'text/event-stream',
  heartbeat: () => HEARTBEAT,
  piece(e, c: WireCall) {
    const text = e.type === 'delta' ? e.text : '';
    return sse({ id: `cmpl-${c.id}`, object: 'text_completion', created: c.created, model: c.model, choices: [{ index: 0, text, logprobs: null, finish_reason: null }] });
  },
  end(final, c) {
    const base = { id: `cmpl-${c.id}`, object: 'text_completion', created: c.created, model: c.model };
    let out = sse({ ...base, choices: [{ index: 0, text: '', logprobs: null, finish_reason: FINISH[final.finishReason] }] });
    if (c.includeUsage) out += sse({ ...base, choices: [], usage: usageOf(final) });
    return out + 'data: [DONE]\n\n';
  },
  streamError: (error) => sse(errorBody('openai', error)),
  whole(final, c) {
    return {
      id: `cmpl-${c.id}`,
      object: 'text_completion',
      created: c.created,
      model: c.model,
      choices: [{ index: 0, text: final.message.content, logprobs: null, finish_reason: FINISH[final.finishReason] }],
      usage: usageOf(final),
    };
  },
};
