import Database from 'better-sqlite3';
import {
  FlotillaError,
  type JournalEntry,
  type NewRunRecord,
  RUN_STORE_SCHEMA_VERSION,
  type RunEnd,
  type RunLease,
  type RunRecord,
  type RunStore,
  type RunUsage,
  type StoredRunStatus,
  StoreErrors,
} from '@flotilla/core';
import { type JournalRow, type RunRow, SCHEMA_V1 } from './sqlite-schema';
import { WalCheckpointer } from './wal-checkpointer';

/**
 * - `normal`: WAL with `synchronous = NORMAL`. A step whose write returned survives the
 *   process being killed (kill -9, a crash, an OOM kill); the last writes before the machine
 *   itself loses power or the OS crashes may be lost (the database stays consistent).
 * - `full`: `synchronous = FULL`: a returned write survives power loss too, at the cost of an
 *   fsync per completed step.
 */
export type SqliteDurability = 'normal' | 'full';

export const DEFAULT_SQLITE_DURABILITY: SqliteDurability = 'normal';
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface SqliteRunStoreOptions {
  /** What a completed write survives (see `SqliteDurability`). @default 'normal' */
  durability?: SqliteDurability;
  /**
   * How long an operation waits while another process holds the file's write lock before it
   * fails (`overloaded`, reason `storeBusy`). @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * The embedded run store: one SQLite file (WAL), shared by any number of processes on one
 * machine, no server. Inputs and outputs are kept in clear in the file (and its `-wal`
 * companion); protect it as you would the prompts themselves.
 */
export class SqliteRunStore implements RunStore {
  readonly schemaVersion = RUN_STORE_SCHEMA_VERSION;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly busyTimeoutMs: number;
  private closed = false;
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly sql: ReturnType<typeof prepare>;
  private readonly appendTx: (runId: string, entry: JournalEntry, usage: RunUsage, owner: string | null) => void;

  constructor(file: string, options: SqliteRunStoreOptions = {}) {
    const durability = options.durability ?? DEFAULT_SQLITE_DURABILITY;
    if (durability !== 'normal' && durability !== 'full') throw new FlotillaError('config', `SqliteRunStore durability: expected 'normal' or 'full', got ${JSON.stringify(durability)}`, { details: { where: 'durability' } });
    const busy = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
    if (!(Number.isInteger(busy) && busy >= 0)) throw new FlotillaError('config', `SqliteRunStore busyTimeoutMs: expected a whole number >= 0, got ${String(busy)}`, { details: { where: 'busyTimeoutMs' } });
    this.location = file;
    this.busyTimeoutMs = busy;
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: busy });
    } catch (e) {
      throw new FlotillaError('config', `run store ${file}: cannot open it: ${(e as Error).message}`, { cause: e, details: { store: file } });
    }
    this.db = db;
    try {
      this.guard(() => {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
        this.migrate();
        // Checkpoints run in a worker thread (see WalCheckpointer), not inside a journal write.
        if (file !== ':memory:') db.pragma('wal_autocheckpoint = 0');
      });
    } catch (e) {
      db.close();
      throw e;
    }
    this.sql = prepare(db);
    this.checkpointer = file === ':memory:' ? undefined : new WalCheckpointer(file, busy);
    this.appendTx = db.transaction((runId: string, entry: JournalEntry, usage: RunUsage, owner: string | null) => {
      const value = JSON.stringify({ output: entry.output, call: entry.call });
      const inserted = this.sql.insertEntry.run(runId, entry.stepKey, entry.kind, value, entry.at, runId, owner, owner);
      if (inserted.changes === 0) throw this.sql.getRun.get(runId) ? StoreErrors.runLeased(runId, undefined, file) : StoreErrors.runNotFound(runId, file);
      this.inWrite(runId, entry.stepKey);
      this.sql.raise.run(usage.promptTokens, usage.completionTokens, usage.modelCalls, entry.at, runId);
    }).immediate;
  }

  async createRun(run: NewRunRecord, lease?: { owner: string; ttlMs: number }): Promise<void> {
    this.guard(() => {
      const now = Date.now();
      try {
        this.sql.insertRun.run(run.runId, run.chain, run.chainHash, JSON.stringify(run.input), JSON.stringify(run.options), run.usage.promptTokens, run.usage.completionTokens, run.usage.modelCalls, run.createdAt, now, lease?.owner ?? null, lease ? now + lease.ttlMs : null);
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw StoreErrors.runExists(run.runId, this.location);
        throw e;
      }
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.guard(() => this.sql.getRun.get(runId) as RunRow | undefined);
    return row && toRecord(row);
  }

  async readJournal(runId: string): Promise<JournalEntry[]> {
    const rows = this.guard(() => this.sql.readJournal.all(runId) as JournalRow[]);
    return rows.map((r) => {
      const value = JSON.parse(r.value) as Pick<JournalEntry, 'output' | 'call'>;
      return { stepKey: r.step_key, kind: r.kind as JournalEntry['kind'], output: value.output, ...(value.call ? { call: value.call } : {}), at: r.at };
    });
  }

  async append(runId: string, entry: JournalEntry, usage: RunUsage, owner?: string): Promise<void> {
    this.guard(() => {
      try {
        this.appendTx(runId, entry, usage, owner ?? null);
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw StoreErrors.duplicateStep(runId, entry.stepKey, this.location);
        throw e;
      }
    });
  }

  async acquireLease(runId: string, owner: string, ttlMs: number, takeOver?: string): Promise<RunLease | undefined> {
    return this.guard(() => {
      const now = Date.now();
      if (this.sql.acquire.run(owner, now + ttlMs, now, runId, owner, now, takeOver ?? null).changes === 1) return undefined;
      const row = this.sql.getRun.get(runId) as RunRow | undefined;
      if (!row) throw StoreErrors.runNotFound(runId, this.location);
      return { owner: row.lease_owner!, expiresAt: row.lease_expires_at! };
    });
  }

  async renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => this.sql.renew.run(Date.now() + ttlMs, runId, owner).changes === 1);
  }

  async finish(runId: string, end: RunEnd, owner?: string): Promise<void> {
    const u = end.usage;
    // A waiting run has no output: the column holds its question.
    const output = end.status === 'waiting' ? JSON.stringify(end.waiting ?? null) : end.output === undefined ? null : JSON.stringify(end.output);
    const error = end.error === undefined ? null : JSON.stringify(end.error);
    const o = owner ?? null;
    const changed = this.guard(() => this.sql.finish.run(end.status, output, error, u.promptTokens, u.completionTokens, u.modelCalls, Date.now(), runId, o, o).changes);
    if (changed === 0) throw this.guard(() => this.sql.getRun.get(runId)) ? StoreErrors.runLeased(runId, undefined, this.location) : StoreErrors.runNotFound(runId, this.location);
  }

  async listRuns(filter: { status?: StoredRunStatus; limit?: number } = {}): Promise<RunRecord[]> {
    const status = filter.status ?? null;
    const rows = this.guard(() => this.sql.listRuns.all(status, status, filter.limit ?? -1) as RunRow[]);
    return rows.map(toRecord);
  }

  async deleteRun(runId: string): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction(() => {
        const now = Date.now();
        this.sql.deleteJournal.run(runId, runId, now);
        return this.sql.deleteRun.run(runId, now).changes === 1;
      }).immediate(),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    await this.checkpointer?.close();
  }

  /**
   * Called inside an append's transaction, after its first statement and before its commit:
   * a test hook (a kill there must leave the step whole or absent, never torn).
   */
  protected inWrite(_runId: string, _stepKey: string): void {
    // Nothing in production.
  }

  /** Runs `fn`, turning a lock held past the busy timeout into a typed error. */
  private guard<T>(fn: () => T): T {
    if (this.closed) throw new FlotillaError('config', `run store ${this.location} is closed`, { details: { store: this.location } });
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code?.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') throw StoreErrors.busy(this.location, this.busyTimeoutMs, e);
      if (FlotillaError.is(e)) throw e;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new FlotillaError('config', `run store ${this.location}: not a Flotilla run store (${(e as Error).message})`, { cause: e, details: { store: this.location } });
      throw new FlotillaError('unavailable', `run store ${this.location}: ${(e as Error).message}`, { cause: e, retryable: false, details: { store: this.location, code } });
    }
  }

  /** Creates the tables in a new file; refuses a file written by a newer schema. */
  private migrate(): void {
    const db = this.db;
    const read = () => db.pragma('user_version', { simple: true }) as number;
    const found = read();
    if (found > RUN_STORE_SCHEMA_VERSION) throw StoreErrors.schemaNewer(this.location, found);
    if (found === RUN_STORE_SCHEMA_VERSION) return;
    db.transaction(() => {
      // Another process may have created them between the read and the lock.
      const now = read();
      if (now > RUN_STORE_SCHEMA_VERSION) throw StoreErrors.schemaNewer(this.location, now);
      if (now === RUN_STORE_SCHEMA_VERSION) return;
      db.exec(SCHEMA_V1);
      db.pragma(`user_version = ${RUN_STORE_SCHEMA_VERSION}`);
    }).immediate();
  }
}

