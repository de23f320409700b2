import { FlotillaError, type RunStore } from '@flotilla/core';

/** The package behind `--store <file>`: an optional peer of the CLI (a run without a store installs and loads no SQLite). */
export const SQLITE_STORE_PACKAGE = '@flotilla/store-sqlite';

/**
 * The SQLite run store in `file`, for `--store`. Loaded only when a command is given a store;
 * when the package is not installed: a `config` error naming the flag, the package and the
 * line that installs it.
 */
export async function openSqliteStore(file: string): Promise<RunStore> {
  let mod: typeof import('@flotilla/store-sqlite');
  try {
    mod = await import('@flotilla/store-sqlite');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    throw new FlotillaError('config', `--store ${file}: a run store needs ${SQLITE_STORE_PACKAGE}, an optional peer dependency that is not installed; install it with: npm install ${SQLITE_STORE_PACKAGE}`, {
      cause,
      details: { flag: '--store', package: SQLITE_STORE_PACKAGE, install: `npm install ${SQLITE_STORE_PACKAGE}` },
    });
  }
  return mod.openSqliteRunStore(file);
}
