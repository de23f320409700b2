import { Errors } from '../errors/errors';
import { requireOptionalPeer } from '../errors/optional-peer';
import type { RunStore } from './run-store.interface';

/**
 * The package that opens a store named by a file path. Loaded only when a path is given, so
 * that core keeps no native dependency and a user who sets no store installs no SQLite (it is
 * an optional peer of core).
 */
const SQLITE_STORE_PACKAGE = '@flotilla/store-sqlite';

/** A store object as given, or the SQLite store of a file path. */
export function openRunStore(store: RunStore | string): RunStore {
  if (typeof store !== 'string') {
    if (typeof store !== 'object' || store === null || typeof store.append !== 'function' || typeof store.createRun !== 'function') {
      throw Errors.config('createFlotilla({ store })', 'a file path (SQLite) or a RunStore object', store);
    }
    return store;
  }
  if (store.trim() === '') throw Errors.config('createFlotilla({ store })', 'a non-empty file path', store);
  const mod = requireOptionalPeer<{ openSqliteRunStore?: (file: string) => RunStore }>(require, {
    name: SQLITE_STORE_PACKAGE,
    neededBy: `createFlotilla({ store: ${JSON.stringify(store)} }) (a file store)`,
  });
  if (typeof mod.openSqliteRunStore !== 'function') throw Errors.config(`${SQLITE_STORE_PACKAGE}`, 'a package exporting openSqliteRunStore');
  return mod.openSqliteRunStore(store);
}
