import {
  type ChatCallOptions,
  type ChatEvent,
  type ChatRequest,
  type ContextWindowAware,
  Errors,
  FlotillaError,
  type ModelClient,
  type RunnerOptions,
  isContextWindowAware,
} from '@flotilla/core';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { type AgentRoute, type RoutingConfig, RoutingSchema } from './config/router-config.schema';
import { blameEndpoint, runOnEndpoint } from './dispatch/endpoint-call';
import { EndpointScorer } from './dispatch/endpoint-scorer';
import { PriorityQueue, type QueueEntry } from './dispatch/priority-queue';
import type { EndpointState } from './endpoints/endpoint-state';
import { canonicalModel } from './endpoints/model-name';
import type { FleetReport } from './fleet-report';
import { chooseModel, circuitOpenError } from './dispatch/choose-model';
import { type InstanceStarter, StarterRegistry } from './on-demand/starter-registry';

export type { InstanceStarter } from './on-demand/starter-registry';

export interface FleetRouterOptions {
  endpoints: readonly EndpointState[];
  /** Per agent: fallbacks, required labels, priority. */
  agents?: Readonly<Record<string, Partial<AgentRoute>>>;
  routing?: Partial<RoutingConfig>;
  /** @default "fleet(<endpoint names>)" */
  name?: string;
  /**
   * What `close()` lets go of besides the router's queue: `createFleetFromConfig` passes its
   * probes, on-demand instances and endpoint clients. @default nothing
   */
  release?: () => Promise<void>;
}

interface Pending extends QueueEntry {
  /** The queue's key (Ollama-style canonical name); `request.model` is the name as asked. */
  model: string;
  request: ChatRequest;
  options: ChatCallOptions;
  labels: readonly string[];
  enqueuedAt: number;
  subscriber: Subscriber<ChatEvent>;
  delegate?: Subscription;
  /** Fails the call when it waits longer than `routing.maxQueueMs`. */
  expiry?: NodeJS.Timeout;
  /** A retry prefers another endpoint than the one its last attempt failed on. */
  avoid?: string;
}

/** Conversations remembered for affinity; the oldest are forgotten beyond this. */
const AFFINITY_CAPACITY = 10_000;

/**
 * One `ModelClient` over a fleet. A call waits in a per-model priority queue until an
 * endpoint has a free slot for its model and the scorer picks it, then runs on that
 * endpoint's adapter. See docs/deployment.md for the policy.
 */
export class FleetRouter implements ModelClient, ContextWindowAware {
  readonly name: string;
  readonly endpoints: readonly EndpointState[];
  readonly routing: RoutingConfig;
  private readonly byName = new Map<string, EndpointState>();
  private readonly agents: Readonly<Record<string, Partial<AgentRoute>>>;
  private readonly queues = new Map<string, PriorityQueue<Pending>>();
  private readonly scorer: EndpointScorer;
  private readonly affinity = new Map<string, string>();
  private readonly pinnedNumCtx = new Map<string, number | undefined>();
  private readonly starters: StarterRegistry;
  private readonly release?: () => Promise<void>;
  private closing: Promise<void> | undefined;
  private seq = 0;
  private pumping = false;
  private again = false;
  /** Decisions taken, for benchmarks. */
  decisions = 0;

  constructor(options: FleetRouterOptions) {
    if (options.endpoints.length === 0) throw Errors.config('FleetRouter endpoints', 'at least one endpoint');
    this.endpoints = options.endpoints;
    for (const e of this.endpoints) this.byName.set(e.name, e);
    this.agents = options.agents ?? {};
    this.routing = RoutingSchema.parse(options.routing ?? {});
    this.scorer = new EndpointScorer(this.endpoints, this.routing.policy);
    this.starters = new StarterRegistry(this.endpoints, () => this.pump());
    this.name = options.name ?? `fleet(${this.endpoints.map((e) => e.name).join(',')})`;
    this.release = options.release;
  }

