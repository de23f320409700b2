/** llama.cpp-style slots: `size` requests run, the rest wait in arrival order. */
export class SlotPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Highest number of requests that held a slot at once. */
  maxActive = 0;

  constructor(private readonly size: number) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a request arriving now would have to wait. */
  get full(): boolean {
    return this.active >= this.size;
  }

  /** Resolves with a release function once a slot is free; `cancel` drops a waiting request. */
  acquire(): { ready: Promise<() => void>; cancel: () => void } {
    let granted = false;
    let cancelled = false;
    let release = (): void => undefined;
    let cancelWaiting = (): void => undefined;
    const ready = new Promise<() => void>((resolve) => {
      const grant = (): void => {
        granted = true;
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        let released = false;
        release = () => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        };
        resolve(release);
      };
      if (this.active < this.size) grant();
      else this.waiting.push(grant);
      cancelWaiting = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
      };
    });
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      if (granted) release();
      else cancelWaiting();
    };
    return { ready, cancel };
  }
}
