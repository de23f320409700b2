import { Errors } from '../errors/errors';
import type { RunStore, StoredRunStatus } from './run-store.interface';

/**
 * Which finished runs (succeeded, failed, cancelled) a store keeps. A run is deleted when it
 * was last updated more than `maxAgeMs` ago, or when it is not among the `maxRuns` most
 * recently updated finished runs. Running and waiting runs are never deleted nor counted.
 */
export interface RetentionPolicy {
  /** Delete finished runs last updated longer ago than this. */
  maxAgeMs?: number;
  /** Keep at most this many finished runs (the most recently updated). */
  maxRuns?: number;
}

/** The default: finished runs are kept 30 days, and at most 1,000 of them. */
export const DEFAULT_RETENTION: Readonly<Required<RetentionPolicy>> = Object.freeze({ maxAgeMs: 30 * 86_400_000, maxRuns: 1000 });

/** An automatic sweep runs when a Flotilla opens its store, then after every this many finished runs. */
export const RETENTION_SWEEP_EVERY = 100;

const FINISHED: ReadonlySet<StoredRunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** Checks a policy given by a user (`createFlotilla({ retention })`, `flotilla runs prune`). */
export function checkRetention(policy: RetentionPolicy, where: string): RetentionPolicy {
  if (typeof policy !== 'object' || policy === null) throw Errors.config(where, '{ maxAgeMs?, maxRuns? } or false', policy);
  if (policy.maxAgeMs !== undefined && !(typeof policy.maxAgeMs === 'number' && policy.maxAgeMs >= 0)) throw Errors.config(`${where}.maxAgeMs`, 'a number of milliseconds >= 0', policy.maxAgeMs);
  if (policy.maxRuns !== undefined && !(Number.isSafeInteger(policy.maxRuns) && policy.maxRuns >= 0)) throw Errors.config(`${where}.maxRuns`, 'a whole number >= 0', policy.maxRuns);
  return policy;
}

/**
 * Deletes the finished runs `policy` does not keep, through the store's `listRuns` and
 * `deleteRun` (so every store prunes the same way; a run a live lease holds is left). Resolves
 * with how many runs were deleted.
 */
export async function pruneRuns(store: RunStore, policy: RetentionPolicy, now = Date.now(), between?: () => Promise<void>): Promise<number> {
  const { maxAgeMs, maxRuns } = policy;
  if (maxAgeMs === undefined && maxRuns === undefined) return 0;
  const finished = (await store.listRuns()).filter((r) => FINISHED.has(r.status));
  let deleted = 0;
  for (const [i, r] of finished.entries()) {
    const old = maxAgeMs !== undefined && now - r.updatedAt > maxAgeMs;
    const beyond = maxRuns !== undefined && i >= maxRuns;
    if (!(old || beyond)) continue;
    // An automatic sweep lets runs in flight go on between deletes.
    if (between) await between();
    if (await store.deleteRun(r.runId)) deleted++;
  }
  return deleted;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Applies a retention policy to a store without a timer: once when started, then after every
 * `every` finished runs. Sweeps never overlap; a failed sweep is retried by the next one (it
 * never fails a run).
 */
export class RetentionSweeper {
  private sinceSweep = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly policy: RetentionPolicy,
    private readonly every = RETENTION_SWEEP_EVERY,
  ) {}

  /** Tells the sweeper a run ended with `status`. */
  ended(status: StoredRunStatus): void {
    if (!FINISHED.has(status)) return;
    if (++this.sinceSweep >= this.every) this.sweep();
  }

  /** Starts a sweep unless one is under way. */
  sweep(): void {
    if (this.running) return;
    this.sinceSweep = 0;
    this.running = pruneRuns(this.store, this.policy, Date.now(), nextTurn).then(
      () => undefined,
      () => undefined,
    );
    void this.running.then(() => (this.running = undefined));
  }

  /** Resolves once no sweep is under way (before the store is closed). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }
}
