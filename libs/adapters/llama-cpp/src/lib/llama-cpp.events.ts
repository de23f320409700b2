import type { ErrorKind } from '@flotilla/core';

/** How a request ended, as the engine saw it. */
export type RequestOutcome = 'completed' | 'cancelled' | 'failed';

/**
 * What the embedded engine does with requests, for tests, traces and dashboards:
 * `queued` on arrival, `started` once it holds a sequence of the model's context,
 * `finished` after its sequence is freed (or it left the queue without one).
 */
export type LlamaCppEvent =
  | { type: 'queued'; id: number; model: string; agent?: string }
  | { type: 'started'; id: number; model: string; agent?: string; queueMs: number }
  | {
      type: 'finished';
      id: number;
      model: string;
      agent?: string;
      outcome: RequestOutcome;
      /** Whether it got as far as a sequence (false: failed or cancelled while queued or loading). */
      hadSequence: boolean;
      errorKind?: ErrorKind;
    };
