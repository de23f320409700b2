/** An entry the queue can drop in O(1) (lazy deletion: it is skipped when it reaches the top). */
export interface QueueEntry {
  readonly priority: number;
  readonly seq: number;
  removed: boolean;
}

/**
 * A binary heap: higher priority first, then first come first served. `remove` marks the
 * entry and fixes the count; the heap discards it when it surfaces, so cancelling a queued
 * call costs O(1) and `peek`/`pop` stay O(log n) amortised.
 */
export class PriorityQueue<T extends QueueEntry> {
  private readonly heap: T[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(entry: T): void {
    this.heap.push(entry);
    this.live++;
    this.up(this.heap.length - 1);
  }

  peek(): T | undefined {
    this.prune();
    return this.heap[0];
  }

  /** Takes the head out; it counts as removed from then on (a later `remove` is a no-op). */
  pop(): T | undefined {
    this.prune();
    const top = this.heap[0];
    if (top === undefined) return undefined;
    this.take();
    this.live--;
    top.removed = true;
    return top;
  }

  remove(entry: T): void {
    if (entry.removed) return;
    entry.removed = true;
    this.live--;
  }

  /** Every live entry, in no particular order. */
  *entries(): IterableIterator<T> {
    for (const e of this.heap) if (!e.removed) yield e;
  }

  private prune(): void {
    while (this.heap.length && this.heap[0]!.removed) this.take();
  }

  private take(): void {
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private before(a: T, b: T): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
  }

  private up(i: number): void {
    const h = this.heap;
    const item = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(item, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(h[r]!, h[l]!) ? r : l;
      if (!this.before(h[child]!, item)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = item;
  }
}
