import { FlotillaError } from '../errors/flotilla-error';
import { RUN_STORE_SCHEMA_VERSION, type RunLease } from './run-store.interface';

/**
 * Why a run store refused something, in `details.reason` of the FlotillaError (the kind says
 * how to treat it: `config` nothing ran and nothing will until the caller changes something,
 * `overloaded` try again later, `userCode` a step gave a value the journal cannot hold).
 */
export type RunStoreErrorReason = 'runNotFound' | 'runExists' | 'chainChanged' | 'storeSchemaNewer' | 'storeBusy' | 'notJson' | 'duplicateStep' | 'runLeased' | 'notWaiting';

/** The run store's errors, worded once for every store. */
export const StoreErrors = {
  runNotFound: (runId: string, where: string) =>
    new FlotillaError('config', `run "${runId}" is not in the run store (${where})`, { details: { reason: 'runNotFound', runId, store: where } }),
  runExists: (runId: string, where: string) =>
    new FlotillaError('config', `run "${runId}" exists already in the run store (${where}); resume it, or start a run with another id`, {
      details: { reason: 'runExists', runId, store: where },
    }),
  chainChanged: (runId: string, was: { chain: string; hash: string }, now: { chain: string; hash: string }) =>
    new FlotillaError(
      'config',
      `run "${runId}" was started by chain "${was.chain}" (hash ${was.hash.slice(0, 12)}), and the chain given to resume it is "${now.chain}" (hash ${now.hash.slice(0, 12)}): its definition changed, so journaled steps may not match; resume with the chain it ran, or pass force: true to resume anyway`,
      { details: { reason: 'chainChanged', runId, chain: was.chain, storedHash: was.hash, chainHash: now.hash } },
    ),
  schemaNewer: (where: string, found: number) =>
    new FlotillaError(
      'config',
      `the run store ${where} has schema version ${found}, newer than this Flotilla reads (${RUN_STORE_SCHEMA_VERSION}): it was written by a newer version; upgrade Flotilla, or use another store`,
      { details: { reason: 'storeSchemaNewer', store: where, found, supported: RUN_STORE_SCHEMA_VERSION } },
    ),
  busy: (where: string, waitedMs: number, cause?: unknown) =>
    new FlotillaError('overloaded', `the run store ${where} stayed locked by another process for ${waitedMs} ms (its busy timeout)`, {
      cause,
      details: { reason: 'storeBusy', store: where, waitedMs },
    }),
  /** Another process executes the run (its lease stands), or this one lost its lease to another. */
  runLeased: (runId: string, lease: RunLease | undefined, where: string) =>
    new FlotillaError(
      'overloaded',
      lease
        ? `run "${runId}" is being executed by another process (${lease.owner}; its lease runs until ${new Date(lease.expiresAt).toISOString()}): resume it once that process has ended or its lease has expired`
        : `run "${runId}": this process no longer holds the run's lease (another process took the run over after the lease expired)`,
      { retryable: false, details: { reason: 'runLeased', runId, store: where, ...(lease ? { owner: lease.owner, expiresAt: lease.expiresAt } : {}) } },
    ),
  duplicateStep: (runId: string, stepKey: string, where: string) =>
    new FlotillaError('config', `run "${runId}": step "${stepKey}" is journaled already (${where}); step keys must be unique within a run`, {
      details: { reason: 'duplicateStep', runId, step: stepKey, store: where },
    }),
} as const;

/** The reason of a run store's error, or undefined for any other error. */
export function runStoreErrorReason(error: unknown): RunStoreErrorReason | undefined {
  return FlotillaError.is(error) ? (error.details['reason'] as RunStoreErrorReason | undefined) : undefined;
}
