import type { CallTimings, FinishReason, TokenUsage } from '@flotilla/core';
import type { ChatResponse } from 'ollama';

/** Ollama durations are integer nanoseconds; missing or zero means "not reported". */
export function nsToMs(ns: number | undefined | null): number | undefined {
  return typeof ns === 'number' && ns > 0 ? ns / 1e6 : undefined;
}

export function finishReason(doneReason: string | undefined, hadToolCalls: boolean): FinishReason {
  if (hadToolCalls) return 'toolCalls';
  switch (doneReason) {
    case 'stop':
    case undefined:
    case '':
      return 'stop';
    case 'length':
      return 'length';
    case 'load':
      return 'load';
    case 'unload':
      return 'unload';
    default:
      return 'other';
  }
}

export function usageOf(final: Partial<ChatResponse>): TokenUsage {
  return { promptTokens: final.prompt_eval_count ?? 0, completionTokens: final.eval_count ?? 0 };
}

/** Server timings from the final chunk; `firstTokenMs` and `totalMs` are measured by the client. */
export function timingsOf(final: Partial<ChatResponse>, measured: { firstTokenMs?: number; totalMs: number }): CallTimings {
  const t: CallTimings = { totalMs: measured.totalMs };
  const load = nsToMs(final.load_duration);
  const prompt = nsToMs(final.prompt_eval_duration);
  const evalMs = nsToMs(final.eval_duration);
  if (load !== undefined) t.loadMs = load;
  if (measured.firstTokenMs !== undefined) t.firstTokenMs = measured.firstTokenMs;
  if (prompt !== undefined) t.promptEvalMs = prompt;
  if (evalMs !== undefined) t.evalMs = evalMs;
  return t;
}
