import { type JsonSchema, portableSchemaViolations } from '@flotilla/core';
import { naturalRangeGbnf } from './integer-range.gbnf';

type Schema = Record<string, unknown>;

/** Integer ranges up to this many values become a plain list of literals. */
const MAX_ENUMERATED_RANGE = 256;
/** Digits after the point in generated numbers (a model left free writes until the context ends). */
const MAX_FRACTION_DIGITS = 6;
/** Digits of an unbounded integer part. */
const MAX_INTEGER_DIGITS = 16;

const CHAR_RULE = 'char ::= [^"\\\\\\x00-\\x1F\\x7F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})';

/** A GBNF string literal matching exactly `text`. */
export function gbnfLiteral(text: string): string {
  let body = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === '\\') body += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += c;
  }
  return `"${body}"`;
}

/**
 * A GBNF grammar (llama.cpp's grammar format) for compact JSON that conforms to `schema`,
 * for schemas inside Flotilla's portable subset; undefined outside it. Unlike a generic
 * JSON-Schema grammar it also enforces `minimum`/`maximum` where both are given (integers
 * always, numbers when the bounds are integers) and never emits exponents.
 * Where bounds cannot be enforced the output still needs validating after parsing.
 */
export function portableSchemaGbnf(schema: JsonSchema): string | undefined {
  if (portableSchemaViolations(schema).length > 0) return undefined;
  const g = new GbnfRules();
  const root = g.value(schema);
  return [`root ::= ${root}`, ...g.lines(), CHAR_RULE].join('\n');
}

class GbnfRules {
  private readonly byBody = new Map<string, string>();

  lines(): string[] {
    return [...this.byBody].map(([body, name]) => `${name} ::= ${body}`);
  }

  /** A named rule for `body`, shared between identical bodies. */
  private rule(body: string): string {
    let name = this.byBody.get(body);
    if (!name) {
      name = `r${this.byBody.size + 1}`;
      this.byBody.set(body, name);
    }
    return name;
  }

  value(s: Schema): string {
    if ('const' in s) return gbnfLiteral(JSON.stringify(s['const']));
    if (Array.isArray(s['enum'])) return this.rule(s['enum'].map((v) => gbnfLiteral(JSON.stringify(v))).join(' | '));
    if (Array.isArray(s['anyOf'])) return this.rule((s['anyOf'] as Schema[]).map((c) => this.value(c)).join(' | '));
    switch (s['type']) {
      case 'object':
        return this.object(s);
      case 'array':
        return this.array(s);
      case 'string':
        return this.string(s);
      case 'integer':
        return this.integer(s);
      case 'number':
        return this.number(s);
      case 'boolean':
        return this.rule('"true" | "false"');
      default:
        return '"null"';
    }
  }

  private object(s: Schema): string {
    const props = Object.entries((s['properties'] ?? {}) as Record<string, Schema>);
    if (props.length === 0) return '"{}"';
    const parts = props.map(([key, child], i) => `${gbnfLiteral(`${i === 0 ? '{' : ','}${JSON.stringify(key)}:`)} ${this.value(child)}`);
    return this.rule(`${parts.join(' ')} "}"`);
  }

  private array(s: Schema): string {
    const min = typeof s['minItems'] === 'number' ? s['minItems'] : 0;
    const max = typeof s['maxItems'] === 'number' ? s['maxItems'] : undefined;
    if (max === 0) return '"[]"';
    const item = this.value(s['items'] as Schema);
    const rest = (lo: number) => (max === 1 ? '' : ` ("," ${item})${repeat(lo, max === undefined ? undefined : max - 1)}`);
    if (min === 0) return this.rule(`"[" (${item}${rest(0)})? "]"`);
    return this.rule(`"[" ${item}${rest(min - 1)} "]"`);
  }

  private string(s: Schema): string {
    const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
    const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : undefined;
    if (max === 0) return gbnfLiteral('""');
    return this.rule(`"\\"" char${repeat(min, max)} "\\""`);
  }

  private integer(s: Schema): string {
    const { lo, hi } = bounds(s);
    if (lo === undefined || hi === undefined) return this.rule(this.integerDigits(lo, hi));
    const from = Math.ceil(lo);
    const to = Math.floor(hi);
    if (from > to) return '"0"';
    if (to - from + 1 <= MAX_ENUMERATED_RANGE) return this.rule(range(from, to).map(String).map(gbnfLiteral).join(' | '));
    const alts: string[] = [];
    if (to >= 0) alts.push(naturalRangeGbnf(Math.max(from, 0), to));
    if (from < 0) alts.push(`"-" (${naturalRangeGbnf(Math.max(1, -to), -from)})`);
    return this.rule(alts.join(' | '));
  }

  /**
   * Between integer bounds the grammar holds them: an integer part in range takes any
   * fraction, the bounds themselves are written bare. Other bounds are checked after parsing.
   */
  private number(s: Schema): string {
    const { lo, hi } = bounds(s);
    const fraction = `("." [0-9]${repeat(1, MAX_FRACTION_DIGITS)})?`;
    if (lo === undefined || hi === undefined || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
      return this.rule(`${this.integerDigits(lo, hi)} ${fraction}`);
    }
    const alts: string[] = [];
    if (hi >= 0) {
      const from = Math.max(lo, 0);
      if (from <= hi - 1) alts.push(`(${naturalRangeGbnf(from, hi - 1)}) ${fraction}`);
      alts.push(gbnfLiteral(String(hi)));
    }
    if (lo < 0) {
      const from = hi < 0 ? -hi : 0;
      if (from <= -lo - 1) alts.push(`"-" (${naturalRangeGbnf(from, -lo - 1)}) ${fraction}`);
      alts.push(gbnfLiteral(String(lo)));
    }
    return this.rule(alts.join(' | '));
  }

  /** Integer digits with a sign only where negatives are allowed, and no more digits than the bounds have. */
  private integerDigits(lo: number | undefined, hi: number | undefined): string {
    const sign = lo === undefined || lo < 0 ? '"-"? ' : '';
    const widest = lo !== undefined && hi !== undefined ? String(Math.floor(Math.max(Math.abs(lo), Math.abs(hi)))).length : MAX_INTEGER_DIGITS;
    return `${sign}("0" | [1-9]${widest > 1 ? ` [0-9]${repeat(0, widest - 1)}` : ''})`;
  }
}

function bounds(s: Schema): { lo?: number; hi?: number } {
  return {
    lo: typeof s['minimum'] === 'number' ? s['minimum'] : undefined,
    hi: typeof s['maximum'] === 'number' ? s['maximum'] : undefined,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** GBNF repetition suffix for lo..hi occurrences (hi undefined: unbounded). */
function repeat(lo: number, hi: number | undefined): string {
  if (hi === undefined) return lo === 0 ? '*' : `{${lo},}`;
  if (lo === hi) return `{${lo}}`;
  return `{${lo},${hi}}`;
}
