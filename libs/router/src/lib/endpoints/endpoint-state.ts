import type { FlotillaError, ModelClient } from '@flotilla/core';
import type { EndpointConfig } from '../config/router-config.schema';
import { CircuitBreaker, type CircuitBreakerOptions } from '../health/circuit-breaker';
import type { EndpointProbe } from './endpoint-probe';
import { endpointKinds } from '../kinds/endpoint-kinds';
import { MovingAverage } from './moving-average';
import { LocalSlotLedger, type SlotLedger } from './slot-ledger';

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
 * speed and load cost, and its circuit breaker. Every method takes a model as the caller
 * spells it and keys it by the endpoint kind's one name for it (its `modelName`), so
 * `llama3.2` and `llama3.2:latest` share one entry on an Ollama server.
 */
export class EndpointState {
  readonly name: string;
  readonly slots: number;
  readonly maxLoaded: number;
  readonly labels: ReadonlySet<string>;
  readonly breaker: CircuitBreaker;
  /** From listModels (keyed names); undefined until the first successful probe. */
  available: Set<string> | undefined;
  /** Loaded models, least recently used first (Map keeps insertion order). */
  readonly loaded = new Map<string, LoadedModel>();
  private readonly stats = new Map<string, ModelStats>();
  private readonly allow: Set<string> | undefined;
  private readonly rule: (name: string) => string;
  private readonly keys = new Map<string, string>();
  /** Calls dispatched here, for reports. */
  dispatched = 0;
  /** Cold placements, i.e. model loads this router caused. */
  coldStarts = 0;
  /** Whether the server is started (on-demand endpoints start stopped). */
  running: boolean;
  lastUsedAt = 0;
  /** Until then (performance.now()) a call that just failed over avoids this endpoint if it can. */
  suspectUntil = 0;
  /** Why it last failed (a probe, a lookup, a call), for the message when every endpoint is down. */
  lastError: FlotillaError | undefined;

  constructor(
    readonly config: EndpointConfig,
    readonly client: ModelClient,
    readonly probe: EndpointProbe = {},
    breaker: CircuitBreakerOptions = {},
    /** Where its calls in flight are counted. @default a LocalSlotLedger */
    readonly ledger: SlotLedger = new LocalSlotLedger(),
  ) {
    this.name = config.name;
    this.slots = config.slots;
    this.maxLoaded = config.maxLoadedModels;
    this.labels = new Set(config.labels);
    this.rule = endpointKinds.find(config.kind)?.modelName ?? asListed;
    this.allow = config.models ? new Set(config.models.map(this.rule)) : undefined;
    this.breaker = new CircuitBreaker(breaker);
    this.running = config.onDemand === undefined;
  }

  /** This endpoint's one name for `model` (idempotent). */
  key(model: string): string {
    let k = this.keys.get(model);
    if (k === undefined) {
      k = this.rule(model);
      if (this.keys.size < 1_000) this.keys.set(model, k);
    }
    return k;
  }

  /** Whether this endpoint may serve `model` at all (allow-list, the server's own list). */
  serves(model: string): boolean {
    const k = this.key(model);
    if (this.allow && !this.allow.has(k)) return false;
    return this.available === undefined || this.available.has(k);
  }

  /** What the server lists (a probe's answer). */
  setAvailable(models: readonly string[]): void {
    this.available = new Set(models.map((m) => this.key(m)));
  }

  /** The server said it does not have `model` (a 404): not routed here until a probe lists it again. */
  forget(model: string): void {
    const k = this.key(model);
    this.available?.delete(k);
    this.loaded.delete(k);
  }

  /** Serves it and is up (running, circuit not open). */
  usable(model: string): boolean {
    return this.running && this.serves(model) && this.breaker.state !== 'open';
  }

  /** Calls in flight here, all models (the ledger's count). */
  get inFlight(): number {
    return this.ledger.total;
  }

  inFlightFor(model: string): number {
    return this.ledger.inFlightFor(this.key(model));
  }

  freeSlots(model: string): number {
    return this.slots - this.inFlightFor(model);
  }

  isLoaded(model: string): boolean {
    return this.loaded.has(this.key(model));
  }

  /** Remaining load time when a load is in progress, else 0. */
  loadingRemainingMs(model: string, now: number): number {
    const m = this.loaded.get(this.key(model));
    return m ? Math.max(0, m.readyAt - now) : 0;
  }

  /**
   * Loading `model` here would have to evict: the server is at its loaded-model limit.
   * Returns the idle model that would go (least recently used), undefined when there is
   * room, or null when every loaded model is busy (the call would wait behind them).
   */
  evictionFor(model: string): string | undefined | null {
    if (this.loaded.has(this.key(model)) || this.loaded.size < this.maxLoaded) return undefined;
    for (const name of this.loaded.keys()) if (this.inFlightFor(name) === 0) return name;
    return null;
  }

  statsFor(model: string): ModelStats {
    const k = this.key(model);
    let s = this.stats.get(k);
    if (!s) this.stats.set(k, (s = new ModelStats()));
    return s;
  }

  peekStats(model: string): ModelStats | undefined {
    return this.stats.get(this.key(model));
  }

  acquire(model: string, now: number, expectedLoadMs: number): void {
    const k = this.key(model);
    this.ledger.take(k);
    this.dispatched++;
    this.lastUsedAt = now;
    this.markUsed(k, this.loaded.has(k) ? undefined : now + expectedLoadMs);
    this.breaker.onDispatch();
  }

  release(model: string, now: number): void {
    const k = this.key(model);
    this.ledger.give(k);
    this.lastUsedAt = now;
  }

  /** The model answered: it is loaded and most recently used. */
  markUsed(model: string, readyAt?: number): void {
    model = this.key(model);
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
    const names = new Set(models.map((m) => this.key(m)));
    for (const [name, m] of this.loaded) if (!names.has(name) && !(m.readyAt > now) && this.inFlightFor(name) === 0) this.loaded.delete(name);
    for (const name of names) if (!this.loaded.has(name)) this.loaded.set(name, { readyAt: 0 });
  }
}

function asListed(name: string): string {
  return name;
}
