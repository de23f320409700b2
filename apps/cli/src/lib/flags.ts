import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError, numberFlag, oneOfFlag } from '@flotilla/core';

/** A flag value that must be one of a few words (core's `oneOfFlag`, under the name the commands use). */
export const oneOf = oneOfFlag;

export function positiveNumber(flag: string, raw: string): number {
  return numberFlag(flag, raw);
}

/** `name=value` flags (repeatable) as a record. */
export function parsePairs(flag: string, pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new FlotillaError('config', `${flag} ${p}: expected name=value`, { details: { flag } });
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export function parseAliases(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  return parsePairs('--model-alias', pairs);
}

/** `--allow-dir <dir>` (repeatable): folders a chain's `file:` references may point into besides its own. Each must exist. */
export function parseAllowDirs(dirs: readonly string[] | undefined): string[] {
  return (dirs ?? []).map((d) => {
    const abs = path.resolve(d);
    let isDir = false;
    try {
      isDir = fs.statSync(abs).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new FlotillaError('config', `--allow-dir ${d}: expected an existing directory`, { details: { flag: '--allow-dir' } });
    return abs;
  });
}

/**
 * `--trace <dir>`: created if missing and written to once now, so that a path that cannot
 * be written fails the command before the run starts (not a warning after it).
 */
export function checkTraceDir(dir: string): void {
  const fail = (why: string) => new FlotillaError('config', `--trace ${dir}: ${why}; expected a directory the trace files can be written to`, { details: { flag: '--trace' } });
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw fail('it is a file');
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw fail(`cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const probe = path.join(dir, `.flotilla-write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    throw fail(`cannot write into it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
