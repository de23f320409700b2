import { closestName } from '@flotilla/core';
import { parseReference, referencesIn, wholeReference } from '../compile/reference';

/**
 * What the validator knows about a value before the chain runs: a JSON Schema fragment
 * (from an agent's output or input schema, or inferred from a literal), or undefined
 * when nothing is known (checks are then skipped, never guessed).
 */
export type StaticType = Record<string, unknown> | undefined;

export const STRING: StaticType = { type: 'string' };
export const INTEGER: StaticType = { type: 'integer' };

export function arrayOf(items: StaticType): StaticType {
  return items === undefined ? { type: 'array' } : { type: 'array', items };
}

export function objectOf(properties: Record<string, StaticType>): StaticType {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties)) props[k] = v ?? {};
  return { type: 'object', properties: props, required: Object.keys(properties), additionalProperties: false };
}

/** The type at `path` below `t`, or an error saying which segment does not exist. */
export function typeAt(t: StaticType, path: readonly (string | number)[], label: string): { type: StaticType } | { error: string; hint?: string } {
  let current = t;
  let where = label;
  for (const seg of path) {
    if (current === undefined || typeof current['type'] !== 'string') return { type: undefined };
    const kind = current['type'];
    if (kind === 'object') {
      const props = current['properties'] as Record<string, StaticType> | undefined;
      if (!props) return { type: undefined };
      if (typeof seg === 'number' || !Object.hasOwn(props, seg)) {
        const names = Object.keys(props);
        const guess = typeof seg === 'string' ? closestName(seg, names) : undefined;
        return { error: `${where} has no property "${seg}"; it has ${names.map((n) => `"${n}"`).join(', ') || 'none'}`, hint: guess ? `did you mean ${where}.${guess}?` : undefined };
      }
      current = emptyToUndefined(props[seg]);
    } else if (kind === 'array') {
      if (typeof seg !== 'number') return { error: `${where} is a list; "${seg}" is not an index`, hint: `use ${where}.0.${seg}, or fan out over ${where}` };
      current = emptyToUndefined(current['items'] as StaticType);
    } else {
      return { error: `${where} is a ${kind}; it has no "${seg}"` };
    }
    where = `${where}.${seg}`;
  }
  return { type: current };
}

function emptyToUndefined(t: StaticType): StaticType {
  return t && Object.keys(t).length > 0 ? t : undefined;
}

/** The type of a value template, given the type of each reference. */
export function inferValueType(template: unknown, refType: (text: string) => StaticType): StaticType {
  if (typeof template === 'string') {
    const whole = wholeReference(template);
    if (whole !== undefined) return refType(whole);
    for (const r of referencesIn(template)) refType(r.text);
    return STRING;
  }
  if (typeof template === 'number') return Number.isInteger(template) ? INTEGER : { type: 'number' };
  if (typeof template === 'boolean') return { type: 'boolean' };
  if (template === null) return { type: 'null' };
  if (Array.isArray(template)) {
    const items = template.map((t) => inferValueType(t, refType));
    return arrayOf(items.length > 0 && items.every((i) => JSON.stringify(i) === JSON.stringify(items[0])) ? items[0] : undefined);
  }
  if (typeof template === 'object') {
    const props: Record<string, StaticType> = {};
    for (const [k, v] of Object.entries(template as Record<string, unknown>)) props[k] = inferValueType(v, refType);
    return objectOf(props);
  }
  return undefined;
}

/** Where `actual` cannot be what `expected` asks for: missing required properties, other types. */
export function mismatches(actual: StaticType, expected: StaticType, where: string): string[] {
  if (!actual || !expected) return [];
  const a = actual['type'];
  const e = expected['type'];
  if (typeof a !== 'string' || typeof e !== 'string') return [];
  if (a !== e && !(a === 'integer' && e === 'number')) return [`${where}: expected ${e}, got ${a}`];
  if (e === 'object') {
    const out: string[] = [];
    const aProps = (actual['properties'] ?? {}) as Record<string, StaticType>;
    const eProps = (expected['properties'] ?? {}) as Record<string, StaticType>;
    for (const name of (expected['required'] as string[] | undefined) ?? []) {
      if (actual['properties'] && !Object.hasOwn(aProps, name)) out.push(`${where}: missing required property "${name}"`);
    }
    for (const [name, t] of Object.entries(eProps)) {
      if (Object.hasOwn(aProps, name)) out.push(...mismatches(emptyToUndefined(aProps[name]), emptyToUndefined(t), `${where}.${name}`));
    }
    if (expected['additionalProperties'] === false && actual['properties']) {
      for (const name of Object.keys(aProps)) if (!Object.hasOwn(eProps, name)) out.push(`${where}: property "${name}" is not allowed`);
    }
    return out;
  }
  if (e === 'array') return mismatches(emptyToUndefined(actual['items'] as StaticType), emptyToUndefined(expected['items'] as StaticType), `${where}[]`);
  return [];
}

/** Checks a reference's syntax; the parsed form or the error. */
export { parseReference };