/** Opens (creating it if need be) the SQLite run store in `file`: what `createFlotilla({ store: file })` calls. */
export function openSqliteRunStore(file: string, options?: SqliteRunStoreOptions): SqliteRunStore {
  return new SqliteRunStore(file, options);
}

function prepare(db: Database.Database) {
  return {
    insertRun: db.prepare(
      `INSERT INTO runs (run_id, chain, chain_hash, input, options, status, prompt_tokens, completion_tokens, model_calls, journaled, created_at, updated_at, lease_owner, lease_expires_at)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, 0, ?, ?, ?, ?)`,
    ),
    getRun: db.prepare('SELECT * FROM runs WHERE run_id = ?'),
    readJournal: db.prepare('SELECT step_key, kind, value, at FROM journal WHERE run_id = ? ORDER BY seq'),
    // With an owner, only while it holds the lease: a process that lost it cannot write over its successor.
    insertEntry: db.prepare('INSERT INTO journal (run_id, step_key, seq, kind, value, at) SELECT ?, ?, journaled, ?, ?, ? FROM runs WHERE run_id = ? AND (? IS NULL OR lease_owner = ?)'),
    raise: db.prepare(
      `UPDATE runs SET journaled = journaled + 1, prompt_tokens = max(prompt_tokens, ?), completion_tokens = max(completion_tokens, ?),
       model_calls = max(model_calls, ?), updated_at = ? WHERE run_id = ?`,
    ),
    // Free, expired, already the owner's, or held by a holder known to be dead.
    acquire: db.prepare(
      `UPDATE runs SET lease_owner = ?, lease_expires_at = ?, status = 'running', output = NULL, error = NULL, updated_at = ?
       WHERE run_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ? OR lease_owner = ?)`,
    ),
    listRuns: db.prepare('SELECT * FROM runs WHERE (? IS NULL OR status = ?) ORDER BY updated_at DESC, run_id LIMIT ?'),
    deleteJournal: db.prepare('DELETE FROM journal WHERE run_id = ? AND EXISTS (SELECT 1 FROM runs WHERE run_id = ? AND (lease_owner IS NULL OR lease_expires_at <= ?))'),
    deleteRun: db.prepare('DELETE FROM runs WHERE run_id = ? AND (lease_owner IS NULL OR lease_expires_at <= ?)'),
    renew: db.prepare('UPDATE runs SET lease_expires_at = ? WHERE run_id = ? AND lease_owner = ?'),
    finish: db.prepare(
      `UPDATE runs SET status = ?, output = ?, error = ?, prompt_tokens = max(prompt_tokens, ?), completion_tokens = max(completion_tokens, ?),
       model_calls = max(model_calls, ?), updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE run_id = ? AND (? IS NULL OR lease_owner IS NULL OR lease_owner = ?)`,
    ),
  };
}

function toRecord(row: RunRow): RunRecord {
  const record: RunRecord = {
    runId: row.run_id,
    chain: row.chain,
    chainHash: row.chain_hash,
    input: JSON.parse(row.input),
    options: JSON.parse(row.options),
    status: row.status as StoredRunStatus,
    usage: { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, modelCalls: row.model_calls },
    journaled: row.journaled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.output !== null && row.status === 'waiting') record.waiting = JSON.parse(row.output);
  else if (row.output !== null) record.output = JSON.parse(row.output);
  if (row.error !== null) record.error = JSON.parse(row.error);
  if (row.lease_owner !== null && row.lease_expires_at !== null) record.lease = { owner: row.lease_owner, expiresAt: row.lease_expires_at };
  return record;
}
