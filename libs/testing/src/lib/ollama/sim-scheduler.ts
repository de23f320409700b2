import type { SimModel } from './sim-model';
import {
  type Lease,
  RequestGoneError,
  type RunnerState,
  type SchedulerOptions,
  type SchedulerStats,
  ServerBusyError,
  type Waiter,
} from './sim-scheduler.types';

/**
 * Ollama's scheduler in miniature: runners load (taking time), serve `numParallel` requests
 * each, wait FIFO for a slot without bound, unload after keep-alive, get evicted LRU-first
 * when `maxLoadedModels` is reached, reload when runner options change, and reject with
 * 503 only when more than `maxQueue` requests wait for a load. A load that every waiting
 * request walked away from is abandoned, as Ollama does.
 */
export class SimScheduler {
  readonly stats: SchedulerStats = { loads: 0, unloads: 0, evictions: 0, reloads: 0, abortedLoads: 0, rejectedBusy: 0 };
  private readonly runners = new Map<string, RunnerState>();
  private listeners: (() => void)[] = [];
  private pendingLoads = 0;
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: SchedulerOptions) {}

  runner(model: SimModel): RunnerState {
    let r = this.runners.get(model.name);
    if (!r) {
      r = { model, status: 'unloaded', numCtx: model.defaultNumCtx, active: 0, queue: [], lastLoadMs: 0, expiresAt: 0, lastUsed: 0 };
      this.runners.set(model.name, r);
    }
    return r;
  }

  /** Runners that are loaded or loading. */
  loaded(): RunnerState[] {
    return [...this.runners.values()].filter((r) => r.status !== 'unloaded');
  }

  /** Waits for a slot on `model` loaded with `runnerOptions`, loading it if needed. */
  async acquire(model: SimModel, runnerOptions: Record<string, unknown>, signal: AbortSignal): Promise<Lease> {
    const r = this.runner(model);
    const numCtx = typeof runnerOptions['num_ctx'] === 'number' ? runnerOptions['num_ctx'] : model.defaultNumCtx;
    // Compared with defaults filled in, as Ollama does: an explicit default is no change.
    const resolved: Record<string, unknown> = { ...runnerOptions, num_ctx: numCtx };
    const key = JSON.stringify(Object.keys(resolved).sort().map((k) => [k, resolved[k]]));
    const started = Date.now();
    const warm = r.status === 'loaded' && r.runnerKey === key;
    if (!warm && this.pendingLoads >= this.options.maxQueue) {
      this.stats.rejectedBusy++;
      throw new ServerBusyError();
    }
    const me: Waiter = { id: this.nextId++ };
    r.queue.push(me);
    if (!warm) this.pendingLoads++;
    let sawLoad = false;
    try {
      for (let guard = 0; guard < 1_000_000; guard++) {
        if (signal.aborted || this.closed) throw new RequestGoneError();
        if (r.status === 'loaded' && r.runnerKey === key) {
          const free = this.options.numParallel - r.active;
          if (free > 0 && r.queue.indexOf(me) < free) {
            r.active++;
            r.lastUsed = Date.now();
            clearTimeout(r.expiryTimer);
            return this.lease(r, started, sawLoad ? r.lastLoadMs : 0, numCtx);
          }
        } else if (r.status === 'loaded' || (r.status === 'loading' && r.runnerKey !== key)) {
          // Loaded with other runner options: drain, then unload and load again.
          if (r.status === 'loaded' && r.active === 0) {
            this.stats.reloads++;
            this.unload(r);
            continue;
          }
        } else if (r.status === 'unloaded') {
          if (this.makeRoom(r)) {
            this.startLoad(r, key, numCtx);
            sawLoad = true;
            continue;
          }
        } else {
          sawLoad = true;
        }
        await this.changed(signal);
      }
      throw new Error('scheduler loop guard');
    } finally {
      if (!warm) this.pendingLoads--;
      r.queue.splice(r.queue.indexOf(me), 1);
      if (r.status === 'loading' && r.queue.length === 0) this.abandonLoad(r);
      this.notify();
    }
  }

  /** Unloads now if idle (keep_alive 0 on a load-only request). */
  unloadIfIdle(model: SimModel): boolean {
    const r = this.runners.get(model.name);
    if (!r || r.status !== 'loaded' || r.active > 0) return false;
    this.unload(r);
    this.notify();
    return true;
  }

  close(): void {
    this.closed = true;
    for (const r of this.runners.values()) {
      clearTimeout(r.loadTimer);
      clearTimeout(r.expiryTimer);
    }
    this.notify();
  }

  private lease(r: RunnerState, started: number, loadMs: number, numCtx: number): Lease {
    let released = false;
    return {
      waitedMs: Date.now() - started,
      loadMs,
      numCtx,
      release: (keepAliveMs: number) => {
        if (released) return;
        released = true;
        r.active--;
        r.lastUsed = Date.now();
        this.setExpiry(r, keepAliveMs);
        this.notify();
      },
    };
  }

  private setExpiry(r: RunnerState, keepAliveMs: number): void {
    clearTimeout(r.expiryTimer);
    if (keepAliveMs < 0) {
      r.expiresAt = Infinity;
      return;
    }
    const realMs = keepAliveMs * this.options.timeScale;
    r.expiresAt = Date.now() + realMs;
    if (r.active > 0 || r.queue.length > 0) return;
    if (keepAliveMs === 0) {
      this.unload(r);
      return;
    }
    r.expiryTimer = setTimeout(() => {
      if (r.status === 'loaded' && r.active === 0 && r.queue.length === 0) {
        this.unload(r);
        this.notify();
      }
    }, realMs);
    r.expiryTimer.unref();
  }

  /** True when `r` may start loading: below the model limit, or an idle model was evicted. */
  private makeRoom(r: RunnerState): boolean {
    const others = this.loaded().filter((o) => o !== r);
    if (others.length < this.options.maxLoadedModels) return true;
    const idle = others
      .filter((o) => o.status === 'loaded' && o.active === 0 && o.queue.length === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    const victim = idle[0];
    if (!victim) return false;
    this.stats.evictions++;
    this.unload(victim);
    return true;
  }

  private startLoad(r: RunnerState, key: string, numCtx: number): void {
    r.status = 'loading';
    r.runnerKey = key;
    r.numCtx = numCtx;
    r.loadStartedAt = Date.now();
    r.expiresAt = Infinity;
    this.stats.loads++;
    r.loadTimer = setTimeout(() => {
      r.status = 'loaded';
      r.loadedAt = Date.now();
      r.lastLoadMs = r.loadedAt - (r.loadStartedAt ?? r.loadedAt);
      r.lastUsed = r.loadedAt;
      this.notify();
    }, r.model.loadMs * this.options.timeScale);
  }

  private abandonLoad(r: RunnerState): void {
    clearTimeout(r.loadTimer);
    r.status = 'unloaded';
    r.runnerKey = undefined;
    this.stats.abortedLoads++;
  }

  private unload(r: RunnerState): void {
    clearTimeout(r.expiryTimer);
    clearTimeout(r.loadTimer);
    r.status = 'unloaded';
    r.runnerKey = undefined;
    r.expiresAt = 0;
    this.stats.unloads++;
  }

  private notify(): void {
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.listeners.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
