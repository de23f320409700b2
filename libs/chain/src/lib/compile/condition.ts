import type { ConditionDecl } from '../parse/chain-file.schema';
import { type RefContext, type ValueFn, compileValue } from './reference';

export type ConditionFn = (ctx: RefContext) => boolean;

/** Compiles a condition: a reference (truthy), a boolean, or not / all / any / equals. No expressions. */
export function compileCondition(c: ConditionDecl): ConditionFn {
  if (typeof c === 'boolean') return () => c;
  if (typeof c === 'string') {
    const value = compileValue(c);
    return (ctx) => truthy(value(ctx));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (ctx) => !inner(ctx);
  }
  if ('all' in c) {
    const all = c.all.map(compileCondition);
    return (ctx) => all.every((f) => f(ctx));
  }
  if ('any' in c) {
    const any = c.any.map(compileCondition);
    return (ctx) => any.some((f) => f(ctx));
  }
  const [a, b]: [ValueFn, ValueFn] = [compileValue(c.equals[0]), compileValue(c.equals[1])];
  return (ctx) => deepEqual(a(ctx), b(ctx));
}

/** JavaScript truthiness, except that an empty list is false (as in templates). */
function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
