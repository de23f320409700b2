import { StoreErrors } from './store-errors';
import { type JournalEntry, type NewRunRecord, RUN_STORE_SCHEMA_VERSION, type RunEnd, type RunLease, type RunRecord, type RunStore, type RunUsage, type StoredRunStatus } from './run-store.interface';

/**
 * A run store in this process's memory, for tests and for runs that need resume only within
 * one process. Values are kept as JSON text, as a file or database store keeps them, so a
 * resume sees what it would see from disk.
 */
export class InMemoryRunStore implements RunStore {
  readonly schemaVersion = RUN_STORE_SCHEMA_VERSION;
  private readonly runs = new Map<string, { row: string; journal: Map<string, string> }>();

  async createRun(run: NewRunRecord, lease?: { owner: string; ttlMs: number }): Promise<void> {
    if (this.runs.has(run.runId)) throw StoreErrors.runExists(run.runId, 'memory');
    const now = Date.now();
    const row: RunRecord = { ...run, status: 'running', journaled: 0, updatedAt: now, ...(lease ? { lease: { owner: lease.owner, expiresAt: now + lease.ttlMs } } : {}) };
    this.runs.set(run.runId, { row: JSON.stringify(row), journal: new Map() });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const hit = this.runs.get(runId);
    return hit ? (JSON.parse(hit.row) as RunRecord) : undefined;
  }

  async readJournal(runId: string): Promise<JournalEntry[]> {
    const hit = this.runs.get(runId);
    return hit ? [...hit.journal.values()].map((e) => JSON.parse(e) as JournalEntry) : [];
  }

  async append(runId: string, entry: JournalEntry, usage: RunUsage, owner?: string): Promise<void> {
    const hit = this.runs.get(runId);
    if (!hit) throw StoreErrors.runNotFound(runId, 'memory');
    const row = JSON.parse(hit.row) as RunRecord;
    if (owner !== undefined && row.lease?.owner !== owner) throw StoreErrors.runLeased(runId, undefined, 'memory');
    if (hit.journal.has(entry.stepKey)) throw StoreErrors.duplicateStep(runId, entry.stepKey, 'memory');
    const text = JSON.stringify(entry);
    row.usage = raise(row.usage, usage);
    row.journaled++;
    row.updatedAt = entry.at;
    hit.journal.set(entry.stepKey, text);
    hit.row = JSON.stringify(row);
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, takeOver?: string): Promise<RunLease | undefined> {
    const now = Date.now();
    let blocked: RunLease | undefined;
    this.update(runId, (row) => {
      const held = row.lease;
      if (held && held.owner !== owner && held.owner !== takeOver && held.expiresAt > now) {
        blocked = held;
        return false;
      }
      row.lease = { owner, expiresAt: now + ttlMs };
      row.status = 'running';
      delete row.output;
      delete row.error;
      delete row.waiting;
      return true;
    });
    return blocked;
  }

  async renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    let renewed = false;
    this.update(runId, (row) => {
      if (row.lease?.owner !== owner) return false;
      row.lease = { owner, expiresAt: Date.now() + ttlMs };
      return (renewed = true);
    });
    return renewed;
  }

  async finish(runId: string, end: RunEnd, owner?: string): Promise<void> {
    this.update(runId, (row) => {
      if (owner !== undefined && row.lease !== undefined && row.lease.owner !== owner) throw StoreErrors.runLeased(runId, undefined, 'memory');
      delete row.lease;
      row.status = end.status;
      row.usage = raise(row.usage, end.usage);
      if (end.output !== undefined) row.output = end.output;
      if (end.error !== undefined) row.error = end.error;
      if (end.waiting !== undefined) row.waiting = end.waiting;
      return true;
    });
  }

  async listRuns(filter: { status?: StoredRunStatus; limit?: number } = {}): Promise<RunRecord[]> {
    const rows = [...this.runs.values()].map((r) => JSON.parse(r.row) as RunRecord).filter((r) => filter.status === undefined || r.status === filter.status);
    rows.sort((a, b) => b.updatedAt - a.updatedAt);
    return filter.limit === undefined ? rows : rows.slice(0, filter.limit);
  }

  async deleteRun(runId: string): Promise<boolean> {
    const hit = this.runs.get(runId);
    if (!hit) return false;
    const row = JSON.parse(hit.row) as RunRecord;
    if (row.lease && row.lease.expiresAt > Date.now()) return false;
    return this.runs.delete(runId);
  }

  async close(): Promise<void> {
    // Nothing to release: the runs go with the process.
  }

  /** Changes a run's row; `change` returns false to leave it as it was. */
  private update(runId: string, change: (row: RunRecord) => boolean): void {
    const hit = this.runs.get(runId);
    if (!hit) throw StoreErrors.runNotFound(runId, 'memory');
    const row = JSON.parse(hit.row) as RunRecord;
    if (!change(row)) return;
    row.updatedAt = Date.now();
    hit.row = JSON.stringify(row);
  }
}

/** Counters only go up: writes that arrive out of order never lower them. */
export function raise(a: RunUsage, b: RunUsage): RunUsage {
  return {
    promptTokens: Math.max(a.promptTokens, b.promptTokens),
    completionTokens: Math.max(a.completionTokens, b.completionTokens),
    modelCalls: Math.max(a.modelCalls, b.modelCalls),
  };
}
