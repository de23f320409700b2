import { CHARS_PER_TOKEN, type ChatRequest } from '@flotilla/core';
import type { ScriptedReply } from '@flotilla/core/testing';

/** How fast a simulated small model answers. */
export interface ModelPace {
  /** Delay before the first token (prompt processing, ms). */
  firstTokenMs: number;
  tokensPerSec: number;
}

/** A small local model on a CPU: what authored cassettes are paced like by default. */
export const SMALL_MODEL_PACE: ModelPace = { firstTokenMs: 450, tokensPerSec: 32 };

/**
 * A hand-written reply as a scripted model would stream it: one delta per ~4 characters
 * (a token), paced like `pace` (`timeScale` 0 for instant), with usage estimated the same way.
 */
export function pacedReply(text: string, request: ChatRequest, pace: ModelPace = SMALL_MODEL_PACE, timeScale = 1): ScriptedReply {
  const tokens = Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
  const promptChars = request.messages.reduce((n, m) => n + m.content.length, 0);
  return {
    text,
    chunks: tokens,
    firstTokenDelayMs: pace.firstTokenMs * timeScale,
    interTokenDelayMs: (1000 / pace.tokensPerSec) * timeScale,
    usage: { promptTokens: Math.ceil(promptChars / CHARS_PER_TOKEN), completionTokens: tokens },
  };
}
