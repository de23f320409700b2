import { toolCallsAsText } from '../tools/tool-call-text';
import { sleep } from './http-io';
import type { SimModel } from './sim-model';
import { type SimFault, type SimReplySpec, type SimToolCall, splitChunks, tokenize } from './sim-reply';

/** What one generation will produce, decided before the first token. */
export interface GenerationPlan {
  pieces: string[];
  toolCalls: SimToolCall[];
  text: string;
  promptTokens: number;
  evalCount: number;
  doneReason: 'stop' | 'length';
  intervalMs?: number;
  fault?: SimFault;
}

/**
 * Simulated milliseconds (what an unscaled server would report): load, prompt and eval
 * times follow the latency model; total is the real elapsed time divided by `timeScale`,
 * and never less than the parts.
 */
export interface GenerationStats {
  promptTokens: number;
  evalCount: number;
  doneReason: 'stop' | 'length';
  loadMs: number;
  promptEvalMs: number;
  evalMs: number;
  totalMs: number;
}

/** Where a generation goes: NDJSON, SSE, or one JSON body. */
export interface GenerationSink {
  piece(text: string): void;
  toolCalls(calls: SimToolCall[]): void;
  final(stats: GenerationStats, plan: GenerationPlan): void;
  streamError(message: string): void;
  malformed(): void;
  truncate(): void;
  drop(): void;
}

export function planGeneration(reply: SimReplySpec, promptTokens: number, options: Record<string, unknown>): GenerationPlan {
  if (reply.toolCallsAs === 'text' && reply.toolCalls?.length) reply = { ...reply, text: toolCallsAsText(reply.toolCalls), toolCalls: undefined };
  let text = reply.text ?? '';
  let doneReason: 'stop' | 'length' = 'stop';
  const stops = Array.isArray(options['stop']) ? (options['stop'] as unknown[]).filter((s): s is string => typeof s === 'string' && s !== '') : [];
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  let tokens = tokenize(text);
  const limit = typeof options['num_predict'] === 'number' && options['num_predict'] >= 0 ? options['num_predict'] : undefined;
  if (limit !== undefined && tokens.length > limit) {
    tokens = tokens.slice(0, limit);
    text = tokens.join('');
    doneReason = 'length';
  }
  const toolCalls = reply.toolCalls ?? [];
  const toolTokens = toolCalls.length ? Math.ceil(JSON.stringify(toolCalls).length / 4) : 0;
  return {
    pieces: reply.chunks ? splitChunks(text, reply.chunks) : tokens,
    toolCalls,
    text,
    promptTokens,
    evalCount: tokens.length + toolTokens,
    doneReason,
    intervalMs: reply.fault?.type === 'trickle' ? reply.fault.intervalMs : reply.intervalMs,
    fault: reply.fault,
  };
}

/**
 * Plays a plan out in (scaled) time: prompt processing and first-token delay, then one
 * piece per token interval, honouring faults. Stops as soon as `signal` aborts (the client
 * went away). Returns false when it did not reach the final chunk.
 */
export async function runGeneration(
  plan: GenerationPlan,
  model: SimModel,
  timing: { timeScale: number; receivedAt: number; loaded: boolean },
  signal: AbortSignal,
  sink: GenerationSink,
): Promise<boolean> {
  const scale = timing.timeScale;
  const promptEvalMs = (plan.promptTokens / model.promptTokensPerSec) * 1000;
  if (!(await sleep((promptEvalMs + model.firstTokenMs) * scale, signal))) return false;
  const fault = plan.fault;
  const perToken = (1000 / model.tokensPerSec) * scale;
  for (let i = 0; i < plan.pieces.length; i++) {
    if (fault && 'afterChunks' in fault && fault.afterChunks === i) {
      if (fault.type === 'malformed') sink.malformed();
      else return stopWith(fault, sink);
    }
    if (i > 0) {
      const delay = plan.intervalMs ?? perToken * Math.max(1, tokenize(plan.pieces[i]!).length);
      if (!(await sleep(delay, signal))) return false;
    }
    if (signal.aborted) return false;
    sink.piece(plan.pieces[i]!);
  }
  if (fault && 'afterChunks' in fault && fault.afterChunks >= plan.pieces.length && fault.type !== 'malformed') {
    return stopWith(fault, sink);
  }
  if (plan.toolCalls.length) {
    if (!(await sleep(plan.intervalMs ?? perToken, signal))) return false;
    sink.toolCalls(plan.toolCalls);
  }
  if (signal.aborted) return false;
  const loadMs = timing.loaded ? model.loadMs : 0;
  const evalMs = plan.intervalMs !== undefined ? (plan.intervalMs * plan.pieces.length) / (scale || 1) : (plan.evalCount / model.tokensPerSec) * 1000;
  const parts = loadMs + promptEvalMs + model.firstTokenMs + evalMs;
  const measured = scale > 0 ? (performance.now() - timing.receivedAt) / scale : 0;
  sink.final(
    { promptTokens: plan.promptTokens, evalCount: plan.evalCount, doneReason: plan.doneReason, loadMs, promptEvalMs, evalMs, totalMs: Math.max(parts, measured) },
    plan,
  );
  return true;
}

function stopWith(fault: SimFault, sink: GenerationSink): false {
  if (fault.type === 'midStreamError') sink.streamError(fault.message ?? 'an error was encountered while running the model: unexpected EOF');
  else if (fault.type === 'drop') sink.drop();
  else if (fault.type === 'truncate') sink.truncate();
  return false;
}
