import { Errors, FlotillaError } from '@flotilla/core';

interface Waiter {
  priority: number;
  order: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort: () => void;
}

/**
 * Counts a model's sequences: `slots` requests generate at once, up to `maxQueue` wait
 * (higher priority first, then arrival order), the rest are refused as `overloaded`.
 */
export class SlotPool {
  private busy = 0;
  private order = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly slots: number,
    readonly maxQueue: number,
    private readonly describe: string,
  ) {}

  get active(): number {
    return this.busy;
  }

  get queued(): number {
    return this.waiters.length;
  }

  get idle(): boolean {
    return this.busy === 0 && this.waiters.length === 0;
  }

  /** Resolves once a slot is this caller's; call `release()` exactly once after. */
  acquire(priority = 0, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(Errors.aborted('waiting for a sequence', signal.reason));
    if (this.busy < this.slots && this.waiters.length === 0) {
      this.busy++;
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new FlotillaError('overloaded', `${this.describe}: all ${this.slots} sequences busy and ${this.waiters.length} requests queued`, {
          details: { slots: this.slots, queued: this.waiters.length, maxQueue: this.maxQueue },
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        order: this.order++,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(Errors.aborted('waiting for a sequence', signal?.reason));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      let i = this.waiters.findIndex((w) => w.priority < priority);
      if (i < 0) i = this.waiters.length;
      this.waiters.splice(i, 0, waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
      return;
    }
    this.busy = Math.max(0, this.busy - 1);
  }

  /** Fails every waiter (the client is closing). */
  rejectAll(error: unknown): void {
    for (const w of this.waiters.splice(0)) {
      w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(error);
    }
  }
}
