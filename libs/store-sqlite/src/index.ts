// @flotilla/store-sqlite: the embedded run store for durable runs, one SQLite file (WAL)
// shared by the processes of one machine. createFlotilla({ store: './flotilla.db' }) loads it.
export { SqliteRunStore, openSqliteRunStore, DEFAULT_SQLITE_DURABILITY, DEFAULT_SQLITE_BUSY_TIMEOUT_MS } from './lib/sqlite.run-store';
export type { SqliteRunStoreOptions, SqliteDurability } from './lib/sqlite.run-store';
