import { Observable, Subscription } from 'rxjs';

/** Something waiting for a slot: `grant` is called once when it gets one. */
export interface LimiterWaiter {
  readonly priority: number;
  grant(): void;
}

/**
 * Counts in-flight work against a limit and queues the rest, highest priority first,
 * then first come. `run` defers subscription until a slot is free and frees it when the
 * inner observable ends or is unsubscribed (including while still queued).
 * `acquire` / `release` / `withdraw` are the same accounting without an Observable,
 * for callers on a hot path that manage their own lifecycle.
 */
export class Limiter {
  private active = 0;
  private readonly queue: LimiterWaiter[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }
  get waiting(): number {
    return this.queue.length;
  }

  /** Takes a slot now (true), or queues the waiter, whose `grant` runs when a slot frees (false). */
  acquire(waiter: LimiterWaiter): boolean {
    if (this.active < this.limit && this.queue.length === 0) {
      this.active++;
      return true;
    }
    this.enqueue(waiter);
    return false;
  }

  /** Frees a slot taken by `acquire` (or granted later) and hands it to the next waiter. */
  release(): void {
    this.active--;
    this.drain();
  }

  /** Removes a waiter that has not been granted a slot yet; no-op otherwise. */
  withdraw(waiter: LimiterWaiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
  }

  run<T>(inner: Observable<T>, priority = 0, onStart?: (queuedMs: number) => void): Observable<T> {
    return new Observable<T>((subscriber) => {
      let holding = false;
      // Created up front: when the subscriber unsubscribes synchronously during
      // inner.subscribe() (e.g. take(1) on a first value), the teardown closes it and
      // add() below then tears the inner down as soon as subscribe() returns.
      const innerSub = new Subscription();
      const enqueuedAt = onStart ? performance.now() : 0;
      const release = () => {
        if (!holding) return;
        holding = false;
        this.release();
      };
      const start = (queued: boolean) => {
        holding = true;
        if (onStart) onStart(queued ? performance.now() - enqueuedAt : 0);
        innerSub.add(
          inner.subscribe({
            next: (v) => subscriber.next(v),
            error: (e) => {
              release();
              subscriber.error(e);
            },
            complete: () => {
              release();
              subscriber.complete();
            },
          }),
        );
      };
      const waiter: LimiterWaiter = { priority, grant: () => start(true) };
      if (this.acquire(waiter)) start(false);
      return () => {
        if (!holding) this.withdraw(waiter);
        innerSub.unsubscribe();
        release();
      };
    });
  }

  private enqueue(w: LimiterWaiter): void {
    // Keep the queue sorted: higher priority first, FIFO within a priority.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.priority < w.priority) i--;
    this.queue.splice(i, 0, w);
  }

  private drain(): void {
    while (this.active < this.limit && this.queue.length > 0) {
      this.active++;
      this.queue.shift()!.grant();
    }
  }
}
