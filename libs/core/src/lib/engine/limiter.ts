import { Observable, Subscription } from 'rxjs';

interface Waiter {
  priority: number;
  seq: number;
  start: () => void;
}

/**
 * Counts in-flight work against a limit and queues the rest, highest priority first,
 * then first come. `run` defers subscription until a slot is free and frees it when the
 * inner observable ends or is unsubscribed (including while still queued).
 */
export class Limiter {
  private active = 0;
  private seq = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be >= 1, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }
  get waiting(): number {
    return this.queue.length;
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
        this.active--;
        this.drain();
      };
      const start = (queued: boolean) => {
        holding = true;
        this.active++;
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
      let waiter: Waiter | undefined;
      if (this.active < this.limit && this.queue.length === 0) start(false);
      else {
        waiter = { priority, seq: this.seq++, start: () => start(true) };
        this.enqueue(waiter);
      }
      return () => {
        if (waiter && !holding) {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
        }
        innerSub.unsubscribe();
        release();
      };
    });
  }

  private enqueue(w: Waiter): void {
    // Keep the queue sorted: higher priority first, FIFO within a priority.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.priority < w.priority) i--;
    this.queue.splice(i, 0, w);
  }

  private drain(): void {
    while (this.active < this.limit && this.queue.length > 0) this.queue.shift()!.start();
  }
}
