type Schema = Record<string, unknown>;

const WORDS = ['harbour', 'anchor', 'tide', 'keel', 'mast', 'sail', 'buoy', 'reef', 'gale', 'pier', 'dock', 'hull'];

/** Deterministic 32-bit PRNG (mulberry32) seeded from a string. */
function prng(seed: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A value that conforms to `schema`, for any schema in the portable subset (type or anyOf;
 * properties/required/additionalProperties, items/minItems/maxItems, enum/const,
 * minLength/maxLength, minimum/maximum). Deterministic: the same schema and seed give the
 * same value. Outside the subset it does its best (first type of a type list, null for {}).
 */
export function valueForSchema(schema: unknown, seed = ''): unknown {
  return generate(schema, prng(seed), 0);
}

function generate(node: unknown, rand: () => number, depth: number): unknown {
  if (typeof node !== 'object' || node === null || depth > 32) return null;
  const s = node as Schema;
  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][Math.floor(rand() * s['enum'].length)];
  if (Array.isArray(s['anyOf']) && s['anyOf'].length > 0) return generate(s['anyOf'][Math.floor(rand() * s['anyOf'].length)], rand, depth + 1);
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  switch (type) {
    case 'object':
      return objectValue(s, rand, depth);
    case 'array':
      return arrayValue(s, rand, depth);
    case 'string':
      return stringValue(s, rand);
    case 'integer':
      return integerValue(s, rand);
    case 'number':
      return numberValue(s, rand);
    case 'boolean':
      return rand() < 0.5;
    default:
      return null;
  }
}

function objectValue(s: Schema, rand: () => number, depth: number): Record<string, unknown> {
  const props = (s['properties'] ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(props)) out[key] = generate(child, rand, depth + 1);
  return out;
}

function arrayValue(s: Schema, rand: () => number, depth: number): unknown[] {
  const min = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
  const max = typeof s['maxItems'] === 'number' ? s['maxItems'] : min + 3;
  const n = Math.min(max, min + Math.floor(rand() * (Math.min(max, min + 3) - min + 1)));
  return Array.from({ length: Math.max(0, n) }, () => generate(s['items'], rand, depth + 1));
}

function stringValue(s: Schema, rand: () => number): string {
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : Math.max(min, 24);
  let text = WORDS[Math.floor(rand() * WORDS.length)]!;
  while (text.length < min) text += ` ${WORDS[Math.floor(rand() * WORDS.length)]!}`;
  return text.slice(0, Math.max(min, Math.min(max, text.length)));
}

function bounds(s: Schema): { lo: number; hi: number } {
  const lo = typeof s['minimum'] === 'number' ? s['minimum'] : typeof s['maximum'] === 'number' ? Math.min(0, s['maximum']) - 100 : 0;
  const hi = typeof s['maximum'] === 'number' ? s['maximum'] : lo + 100;
  return { lo, hi };
}

function integerValue(s: Schema, rand: () => number): number {
  const { lo, hi } = bounds(s);
  const a = Math.ceil(lo);
  const b = Math.floor(hi);
  if (b < a) return a + 0;
  return a + Math.floor(rand() * (b - a + 1)) + 0;
}

function numberValue(s: Schema, rand: () => number): number {
  const { lo, hi } = bounds(s);
  if (hi <= lo) return lo;
  // Two decimals keep it readable; clamp guards the rounding at the edges.
  const v = Math.round((lo + rand() * (hi - lo)) * 100) / 100;
  // + 0 turns -0 into 0: JSON has no negative zero.
  return Math.min(hi, Math.max(lo, v)) + 0;
}
