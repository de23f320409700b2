export type CircuitState = 'closed' | 'open' | 'halfOpen';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 3 */
  failureThreshold?: number;
  /** How long it stays open before half-open trials. @default 10000 */
  cooldownMs?: number;
  /** Calls let through while half-open. @default 1 */
  halfOpenTrials?: number;
  /** @default performance.now */
  now?: () => number;
}

/**
 * Closed -> (failureThreshold consecutive failures, or `trip()`) -> open -> (cooldown) ->
 * half-open: `halfOpenTrials` calls go through; a success closes it, a failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private opened = false;
  private trials = 0;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly maxTrials: number;
  private readonly now: () => number;
  /** Times the circuit opened, for reports and tests. */
  openings = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 3;
    this.cooldownMs = options.cooldownMs ?? 10_000;
    this.maxTrials = options.halfOpenTrials ?? 1;
    this.now = options.now ?? (() => performance.now());
  }

  get state(): CircuitState {
    if (!this.opened) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'halfOpen' : 'open';
  }

  /** When an open circuit turns half-open (for timers); undefined when closed. */
  get retryAt(): number | undefined {
    return this.opened ? this.openedAt + this.cooldownMs : undefined;
  }

  /** Whether a call may go out now (does not take a trial). */
  allows(): boolean {
    const s = this.state;
    return s === 'closed' || (s === 'halfOpen' && this.trials < this.maxTrials);
  }

  /** Records that a call went out; half-open trials are counted. */
  onDispatch(): void {
    if (this.state === 'halfOpen') this.trials++;
  }

  success(): void {
    this.failures = 0;
    this.opened = false;
    this.trials = 0;
  }

  failure(): void {
    this.failures++;
    if (this.state === 'halfOpen' || this.failures >= this.threshold) this.trip();
  }

  /** Opens at once (connection refused: no point counting). */
  trip(): void {
    if (!this.opened || this.state === 'halfOpen') this.openings++;
    this.opened = true;
    this.openedAt = this.now();
    this.trials = 0;
  }

  /** A trial slot came back unused (call cancelled before an outcome). */
  release(): void {
    if (this.trials > 0) this.trials--;
  }
}
