import type { RoutingPolicy } from '../config/router-config.schema';
import type { EndpointState } from '../endpoints/endpoint-state';

/** What a decision needs besides the endpoints. */
export interface ScoreContext {
  /** As the caller spells it; each endpoint keys it its own way. */
  model: string;
  /** An endpoint a retry's last attempt failed on: used only when nothing else can serve. */
  avoid?: string;
  /** Labels an endpoint must all have (the agent's route). */
  labels: readonly string[];
  /** The endpoint that served this conversation's previous turn. */
  affinity?: string;
  /** Calls queued for this model, the head included. */
  queued: number;
  /** Calls queued per model, to weigh what an eviction would cost. */
  demand(model: string): number;
  defaultLoadMs: number;
  now: number;
}

export type Decision =
  | { kind: 'dispatch'; endpoint: EndpointState; expectedLoadMs: number }
  /** Some endpoint can serve the model, but not now (slots full, or better to wait for a faster one). */
  | { kind: 'wait' }
  /** No running, healthy endpoint serves the model. */
  | { kind: 'none' };

/** Used until an endpoint-model pair has been timed. */
export const DEFAULT_SERVICE_MS = 1_000;
/** Conversation affinity yields to an endpoint this much faster. */
export const AFFINITY_TOLERANCE = 1.5;

/** Added to an endpoint that just failed a call: used only when nothing else can serve. */
export const SUSPECT_PENALTY_MS = 600_000;

const WAIT: Decision = { kind: 'wait' };
const NONE: Decision = { kind: 'none' };

/**
 * Picks an endpoint for the head of a model's queue. `scored` estimates each endpoint's time
 * to finish the call (cold load, with what an eviction would cost, plus its learned service
 * time) and takes the fastest with a free slot, unless waiting for a busy faster one finishes
 * the whole queue sooner. `round-robin` and `least-connections` are the baselines other
 * routers use: no slot accounting, no loaded-model awareness. O(endpoints) per call.
 */
export class EndpointScorer {
  private rr = 0;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    private readonly policy: RoutingPolicy = 'scored',
  ) {}

  decide(ctx: ScoreContext): Decision {
    if (this.policy !== 'scored') return this.baseline(ctx);
    const { model } = ctx;
    let prior = 0;
    let known = 0;
    for (const e of this.endpoints) {
      const s = e.peekStats(model)?.serviceMs.value;
      if (s === undefined) continue;
      prior += s;
      known++;
    }
    const fallbackService = known ? prior / known : DEFAULT_SERVICE_MS;

    let best: EndpointState | undefined;
    let bestCost = Infinity;
    let bestLoad = 0;
    let affinity: EndpointState | undefined;
    let affinityCost = Infinity;
    let affinityLoad = 0;
    let busyBest = Infinity;
    let busySlots = 0;
    let usable = false;
    for (const e of this.endpoints) {
      if (!e.usable(model) || !hasLabels(e, ctx.labels)) continue;
      usable = true;
      const stats = e.peekStats(model);
      const service = stats?.serviceMs.value ?? fallbackService;
      let load: number;
      let penalty = 0;
      if (e.isLoaded(model)) load = e.loadingRemainingMs(model, ctx.now);
      else {
        const victim = e.evictionFor(model);
        if (victim === null) continue; // every loaded model busy: the call would queue inside the server
        load = stats?.loadMs.value ?? ctx.defaultLoadMs;
        if (victim !== undefined) {
          // Evicting a model that has queued work means loading it again soon: thrashing.
          const victimLoad = e.peekStats(victim)?.loadMs.value ?? ctx.defaultLoadMs;
          penalty = ctx.demand(victim) > 0 ? victimLoad * 2 : victimLoad * 0.25;
        }
      }
      // The endpoint a retry just failed on ranks below one that merely failed lately.
      const cost = load + penalty + service + (e.suspectUntil > ctx.now ? SUSPECT_PENALTY_MS : 0) + (e.name === ctx.avoid ? 2 * SUSPECT_PENALTY_MS : 0);
      if (e.freeSlots(model) > 0 && e.breaker.allows()) {
        if (cost < bestCost) {
          best = e;
          bestCost = cost;
          bestLoad = load;
        }
        if (e.name === ctx.affinity) {
          affinity = e;
          affinityCost = cost;
          affinityLoad = load;
        }
      } else if (e.breaker.allows() && e.isLoaded(model)) {
        // Busy but warm (or warming): one of its slots frees in about service / slots.
        busySlots += e.slots;
        if (load + service < busyBest) busyBest = load + service;
      }
    }
    if (!usable) return NONE;
    if (!best) return WAIT;
    if (affinity && affinityCost <= bestCost * AFFINITY_TOLERANCE) return { kind: 'dispatch', endpoint: affinity, expectedLoadMs: affinityLoad };
    // The last queued call finishes on the busy endpoints after ~queued/slots service rounds.
    if (busySlots > 0 && busyBest * (1 + ctx.queued / busySlots) < bestCost) return WAIT;
    return { kind: 'dispatch', endpoint: best, expectedLoadMs: bestLoad };
  }

  private baseline(ctx: ScoreContext): Decision {
    const all = this.endpoints.filter((e) => e.usable(ctx.model) && e.breaker.allows() && hasLabels(e, ctx.labels));
    const preferred = all.filter((e) => e.name !== ctx.avoid);
    const candidates = preferred.length ? preferred : all;
    if (candidates.length === 0) return this.endpoints.some((e) => e.usable(ctx.model)) ? WAIT : NONE;
    let pick: EndpointState;
    if (this.policy === 'round-robin') pick = candidates[this.rr++ % candidates.length]!;
    else pick = candidates.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    return { kind: 'dispatch', endpoint: pick, expectedLoadMs: pick.isLoaded(ctx.model) ? 0 : (pick.peekStats(ctx.model)?.loadMs.value ?? ctx.defaultLoadMs) };
  }
}

function hasLabels(e: EndpointState, labels: readonly string[]): boolean {
  for (const l of labels) if (!e.labels.has(l)) return false;
  return true;
}
