/** Something waiting for a slot: `grant` is called once when it gets one. */
export interface LimiterWaiter {
  readonly priority: number;
  grant(): void;
}

/** Teardowns in progress, and the limiters whose freed slots wait for them to end. */
let holds = 0;
const pending = new Set<Limiter>();

/**
 * Counts in-flight work against a limit and queues the rest, highest priority first, then
 * first come. While a subtree of steps is torn down (`Limiter.during`), freed slots are not
 * handed on until the teardown ends: otherwise a call queued in the same subtree would be
 * sent to the server only to be cancelled a moment later.
 */
export class Limiter {
  private active = 0;
  private readonly queue: LimiterWaiter[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  /** Runs `teardown` with grants held back until it (and any teardown inside it) is over. */
  static during(teardown: () => void): void {
    holds++;
    try {
      teardown();
    } finally {
      if (--holds === 0 && pending.size > 0) {
        const limiters = [...pending];
        pending.clear();
        for (const l of limiters) l.drain();
      }
    }
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
    if (holds > 0) pending.add(this);
    else this.drain();
  }

  /** Removes a waiter that has not been granted a slot yet; no-op otherwise. */
  withdraw(waiter: LimiterWaiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
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
