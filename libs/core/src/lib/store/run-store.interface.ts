import type { ErrorInfo, CallStats } from '../events/run-event';
import type { HumanQuestion } from '../steps/human.step';

/**
 * The version of the run store's schema this build reads and writes. A store whose schema
 * is newer is refused (`config`, reason `storeSchemaNewer`): it was written by a newer
 * Flotilla, and an older one must not guess at its meaning.
 */
export const RUN_STORE_SCHEMA_VERSION = 1;

/** `waiting`: a human step asked a question (`RunRecord.waiting`); a resume with the answer continues it. */
export type StoredRunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

/** What a run has spent: the counters budgets read, kept across resumes. */
export interface RunUsage {
  promptTokens: number;
  completionTokens: number;
  /** Model calls started, retries included. */
  modelCalls: number;
}

/** The run options a resume must reuse (they steer control flow or budgets). */
export interface StoredRunOptions {
  variants?: Record<string, string>;
  maxTokens?: number;
  maxModelCalls?: number;
  /** A deadline across resumes (`deadlineAcross: 'run'`), counted from `RunRecord.createdAt`; per-attempt deadlines are not kept. */
  deadlineMs?: number;
  deadlineAcross?: 'run';
  /** Where the chain came from (a chain file's path), for tools that resume by run id (`flotilla runs`). */
  source?: string;
}

/** A run as the store knows it. */
export interface RunRecord {
  runId: string;
  /** The chain's name. */
  chain: string;
  /** The content hash of the chain definition (see `chainHash`): a resume with another is refused. */
  chainHash: string;
  /** The run input (JSON). */
  input: unknown;
  options: StoredRunOptions;
  status: StoredRunStatus;
  /** The run's output when it succeeded (best effort: a value JSON cannot hold is left out). */
  output?: unknown;
  error?: ErrorInfo;
  /** What the run waits for when its status is `waiting`. */
  waiting?: HumanQuestion;
  usage: RunUsage;
  /** Journal entries written for the run. */
  journaled: number;
  /** The lease of the process executing the run, when one holds it. */
  lease?: RunLease;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** What a new run's row holds. */
export type NewRunRecord = Omit<RunRecord, 'status' | 'output' | 'error' | 'waiting' | 'journaled' | 'updatedAt' | 'lease'>;

/**
 * Who executes a run, until when: a run being executed is leased by its process, which renews
 * the lease while it runs; another process may resume it only once the lease has expired
 * (or its holder is known to be dead).
 */
export interface RunLease {
  /** The holder: `host:pid:random`, unique per run execution. */
  owner: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * A completed leaf result: what a step gave, taken on resume instead of doing the step again.
 * Keyed by (run id, step key); the step key is stable across runs that take the same decisions.
 */
export interface JournalEntry {
  stepKey: string;
  /** What made it: `call` (a model call's parsed output), `human` (a person's decision); tool results later. */
  kind: 'call' | 'human';
  /** The step's output, as downstream steps received it (JSON). */
  output: unknown;
  /** The call's statistics (model, usage, timings), reported again on resume. */
  call?: CallStats;
  /** Epoch ms when it was written. */
  at: number;
}

/** How a run ends, as the store records it. */
export interface RunEnd {
  status: Exclude<StoredRunStatus, 'running'>;
  output?: unknown;
  error?: ErrorInfo;
  /** With status `waiting`: the question. */
  waiting?: HumanQuestion;
  usage: RunUsage;
}

/**
 * Where durable runs live: run rows and their journals. Every method is asynchronous so that
 * a store over the network (a database shared by several machines) fits the same interface;
 * a store must make each `append` atomic (the entry and the run's counters, or neither) and
 * durable before it resolves, because the step's output is used as soon as it does.
 *
 * Stores never hold API keys or request headers: only what this interface passes (inputs,
 * outputs, call statistics), which includes prompts' results in clear.
 */
export interface RunStore {
  /** The schema version the store was opened with (`RUN_STORE_SCHEMA_VERSION` of its writer). */
  readonly schemaVersion: number;
  /** Where the store is (a file path, a database name), for messages; never credentials. */
  readonly location?: string;
  /**
   * Records a new run as `running`, leased to `lease.owner` for `lease.ttlMs`; a run id that
   * exists already is a `config` error.
   */
  createRun(run: NewRunRecord, lease?: { owner: string; ttlMs: number }): Promise<void>;
  /** The run, or undefined when the store has no such run. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** The run's journal, in write order. */
  readJournal(runId: string): Promise<JournalEntry[]>;
  /**
   * Appends one entry and raises the run's counters to `usage` (never lowers them), in one
   * transaction. A second entry for the same step key is a `config` error. With `owner`, the
   * write happens only while `owner` holds the run's lease (else `runLeased`): a process that
   * lost its lease cannot write over its successor.
   */
  append(runId: string, entry: JournalEntry, usage: RunUsage, owner?: string): Promise<void>;
  /**
   * Takes the run's lease for `owner` until now + `ttlMs` when it is free, expired, already
   * `owner`'s, or held by `takeOver` (a holder known to be dead), and marks the run running.
   * Resolves undefined when taken, else with the lease that stands in the way.
   */
  acquireLease(runId: string, owner: string, ttlMs: number, takeOver?: string): Promise<RunLease | undefined>;
  /** Extends `owner`'s lease to now + `ttlMs`; false when `owner` no longer holds it. */
  renewLease(runId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Records how the run ended and releases `owner`'s lease (with `owner`, only while it holds it). */
  finish(runId: string, end: RunEnd, owner?: string): Promise<void>;
  /** Runs, most recently updated first (at most `limit`; with `status`, only those). */
  listRuns(filter?: { status?: StoredRunStatus; limit?: number }): Promise<RunRecord[]>;
  /** Deletes a run and its journal unless a live lease holds it; true when it was deleted. */
  deleteRun(runId: string): Promise<boolean>;
  /** Releases the store's resources (file handles, connections). Idempotent. */
  close(): Promise<void>;
}
