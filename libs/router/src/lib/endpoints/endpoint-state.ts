import type { ModelClient } from '@flotilla/core';
import type { EndpointConfig } from '../config/router-config.schema';
import { CircuitBreaker, type CircuitBreakerOptions } from '../health/circuit-breaker';
import type { EndpointProbe } from './endpoint-probe';
import { canonicalModel } from './model-name';
import { MovingAverage } from './moving-average';

/** What the router has learned about one model on one endpoint (all real milliseconds). */
export class ModelStats {
  /** Whole warm call. */
  readonly serviceMs = new MovingAverage();
  readonly firstTokenMs = new MovingAverage();
  readonly tokensPerSec = new MovingAverage();
  /** Extra time to first token of a cold call (the server reported a load). */
  readonly loadMs = new MovingAverage();
}

interface LoadedModel {
  /** performance.now() when it will be ready (a load in progress), else 0. */
  readyAt: number;
}

/**
 * The router's view of one server: its slots and in-flight calls per model, which models it
 * has and has loaded (from probes and from its own replies), what it has learned of their
 * speed and load cost, and its circuit breaker.
 */
export class EndpointState {
  readonly name: string;
  readonly slots: number;
  readonly maxLoaded: number;
  readonly labels: ReadonlySet<string>;
  readonly breaker: CircuitBreaker;
  /** From listModels; undefined until the first successful probe. */
  available: Set<string> | undefined;
  /** Loaded models, least recently used first (Map keeps insertion order). */
  readonly loaded = new Map<string, LoadedModel>();
  private readonly inFlightByModel = new Map<string, number>();
  private readonly stats = new Map<string, ModelStats>();
  private readonly allow: Set<string> | undefined;
  inFlight = 0;
  /** Calls dispatched here, for reports. */
  dispatched = 0;
  /** Cold placements, i.e. model loads this router caused. */
  coldStarts = 0;
  /** Whether the server is started (on-demand endpoints start stopped). */
  running: boolean;
  lastUsedAt = 0;
  /** Until then (performance.now()) a call that just failed over avoids this endpoint if it can. */
  suspectUntil = 0;

  constructor(
    readonly config: EndpointConfig,
    readonly client: ModelClient,
    readonly probe: EndpointProbe = {},
    breaker: CircuitBreakerOptions = {},
  ) {
    this.name = config.name;
    this.slots = config.slots;
    this.maxLoaded = config.maxLoadedModels;
    this.labels = new Set(config.labels);
    this.allow = config.models ? new Set(config.models.map(canonicalModel)) : undefined;
    this.breaker = new CircuitBreaker(breaker);
    this.running = config.onDemand === undefined;
  }

  /** Whether this endpoint may serve `model` at all (allow-list, the server's own list). */
  serves(model: string): boolean {
    if (this.allow && !this.allow.has(model)) return false;
    return this.available === undefined || this.available.has(model);
  }

  /** Serves it and is up (running, circuit not open). */
  usable(model: string): boolean {
    return this.running && this.serves(model) && this.breaker.state !== 'open';
  }

  inFlightFor(model: string): number {
    return this.inFlightByModel.get(model) ?? 0;
  }

  freeSlots(model: string): number {
    return this.slots - this.inFlightFor(model);
  }

  isLoaded(model: string): boolean {
    return this.loaded.has(model);
  }

  /** Remaining load time when a load is in progress, else 0. */
  loadingRemainingMs(model: string, now: number): number {
    const m = this.loaded.get(model);
    return m ? Math.max(0, m.readyAt - now) : 0;
  }

  /**
   * Loading `model` here would have to evict: the server is at its loaded-model limit.
   * Returns the idle model that would go (least recently used), undefined when there is
   * room, or null when every loaded model is busy (the call would wait behind them).
   */
  evictionFor(model: string): string | undefined | null {
    if (this.loaded.has(model) || this.loaded.size < this.maxLoaded) return undefined;
    for (const name of this.loaded.keys()) if (this.inFlightFor(name) === 0) return name;
    return null;
  }

  statsFor(model: string): ModelStats {
    let s = this.stats.get(model);
    if (!s) this.stats.set(model, (s = new ModelStats()));
    return s;
  }

  peekStats(model: string): ModelStats | undefined {
    return this.stats.get(model);
  }

  acquire(model: string, now: number, expectedLoadMs: number): void {
    this.inFlightByModel.set(model, this.inFlightFor(model) + 1);
    this.inFlight++;
    this.dispatched++;
    this.lastUsedAt = now;
    this.markUsed(model, this.loaded.has(model) ? undefined : now + expectedLoadMs);
    this.breaker.onDispatch();
  }

  release(model: string, now: number): void {
    this.inFlightByModel.set(model, Math.max(0, this.inFlightFor(model) - 1));
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.lastUsedAt = now;
  }

  /** The model answered: it is loaded and most recently used. */
  markUsed(model: string, readyAt?: number): void {
    const prev = this.loaded.get(model);
    this.loaded.delete(model);
    this.loaded.set(model, { readyAt: readyAt ?? (prev && prev.readyAt > performance.now() ? prev.readyAt : 0) });
    while (this.loaded.size > this.maxLoaded) {
      const victim = [...this.loaded.keys()].find((k) => k !== model && this.inFlightFor(k) === 0);
      if (victim === undefined) break;
      this.loaded.delete(victim);
    }
  }

  /** Replaces what is loaded with what the server says (/api/ps), keeping loads in progress. */
  syncLoaded(models: readonly string[]): void {
    const now = performance.now();
    const names = new Set(models.map(canonicalModel));
    for (const [name, m] of this.loaded) if (!names.has(name) && !(m.readyAt > now) && this.inFlightFor(name) === 0) this.loaded.delete(name);
    for (const name of names) if (!this.loaded.has(name)) this.loaded.set(name, { readyAt: 0 });
  }
}
