import { FlotillaError, type CallTimings, type ChatEvent, type FinalEvent, type FinishReason, type ToolCallDeltaEvent } from '@flotilla/core';
import type OpenAI from 'openai';
import { ToolCallAssembler } from './tool-call.assembler';
import { CHARS_PER_TOKEN } from '@flotilla/core';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

export interface StreamReadContext {
  model: string;
  endpoint: string;
  /** `performance.now()` when the request was sent. */
  startedAt: number;
  /** Estimated prompt tokens, used when the server reports no usage. */
  promptTokensEstimate: number;
}

/**
 * Reads an SSE chat stream into core events: emits deltas as they come, tool calls once the
 * stream is complete, and returns the final event. A stream that ends without a
 * `finish_reason` was cut off: it fails as retryable `unavailable`.
 */
export async function readChatStream(
  stream: AsyncIterable<Chunk>,
  emit: (event: ChatEvent) => void,
  signal: AbortSignal,
  ctx: StreamReadContext,
): Promise<FinalEvent | undefined> {
  let content = '';
  let finish: string | null = null;
  let usage: Chunk['usage'] | undefined;
  let firstTokenMs: number | undefined;
  let serverTimings: Record<string, unknown> | undefined;
  const tools = new ToolCallAssembler();
  const mark = () => (firstTokenMs ??= performance.now() - ctx.startedAt);

  for await (const chunk of stream) {
    if (signal.aborted) return undefined;
    if (chunk.usage) usage = chunk.usage;
    // llama.cpp adds a non-standard `timings` object (prompt_ms, predicted_ms) to its last chunk.
    const timings = (chunk as { timings?: unknown }).timings;
    if (typeof timings === 'object' && timings !== null) serverTimings = timings as Record<string, unknown>;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      mark();
      content += delta.content;
      emit({ type: 'delta', text: delta.content });
    }
    if (delta.tool_calls) {
      mark();
      for (const call of delta.tool_calls) {
        const index = tools.add(call);
        const piece: ToolCallDeltaEvent = { type: 'toolCallDelta', index, argumentsDelta: call.function?.arguments ?? '' };
        if (call.function?.name) piece.name = call.function.name;
        if (call.id) piece.id = call.id;
        emit(piece);
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (signal.aborted) return undefined;
  const details = { model: ctx.model, endpoint: ctx.endpoint, phase: 'stream' };
  if (finish === null) {
    throw new FlotillaError('unavailable', `${ctx.endpoint} (model "${ctx.model}"): stream ended without a finish_reason`, {
      retryable: true,
      details: { ...details, reason: 'truncated', receivedChars: content.length },
    });
  }
  const toolCalls = tools.size > 0 ? tools.finish(details) : undefined;
  for (const call of toolCalls ?? []) emit({ type: 'toolCall', call });
  const totalMs = performance.now() - ctx.startedAt;
  const callTimings: CallTimings = { totalMs, ...(firstTokenMs === undefined ? {} : { firstTokenMs }) };
  if (typeof serverTimings?.['prompt_ms'] === 'number') callTimings.promptEvalMs = serverTimings['prompt_ms'];
  if (typeof serverTimings?.['predicted_ms'] === 'number') callTimings.evalMs = serverTimings['predicted_ms'];
  const argsChars = (toolCalls ?? []).reduce((n, c) => n + JSON.stringify(c.arguments).length, 0);
  return {
    type: 'final',
    message: { role: 'assistant', content, ...(toolCalls ? { toolCalls } : {}) },
    finishReason: toFinishReason(finish),
    usage: {
      promptTokens: usage?.prompt_tokens ?? ctx.promptTokensEstimate,
      completionTokens: usage?.completion_tokens ?? Math.max(1, Math.ceil((content.length + argsChars) / CHARS_PER_TOKEN)),
    },
    timings: callTimings,
    model: ctx.model,
    endpoint: ctx.endpoint,
  };
}

function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'toolCalls';
    default:
      return 'other';
  }
}
