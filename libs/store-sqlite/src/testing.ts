// @flotilla/store-sqlite/testing: the store with a hook inside its writes, for crash tests.
import { SqliteRunStore, type SqliteRunStoreOptions } from './lib/sqlite.run-store';

/**
 * A SQLite store that calls `hook` inside every append's transaction, after its first
 * statement and before its commit (a test SIGKILLs the process there).
 */
export class HookedSqliteRunStore extends SqliteRunStore {
  constructor(
    file: string,
    private readonly hook: (runId: string, stepKey: string) => void,
    options?: SqliteRunStoreOptions,
  ) {
    super(file, options);
  }

  protected override inWrite(runId: string, stepKey: string): void {
    this.hook(runId, stepKey);
  }
}
