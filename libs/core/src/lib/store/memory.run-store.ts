import { StoreErrors } from './store-errors';
import { type JournalEntry, type NewRunRecord, RUN_STORE_SCHEMA_VERSION, type RunEnd, type RunRecord, type RunStore, type RunUsage } from './run-store.interface';

/**
 * A run store in this process's memory, for tests and for runs that need resume only within
 * one process. Values are kept as JSON text, as a file or database store keeps them, so a
 * resume sees what it would see from disk.
 */
export class InMemoryRunStore implements RunStore {
  readonly schemaVersion = RUN_STORE_SCHEMA_VERSION;
  private readonly runs = new Map<string, { row: string; journal: Map<string, string> }>();

  async createRun(run: NewRunRecord): Promise<void> {
    if (this.runs.has(run.runId)) throw StoreErrors.runExists(run.runId, 'memory');
    const row: RunRecord = { ...run, status: 'running', journaled: 0, updatedAt: Date.now() };
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

  async append(runId: string, entry: JournalEntry, usage: RunUsage): Promise<void> {
    const hit = this.runs.get(runId);
    if (!hit) throw StoreErrors.runNotFound(runId, 'memory');
    if (hit.journal.has(entry.stepKey)) throw StoreErrors.duplicateStep(runId, entry.stepKey, 'memory');
    const text = JSON.stringify(entry);
    const row = JSON.parse(hit.row) as RunRecord;
    row.usage = raise(row.usage, usage);
    row.journaled++;
    row.updatedAt = entry.at;
    hit.journal.set(entry.stepKey, text);
    hit.row = JSON.stringify(row);
  }

  async reopen(runId: string): Promise<void> {
    this.update(runId, (row) => {
      row.status = 'running';
      delete row.output;
      delete row.error;
    });
  }

  async finish(runId: string, end: RunEnd): Promise<void> {
    this.update(runId, (row) => {
      row.status = end.status;
      row.usage = raise(row.usage, end.usage);
      if (end.output !== undefined) row.output = end.output;
      if (end.error !== undefined) row.error = end.error;
    });
  }

  async close(): Promise<void> {
    // Nothing to release: the runs go with the process.
  }

  private update(runId: string, change: (row: RunRecord) => void): void {
    const hit = this.runs.get(runId);
    if (!hit) throw StoreErrors.runNotFound(runId, 'memory');
    const row = JSON.parse(hit.row) as RunRecord;
    change(row);
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
