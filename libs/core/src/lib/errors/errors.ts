import { FlotillaError } from './flotilla-error';

/** Message factories for errors raised in several places, so wording stays consistent. */
export const Errors = {
  aborted: (what = 'operation', reason?: unknown) =>
    new FlotillaError('aborted', `${what} was cancelled`, { cause: reason }),
  timeout: (what: string, ms: number, details: Record<string, unknown> = {}) =>
    new FlotillaError('timeout', `${what} exceeded ${ms} ms`, { details: { limitMs: ms, ...details } }),
  config: (where: string, expected: string, got?: unknown) =>
    new FlotillaError('config', `${where}: expected ${expected}${got === undefined ? '' : `, got ${describe(got)}`}`, {
      details: { where, expected },
    }),
} as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
