import { FlotillaError } from '../errors/flotilla-error';

/**
 * Throws unless `value` comes back from JSON as it went in (so a resumed run sees exactly
 * what the first one did): plain objects, arrays without holes or `undefined`, strings,
 * finite numbers, booleans, null. A property whose value is `undefined` is allowed (JSON
 * leaves it out, and reading it gives `undefined` again). Returns the JSON text.
 */
export function toJournalJson(value: unknown, what: { step: string; agent?: string }): string {
  const problem = jsonProblem(value, '', new Set());
  if (problem) {
    throw new FlotillaError(
      'userCode',
      `step "${what.step}"${what.agent === undefined ? '' : ` (agent "${what.agent}")`} gave a value the run journal cannot store: ${problem}; a journaled value must come back from JSON unchanged (return plain data from result())`,
      { details: { reason: 'notJson', step: what.step, ...(what.agent === undefined ? {} : { agent: what.agent }) } },
    );
  }
  return JSON.stringify(value);
}

function jsonProblem(v: unknown, path: string, seen: Set<object>): string | undefined {
  const at = path || 'the value';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(v) ? undefined : `${at} is ${v}`;
    case 'object': {
      if (v === null) return undefined;
      if (seen.has(v)) return `${at} refers to itself`;
      if (Array.isArray(v)) {
        seen.add(v);
        for (let i = 0; i < v.length; i++) {
          if (!(i in v) || v[i] === undefined) return `${path}[${i}] is undefined`;
          const p = jsonProblem(v[i], `${path}[${i}]`, seen);
          if (p) return p;
        }
        seen.delete(v);
        return undefined;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return `${at} is ${describeObject(v)}`;
      seen.add(v);
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        const p = jsonProblem(item, path ? `${path}.${key}` : key, seen);
        if (p) return p;
      }
      seen.delete(v);
      return undefined;
    }
    default:
      return `${at} is ${v === undefined ? 'undefined' : `a ${typeof v}`}`;
  }
}

function describeObject(v: object): string {
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name ? `a ${name}` : 'an object with a prototype';
}
