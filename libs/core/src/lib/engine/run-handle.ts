import { Observable, type Subscriber } from 'rxjs';
import type { RunEvent, RunEndEvent } from '../events/run-event';
import type { RunResult } from './run-result';

/**
 * A started run: its events (an Observable, and async iteration over the same events), a
 * promise of its result, and cancellation. The run starts when the handle is made, whether
 * or not anyone listens.
 *
 * Every subscriber receives the run's events from its start, whenever it subscribes: first
 * the events so far (the run's trace, so token events only with `traceTokens`), then live
 * ones, ending with `run.end`. The handle keeps no buffer of its own; it replays the trace,
 * which the result keeps.
 */
export interface RunHandle<O = unknown> extends AsyncIterable<RunEvent> {
  readonly runId: string;
  readonly events: Observable<RunEvent>;
  /** Resolves with the result whatever the outcome (check `status`); never rejects. */
  readonly result: Promise<RunResult<O>>;
  /** Cancels the run; resolves once every in-flight model call has been aborted and `run.end` sent. */
  cancel(reason?: unknown): Promise<void>;
}

/** The event fan-out of one run: live subscribers, replay from the trace, the end. */
export class RunEventHub {
  /** The run's trace, which subscribers get first (set once the run's context exists). */
  trace: readonly RunEvent[] = [];
  private listeners: Subscriber<RunEvent>[] = [];
  private end: RunEndEvent | undefined;

  emit(event: RunEvent): void {
    if (event.type === 'run.end') {
      this.end = event;
      const ls = this.listeners;
      this.listeners = [];
      for (const l of ls) {
        l.next(event);
        l.complete();
      }
      return;
    }
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.next(event);
  }

  subscribe(subscriber: Subscriber<RunEvent>): () => void {
    const trace = this.trace;
    // Replays by index: events emitted while replaying (a subscriber that cancels) are included.
    for (let i = 0; i < trace.length && !subscriber.closed; i++) subscriber.next(trace[i]!);
    if (this.end) {
      subscriber.next(this.end);
      subscriber.complete();
      return () => undefined;
    }
    this.listeners.push(subscriber);
    return () => {
      const i = this.listeners.indexOf(subscriber);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}

/** Async iteration over an Observable: buffers what arrives between pulls. */
export async function* iterate<T>(source: Observable<T>): AsyncGenerator<T, void, undefined> {
  const queue: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const sub = source.subscribe({
    next: (v) => {
      queue.push(v);
      wake?.();
    },
    error: (error: unknown) => {
      failure = { error };
      wake?.();
    },
    complete: () => {
      done = true;
      wake?.();
    },
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    sub.unsubscribe();
  }
}