  /**
   * Fails the calls still queued (`unavailable`) and any later call, then lets go of what
   * the fleet holds (probes, on-demand instances, every endpoint's connections, in-process
   * models). `createFlotilla` calls it when it is closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const queue of this.queues.values()) {
        for (let e = queue.pop(); e; e = queue.pop()) {
          clearTimeout(e.expiry);
          e.subscriber.error(this.closedError());
        }
      }
      await this.release?.();
    })();
    return this.closing;
  }

  private closedError(): FlotillaError {
    return new FlotillaError('unavailable', `${this.name} is closed`, { retryable: false });
  }

  endpoint(name: string): EndpointState | undefined {
    return this.byName.get(name);
  }

  /** Registers an on-demand instance the router may start. */
  attachStarter(starter: InstanceStarter): void {
    this.starters.attach(starter);
  }

  /**
   * The num_ctx the router sends for `model`: the configured one, else the first one a call
   * asked for; undefined while none is pinned. A gateway refuses a larger one (the model is not
   * reloaded for one client).
   */
  numCtxFor(model: string): number | undefined {
    const m = canonicalModel(model);
    return this.routing.numCtx[m] ?? this.pinnedNumCtx.get(m);
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /**
   * Queues the call for its model and dispatches it when an endpoint has a free slot. A call
   * that must wait says so (`queued`, with its ticket) and is bounded by `routing.maxQueueMs`
   * (then `overloaded`); every call says where it went (`dispatched`). A retry
   * (`options.retry`) keeps its ticket, so it goes ahead of calls that arrived after the
   * original, prefers another endpoint than the one that failed, and an engine deadline that
   * ended the failed attempt counts against that endpoint's breaker.
   */
  chat(request: ChatRequest, options: ChatCallOptions = {}): Observable<ChatEvent> {
    return new Observable<ChatEvent>((subscriber) => {
      if (this.closing) {
        subscriber.error(this.closedError());
        return;
      }
      const route = options.agent === undefined ? undefined : this.agents[options.agent];
      const retry = options.retry;
      if (retry?.endpoint !== undefined && retry.kind === 'timeout') this.blameTimeout(retry.endpoint, request.model);
      const choice = chooseModel(this.name, this.endpoints, this.starters, request.model, route);
      if (FlotillaError.is(choice)) {
        subscriber.error(choice);
        return;
      }
      const { wire: chosen, labels } = choice;
      const model = canonicalModel(chosen);
      const signal = options.signal;
      if (signal?.aborted) {
        subscriber.error(Errors.aborted('model call', signal.reason));
        return;
      }
      const base = route?.priority ?? options.priority ?? 0;
      const aging = this.routing.priorityAgingMs;
      const entry: Pending = {
        // Aging: waiting `aging` ms is worth one level. Every entry ages at the same rate, so the
        // order is fixed when it is queued: rank by base priority minus arrival time in levels.
        priority: aging === undefined ? base : base - performance.now() / aging,
        seq: retry?.ticket ?? this.seq++,
        removed: false,
        model,
        request: { ...request, model: chosen, options: this.pinOptions(model, request.options) },
        options,
        labels,
        enqueuedAt: performance.now(),
        subscriber,
        ...(retry?.endpoint === undefined ? {} : { avoid: retry.endpoint }),
      };
      const onAbort = () => {
        if (entry.delegate) return; // the adapter sees the same signal
        this.queueOf(model).remove(entry);
        subscriber.error(Errors.aborted('model call', signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queueOf(model).push(entry);
      this.pump();
      if (!entry.delegate && !entry.removed) this.wait(entry);
      return () => {
        clearTimeout(entry.expiry);
        signal?.removeEventListener('abort', onAbort);
        if (entry.delegate) entry.delegate.unsubscribe();
        else this.queueOf(model).remove(entry);
      };
    });
  }

  /** The call could not be dispatched at once: it says so, and waits at most `maxQueueMs`. */
  private wait(entry: Pending): void {
    entry.subscriber.next({ type: 'queued', ticket: entry.seq });
    const maxQueueMs = this.routing.maxQueueMs;
    entry.expiry = setTimeout(() => {
      if (entry.delegate || entry.removed) return;
      const queue = this.queueOf(entry.model);
      queue.remove(entry);
      entry.subscriber.error(
        new FlotillaError('overloaded', `no slot for ${JSON.stringify(entry.model)} on ${this.name} within ${maxQueueMs} ms (routing.maxQueueMs)`, {
          details: { model: entry.model, waitedMs: maxQueueMs, queued: queue.size },
        }),
      );
    }, maxQueueMs);
    // Whoever waits for the call keeps the process alive; the expiry alone must not.
    entry.expiry.unref();
  }

  /** An engine deadline (first token, stall, total) ended an attempt there: the router had no way to see it fail. */
  private blameTimeout(endpoint: string, model: string): void {
    const e = this.byName.get(endpoint);
    if (!e) return;
    blameEndpoint(e, new FlotillaError('timeout', `a call on ${endpoint} missed its deadline`, { details: { endpoint } }), model);
  }

  /**
   * The smallest window among the endpoints that may serve `model`: the call may go to any
   * of them. Endpoints that are stopped or whose circuit is open are not asked; each one
   * asked has `routing.probeTimeoutMs`. One that fails or does not answer in time gets a
   * breaker failure and is avoided for a while, so the call's chat goes elsewhere; its
   * window is left out. Rejects when every endpoint asked failed (the engine then goes on
   * with the window unknown and asks again next time).
   */
  async contextWindow(model: string, options?: RunnerOptions, signal?: AbortSignal): Promise<number | undefined> {
    const m = canonicalModel(model);
    // The window the call will actually get: the num_ctx the router sends for this model.
    const numCtx = this.routing.numCtx[m] ?? (this.pinnedNumCtx.has(m) ? this.pinnedNumCtx.get(m) : options?.numCtx);
    const asked = this.endpoints.filter((e) => e.running && e.serves(model) && e.breaker.state !== 'open' && isContextWindowAware(e.client));
    if (asked.length === 0) return undefined;
    const answers = await Promise.all(asked.map((e) => this.lookupWindow(e, model, { ...options, numCtx }, signal)));
    const known = answers.filter((n): n is number => typeof n === 'number');
    if (known.length) return Math.min(...known);
    const failure = answers.find((a): a is FlotillaError => FlotillaError.is(a));
    if (failure && answers.every((a) => FlotillaError.is(a))) throw failure;
    return undefined;
  }

  /** One endpoint's window, or the error that blamed it. */
  private async lookupWindow(e: EndpointState, model: string, options: RunnerOptions, signal: AbortSignal | undefined): Promise<number | undefined | FlotillaError> {
    const limitMs = this.routing.probeTimeoutMs;
    const deadline = AbortSignal.timeout(limitMs);
    try {
      return await (e.client as unknown as ContextWindowAware).contextWindow(model, options, signal ? AbortSignal.any([signal, deadline]) : deadline);
    } catch (err) {
      if (signal?.aborted) return FlotillaError.from(err); // the caller gave up: not this endpoint's fault
      const error = deadline.aborted
        ? new FlotillaError('timeout', `${e.name} did not answer a context-window lookup for ${JSON.stringify(model)} within ${limitMs} ms`, {
            cause: err,
            details: { endpoint: e.name, model, limitMs },
          })
        : FlotillaError.from(err).with({ details: { endpoint: e.name } });
      blameEndpoint(e, error, model);
      this.pump();
      return error;
    }
  }

  /** Re-runs dispatch: after a probe, a start, a breaker change. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.dispatchAll();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Calls waiting per model: how many, and how long the oldest has waited (ms). For a gateway's `/queue` and metrics. */
  queueReport(): { model: string; depth: number; oldestWaitMs: number }[] {
    const now = performance.now();
    const out: { model: string; depth: number; oldestWaitMs: number }[] = [];
    for (const [model, queue] of this.queues) {
      if (queue.size === 0) continue;
      let oldest = now;
      for (const e of queue.entries()) oldest = Math.min(oldest, e.enqueuedAt);
      out.push({ model, depth: queue.size, oldestWaitMs: Math.round(now - oldest) });
    }
    return out;
  }

  report(): FleetReport {
    return {
      queued: this.queued,
      endpoints: this.endpoints.map((e) => ({
        name: e.name,
        running: e.running,
        circuit: e.breaker.state,
        inFlight: e.inFlight,
        dispatched: e.dispatched,
        coldStarts: e.coldStarts,
        loaded: [...e.loaded.keys()],
      })),
    };
  }

  private dispatchAll(): void {
    // Models whose head has the highest priority go first (reviewer before worker).
    const models = [...this.queues.entries()].filter(([, q]) => q.size > 0);
    if (models.length > 1) models.sort(([, a], [, b]) => b.peek()!.priority - a.peek()!.priority || a.peek()!.seq - b.peek()!.seq);
    const now = performance.now();
    for (const [model, queue] of models) {
      for (let head = queue.peek(); head; head = queue.peek()) {
        this.decisions++;
        const d = this.scorer.decide({
          model: head.request.model,
          avoid: head.avoid,
          labels: head.labels,
          affinity: this.routing.affinity && head.options.conversation !== undefined ? this.affinity.get(head.options.conversation) : undefined,
          queued: queue.size,
          demand: (m) => this.queues.get(canonicalModel(m))?.size ?? 0,
          defaultLoadMs: this.routing.defaultLoadMs,
          now,
        });
        if (d.kind === 'wait') break;
        if (d.kind === 'none') {
          if (this.starters.startFor(head.request.model, head.labels)) break;
          this.failQueue(queue, model);
          break;
        }
        queue.pop();
        this.start(head, d.endpoint, d.expectedLoadMs, now);
      }
      const head = queue.peek();
      if (head) this.starters.startForBacklog(head.request.model, queue.size);
    }
  }

  private start(entry: Pending, endpoint: EndpointState, expectedLoadMs: number, now: number): void {
    clearTimeout(entry.expiry);
    const model = entry.request.model;
    const cold = !endpoint.isLoaded(model);
    if (cold) endpoint.coldStarts++;
    endpoint.acquire(model, now, expectedLoadMs);
    const conversation = entry.options.conversation;
    if (conversation !== undefined) {
      this.affinity.delete(conversation);
      this.affinity.set(conversation, endpoint.name);
      if (this.affinity.size > AFFINITY_CAPACITY) this.affinity.delete(this.affinity.keys().next().value!);
    }
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      endpoint.release(model, performance.now());
      this.pump();
    };
    entry.subscriber.next({ type: 'dispatched', endpoint: endpoint.name, ticket: entry.seq });
    if (entry.subscriber.closed) return done(); // the caller gave up on seeing where it went
    entry.delegate = runOnEndpoint(
      {
        endpoint,
        request: entry.request,
        options: entry.options,
        queueMs: now - entry.enqueuedAt,
        expectedLoadMs,
        cold,
        done,
      },
      entry.subscriber,
    );
  }

  private failQueue(queue: PriorityQueue<Pending>, model: string): void {
    for (let e = queue.pop(); e; e = queue.pop()) e.subscriber.error(circuitOpenError(model, this.endpoints.filter((x) => x.serves(e.request.model))));
  }

  /** Keeps num_ctx constant per model: the configured value, else the first one seen. */
  private pinOptions(model: string, options: ChatRequest['options']): ChatRequest['options'] {
    const configured = this.routing.numCtx[model];
    if (!this.pinnedNumCtx.has(model)) this.pinnedNumCtx.set(model, configured ?? options?.numCtx);
    const numCtx = this.pinnedNumCtx.get(model);
    if (numCtx === options?.numCtx) return options;
    const { numCtx: _dropped, ...rest } = options ?? {};
    return numCtx === undefined ? rest : { ...rest, numCtx };
  }

  private queueOf(model: string): PriorityQueue<Pending> {
    let q = this.queues.get(model);
    if (!q) this.queues.set(model, (q = new PriorityQueue<Pending>()));
    return q;
  }
}
