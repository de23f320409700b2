import type { SimModel } from './sim-model';

export interface SchedulerOptions {
  numParallel: number;
  maxLoadedModels: number;
  maxQueue: number;
  timeScale: number;
}

/** Thrown when the load queue is full (HTTP 503 in Ollama). */
export class ServerBusyError extends Error {
  constructor() {
    super('server busy, please try again.  maximum pending requests exceeded');
    this.name = 'ServerBusyError';
  }
}

export class RequestGoneError extends Error {
  constructor() {
    super('request canceled');
    this.name = 'RequestGoneError';
  }
}

export interface Lease {
  /** Real milliseconds this request spent waiting for a slot or a load. */
  waitedMs: number;
  /** Real milliseconds of the load this request waited for; 0 when the model was warm. */
  loadMs: number;
  numCtx: number;
  release(keepAliveMs: number): void;
}

export interface Waiter {
  readonly id: number;
}

/** One model's runner as the scheduler sees it. */
export interface RunnerState {
  model: SimModel;
  status: 'unloaded' | 'loading' | 'loaded';
  /** JSON of the runner options it was loaded with; a different key forces a reload. */
  runnerKey?: string;
  numCtx: number;
  active: number;
  queue: Waiter[];
  loadStartedAt?: number;
  lastLoadMs: number;
  loadTimer?: NodeJS.Timeout;
  expiryTimer?: NodeJS.Timeout;
  /** Epoch ms; Infinity = kept forever. */
  expiresAt: number;
  lastUsed: number;
  loadedAt?: number;
}

export interface SchedulerStats {
  loads: number;
  unloads: number;
  evictions: number;
  reloads: number;
  abortedLoads: number;
  rejectedBusy: number;
}
