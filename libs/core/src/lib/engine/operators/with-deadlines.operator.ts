import { type MonoTypeOperatorFunction, Observable, type SchedulerAction, type SchedulerLike, type Subscription, asyncScheduler } from 'rxjs';
import type { ChatEvent } from '../../model/chat-event';
import { FlotillaError } from '../../errors/flotilla-error';

export interface Deadlines {
  /** Until the first delta or tool call; extended by `loading` events. */
  firstTokenMs: number;
  /** Longest gap between two events once generation has begun. */
  stallMs: number;
  /** The whole call. */
  totalMs: number;
}

export type CallPhase = 'waiting' | 'loading' | 'generating';

/**
 * Three deadlines on a chat stream: first token, stall between tokens, total. A `loading`
 * event pushes the first-token deadline out by the expected load time. A timeout while
 * the model loads is not retryable: aborting a load and asking again loops forever.
 * Timers start only if the source has not finished synchronously.
 */
export function withDeadlines(deadlines: Deadlines, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<ChatEvent> {
  return (source) =>
    new Observable<ChatEvent>((subscriber) => {
      let phase: CallPhase = 'waiting';
      let done = false;
      let gapTimer: Subscription | undefined;
      let totalTimer: Subscription | undefined;
      let extendedMs = 0;
      const started = scheduler.now();

      const fail = (which: 'firstToken' | 'stall' | 'total', limitMs: number) => {
        done = true;
        const what = which === 'firstToken' ? 'time to first token' : which === 'stall' ? 'gap between tokens' : 'model call';
        subscriber.error(
          new FlotillaError('timeout', `${what} exceeded ${limitMs} ms${phase === 'loading' ? ' while the model was loading' : ''}`, {
            retryable: phase !== 'loading',
            details: { deadline: which, limitMs, phase, elapsedMs: scheduler.now() - started },
          }),
        );
      };
      const armGap = (delay: number, which: 'firstToken' | 'stall') => {
        gapTimer?.unsubscribe();
        gapTimer = scheduler.schedule(function (this: SchedulerAction<unknown>) {
          fail(which, which === 'firstToken' ? deadlines.firstTokenMs + extendedMs : deadlines.stallMs);
        }, delay);
      };

      const inner = source.subscribe({
        next(event) {
          if (done) return;
          if (event.type === 'loading') {
            if (phase !== 'generating') {
              phase = 'loading';
              extendedMs += event.expectedLoadMs;
              if (gapTimer) armGap(Math.max(0, started + deadlines.firstTokenMs + extendedMs - scheduler.now()), 'firstToken');
            }
          } else if (event.type !== 'final') {
            phase = 'generating';
            if (gapTimer) armGap(deadlines.stallMs, 'stall');
          }
          subscriber.next(event);
        },
        error(err) {
          done = true;
          subscriber.error(err);
        },
        complete() {
          done = true;
          subscriber.complete();
        },
      });

      if (!done) {
        if ((phase as CallPhase) === 'generating') armGap(deadlines.stallMs, 'stall');
        else armGap(Math.max(0, started + deadlines.firstTokenMs + extendedMs - scheduler.now()), 'firstToken');
        totalTimer = scheduler.schedule(() => fail('total', deadlines.totalMs), deadlines.totalMs);
      }
      return () => {
        gapTimer?.unsubscribe();
        totalTimer?.unsubscribe();
        inner.unsubscribe();
      };
    });
}
