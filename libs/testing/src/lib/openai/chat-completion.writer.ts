import type { HttpExchange } from './http-exchange';
import type { OpenAIFault } from './openai-fault';
import type { PlannedReply } from './chat-reply.planner';
import type { OpenAILatencyModel } from './openai-server.options';
import { errorBody } from './openai-error-body';

export interface ChatWriteContext {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  /** A fault that strikes after the response started (mid-stream kinds and `trickle`). */
  fault?: OpenAIFault;
  latency: Required<OpenAILatencyModel>;
  /** Real milliseconds between chunks, overriding the latency model. */
  realIntervalMs?: number;
  /** Message of a mid-stream error. */
  errorMessage?: string;
}

const MID_STREAM = new Set(['errorMidStream', 'dropMidStream', 'endWithoutDone', 'malformedSse']);

/** Streams a planned reply as OpenAI SSE chunks, applying a mid-stream fault if any. */
export async function writeChatStream(ex: HttpExchange, plan: PlannedReply, ctx: ChatWriteContext): Promise<void> {
  const base = { id: ctx.id, object: 'chat.completion.chunk', created: ctx.created, model: ctx.model, system_fingerprint: 'flotilla-test' };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(ctx.includeUsage ? { usage: null } : {}),
  });
  const deltas = toDeltas(plan);
  const midFault = ctx.fault && MID_STREAM.has(ctx.fault.name) ? ctx.fault : undefined;
  const failAt = midFault?.arg ?? 1;
  ex.startSse();
  ex.sse(chunk({ role: 'assistant', content: '' }));
  let sent = 0;
  for (const delta of deltas) {
    if (midFault && sent === failAt) break;
    if (sent > 0) await pause(ex, ctx);
    if (ex.closed) return;
    ex.sse(chunk(delta));
    sent++;
  }
  if (midFault) {
    applyMidStreamFault(ex, midFault, ctx.errorMessage);
    return;
  }
  ex.sse(chunk({}, plan.finishReason));
  if (ctx.includeUsage) {
    ex.sse({ ...base, choices: [], usage: usage(plan) });
  }
  ex.sse('[DONE]');
  ex.end();
}

/** Answers a non-streaming request with one `chat.completion` object (usage always included). */
export async function writeChatJson(ex: HttpExchange, plan: PlannedReply, ctx: ChatWriteContext): Promise<void> {
  const pieces = plan.chunks.length + plan.toolCalls.reduce((n, c) => n + c.argumentChunks.length, 0);
  for (let i = 1; i < pieces && !ex.closed; i++) await pause(ex, ctx);
  if (ex.closed) return;
  const fault = ctx.fault?.name;
  if (fault === 'errorMidStream') return ex.json(500, errorBody(500, ctx.errorMessage ?? 'generation failed', 'server_error'));
  if (fault === 'dropMidStream' || fault === 'endWithoutDone') return ex.drop();
  if (fault === 'malformedSse') return ex.raw(200, 'application/json', '{"id": "chatcmpl-broken", "choices": [');
  const toolCalls = plan.toolCalls.map((c) => ({
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: c.argumentChunks.join('') },
  }));
  ex.json(200, {
    id: ctx.id,
    object: 'chat.completion',
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 ? null : plan.chunks.join(''),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: plan.finishReason,
      },
    ],
    usage: usage(plan),
  });
}

function toDeltas(plan: PlannedReply): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = plan.chunks.map((content) => ({ content }));
  plan.toolCalls.forEach((call, index) => {
    call.argumentChunks.forEach((piece, i) => {
      out.push({
        tool_calls: [
          i === 0
            ? { index, id: call.id, type: 'function', function: { name: call.name, arguments: piece } }
            : { index, function: { arguments: piece } },
        ],
      });
    });
  });
  return out;
}

function pause(ex: HttpExchange, ctx: ChatWriteContext): Promise<void> {
  if (ctx.realIntervalMs !== undefined) return ex.sleep(ctx.realIntervalMs, false);
  return ex.sleep(ctx.fault?.name === 'trickle' ? (ctx.fault.arg ?? 200) : ctx.latency.perTokenMs);
}

function applyMidStreamFault(ex: HttpExchange, fault: OpenAIFault, message = 'generation failed mid-stream'): void {
  switch (fault.name) {
    case 'errorMidStream':
      ex.sse(errorBody(500, message, 'server_error'));
      ex.end();
      return;
    case 'dropMidStream':
      ex.drop();
      return;
    case 'malformedSse':
      ex.res.write('data: {"id": "chatcmpl-broken", "choices": [\n\n');
      ex.end();
      return;
    default:
      ex.end();
  }
}

function usage(plan: PlannedReply): Record<string, number> {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}
