import type { z } from 'zod';

export interface ZodIssueTextOptions {
  /** Leave the given value out (a field that may hold a pasted secret). @default false */
  hideInput?: boolean;
}

/**
 * What a zod issue expected and what was given, in words for the person who wrote the
 * file: `a whole number, got 1.5`, `one of "ollama", "openai", got "olama"`. Parse with
 * `{ reportInput: true }` so that issues carry the value. Chain files and fleet files
 * word their problems with this one function.
 */
export function expectedFromZodIssue(issue: z.core.$ZodIssue, options: ZodIssueTextOptions = {}): string {
  const input = 'input' in issue ? issue.input : undefined;
  const got = input !== undefined && !options.hideInput ? `, got ${describeValue(input)}` : '';
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? `${typeName(issue.expected)} (required)` : `${typeName(issue.expected)}${got}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `${JSON.stringify(issue.values[0])}${got}` : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set') return `at least ${String(issue.minimum)} item(s)${got}`;
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `a non-empty string${got}` : `a string of at least ${String(issue.minimum)} characters${got}`;
      return `a number ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${got}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return `at most ${String(issue.maximum)} item(s)${got}`;
      if (issue.origin === 'string') return `a string of at most ${String(issue.maximum)} characters${got}`;
      return `a number ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${got}`;
    case 'unrecognized_keys':
      return `no key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (unknown; check the spelling)`;
    case 'invalid_format':
      if (issue.format === 'url') return `an absolute URL such as http://127.0.0.1:11434${got}`;
      return issue.format === 'regex' ? `${issue.message}${got}` : `${issue.format}${got}`;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** A value as a message shows it: short, and never a whole object. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

function typeName(type: string): string {
  switch (type) {
    case 'int':
      return 'a whole number';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  }
}
