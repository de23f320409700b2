import { FlotillaError } from '@flotilla/core';

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new FlotillaError('config', `${flag}: expected one of ${allowed.join(', ')}, got "${value}"`);
}

export function positiveNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new FlotillaError('config', `${flag}: expected a number > 0, got "${raw}"`);
  return n;
}

/** `name=value` flags (repeatable) as a record. */
export function parsePairs(flag: string, pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw new FlotillaError('config', `${flag} ${p}: expected name=value`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export function parseAliases(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  return parsePairs('--model-alias', pairs);
}
