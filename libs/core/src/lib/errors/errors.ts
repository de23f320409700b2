import { FlotillaError } from './flotilla-error';

/** Message factories for errors raised in several places, so wording stays consistent. */
export const Errors = {
  aborted: (what = 'operation', reason?: unknown) =>
    new FlotillaError('aborted', `${what} was cancelled`, { cause: reason }),
  timeout: (what: string, ms: number, details: Record<string, unknown> = {}) =>
    new FlotillaError('timeout', `${what} exceeded ${ms} ms`, { details: { limitMs: ms, ...details } }),
  /**
   * An error thrown by the user's own code (an agent's prompt()/result(), a step function, a
   * template) becomes `userCode`: never retried, never a server outage. A FlotillaError the
   * code threw on purpose keeps its kind.
   */
  userCode: (error: unknown, where: { fn: string; step: string; agent?: string }): FlotillaError => {
    if (FlotillaError.is(error)) return error;
    const what = `${where.fn}${where.agent === undefined ? '' : ` of agent "${where.agent}"`} in step "${where.step}"`;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new FlotillaError('userCode', `${what} threw ${message}`, {
      cause: error,
      details: { function: where.fn, step: where.step, ...(where.agent === undefined ? {} : { agent: where.agent }) },
    });
  },
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
