import type { EndpointState } from '../endpoints/endpoint-state';

/** Starts an on-demand endpoint; the router asks when queued work needs it. */
export interface InstanceStarter {
  readonly endpoint: string;
  /** Resolves when the endpoint is running (or rejects when it could not start). */
  ensureStarted(): Promise<void>;
  readonly starting: boolean;
  /** False while a failed start is cooling down. */
  readonly canStart: boolean;
  readonly queueThreshold: number;
}

const hasLabels = (e: EndpointState, labels: readonly string[]) => labels.every((l) => e.labels.has(l));

/** The on-demand endpoints of a fleet, and when the router asks them to start. */
export class StarterRegistry {
  private readonly starters = new Map<string, InstanceStarter>();

  constructor(
    private readonly endpoints: readonly EndpointState[],
    /** Called when a start ends, either way: re-dispatch. */
    private readonly onSettled: () => void,
  ) {}

  attach(starter: InstanceStarter): void {
    this.starters.set(starter.endpoint, starter);
  }

  /** A stopped endpoint that could be started for `model` with `labels`. */
  couldServe(model: string, labels: readonly string[]): boolean {
    return this.endpoints.some((e) => !e.running && this.starters.get(e.name)?.canStart === true && e.serves(model) && hasLabels(e, labels));
  }

  /** Starts one that could serve (a call nothing running can take); true if one is (being) started. */
  startFor(model: string, labels: readonly string[]): boolean {
    for (const e of this.endpoints) {
      const s = this.starters.get(e.name);
      if (!s || e.running || !(s.starting || s.canStart) || !e.serves(model) || !hasLabels(e, labels)) continue;
      void s.ensureStarted().then(this.onSettled, this.onSettled);
      return true;
    }
    return false;
  }

  /** Starts the ones whose threshold the backlog of `model` has reached. */
  startForBacklog(model: string, queued: number): void {
    if (queued === 0 || this.starters.size === 0) return;
    for (const e of this.endpoints) {
      const s = this.starters.get(e.name);
      if (!s || e.running || s.starting || !s.canStart || !e.serves(model) || queued < s.queueThreshold) continue;
      void s.ensureStarted().then(this.onSettled, () => undefined);
    }
  }
}
