import type { SchedulerLike } from 'rxjs';

/** Whoever a deadline belongs to: told which of its deadlines (`tag`) passed. */
export interface DeadlineTarget {
  onDeadline(tag: number): void;
}

/** An armed deadline, to pass back to `cancel`. */
export type DeadlineHandle = object;

/** The clock deadlines read and arm. */
export interface DeadlineClock {
  now(): number;
  schedule(target: DeadlineTarget, tag: number, delayMs: number): DeadlineHandle;
  /** Idempotent; a handle that already fired is ignored. */
  cancel(handle: DeadlineHandle): void;
}

interface Entry {
  at: number;
  index: number;
  target: DeadlineTarget;
  tag: number;
}

/**
 * Every model call's deadlines in one indexed min-heap behind a single Node timer.
 * Per-call timers (a setTimeout or an RxJS action each, two or three per call) dominated
 * the engine's cost with many calls in flight; here arming is one small object and
 * O(log n), and a cancelled deadline leaves the heap at once.
 */
export class SharedDeadlineClock implements DeadlineClock {
  private readonly heap: Entry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Infinity;

  /** Deadlines currently armed. */
  get size(): number {
    return this.heap.length;
  }

  now(): number {
    return performance.now();
  }

  schedule(target: DeadlineTarget, tag: number, delayMs: number): DeadlineHandle {
    const entry: Entry = { at: performance.now() + delayMs, index: this.heap.length, target, tag };
    this.heap.push(entry);
    this.up(entry.index);
    if (entry.at < this.armedAt) this.arm();
    return entry;
  }

  cancel(handle: DeadlineHandle): void {
    const entry = handle as Entry;
    const i = entry.index;
    if (i < 0 || this.heap[i] !== entry) return;
    entry.index = -1;
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    if (this.heap.length === 0) this.disarm();
  }

  private arm(): void {
    this.disarm();
    const first = this.heap[0];
    if (!first) return;
    this.armedAt = first.at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, first.at - performance.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private tick(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    // Node may fire a timer up to a millisecond early by performance.now()'s reckoning.
    const now = performance.now() + 1;
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const due = this.heap[0]!;
      this.cancel(due);
      due.target.onDeadline(due.tag);
    }
    if (this.heap.length > 0 && this.timer === undefined) this.arm();
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      h[i]!.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= e.at) break;
      h[i] = h[c]!;
      h[i]!.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}

/** The process-wide clock the engine uses by default. */
export const sharedDeadlineClock = new SharedDeadlineClock();

/** Adapts an RxJS scheduler (a TestScheduler in marble tests) to a deadline clock. */
export function schedulerClock(scheduler: SchedulerLike): DeadlineClock {
  return {
    now: () => scheduler.now(),
    schedule: (target, tag, delayMs) => scheduler.schedule(() => target.onDeadline(tag), delayMs),
    cancel: (handle) => (handle as { unsubscribe(): void }).unsubscribe(),
  };
}
