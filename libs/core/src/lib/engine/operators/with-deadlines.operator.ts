import { type MonoTypeOperatorFunction, Observable, type SchedulerLike } from 'rxjs';
import type { ChatEvent } from '../../model/chat-event';
import { type DeadlineClock, schedulerClock, sharedDeadlineClock } from '../deadline-timers';
import { DeadlineTracker } from '../deadline-tracker';

export type { Deadlines, CallPhase } from '../deadline-tracker';
import type { Deadlines } from '../deadline-tracker';

/**
 * Three deadlines on a chat stream: first token, stall between tokens, total (see
 * `DeadlineTracker`). Timers start only if the source has not finished synchronously.
 * Without a scheduler the deadlines live on one shared timer (`SharedDeadlineClock`);
 * pass a scheduler (a TestScheduler) to drive them virtually.
 */
export function withDeadlines(deadlines: Deadlines, scheduler?: SchedulerLike): MonoTypeOperatorFunction<ChatEvent> {
  const clock: DeadlineClock = scheduler ? schedulerClock(scheduler) : sharedDeadlineClock;
  return (source) =>
    new Observable<ChatEvent>((subscriber) => {
      let done = false;
      const tracker = new DeadlineTracker(deadlines, clock, {
        onTimeout(error) {
          done = true;
          subscriber.error(error);
        },
      });
      const inner = source.subscribe({
        next(event) {
          if (done) return;
          tracker.observe(event);
          subscriber.next(event);
        },
        error(err) {
          done = true;
          tracker.stop();
          subscriber.error(err);
        },
        complete() {
          done = true;
          tracker.stop();
          subscriber.complete();
        },
      });
      if (!done) tracker.begin();
      return () => {
        tracker.stop();
        inner.unsubscribe();
      };
    });
}
