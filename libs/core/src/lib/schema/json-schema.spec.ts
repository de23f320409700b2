import { z } from 'zod';
import { FlotillaError } from '../errors/flotilla-error';
import { jsonSchema } from './json-schema';
import { expectedFromZodIssue } from './zod-issue';

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
};

describe('jsonSchema', () => {
  it('an invalid schema is said to be invalid, with the value, before any portability problem', () => {
    expect(message(() => jsonSchema({ type: 'objekt' }, 'out'))).toBe('out: invalid JSON Schema: #/type must be one of array, boolean, integer, null, number, object, string, got "objekt"');
    expect(message(() => jsonSchema({ type: 'object', properties: { text: { type: 'string' } }, required: 'text' } as never, 'out'))).toBe('out: invalid JSON Schema: #/required must be array, got "text"');
    expect(message(() => jsonSchema({ type: 'objekt' }, 'in', { portable: false }))).toContain('invalid JSON Schema');
  });

  it('a valid schema outside the portable subset is a portability problem', () => {
    const m = message(() => jsonSchema({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, 'out'));
    expect(m).toBe('out: schema leaves the portable subset: #: objects need "additionalProperties": false');
  });
});

describe('expectedFromZodIssue', () => {
  const issue = (schema: z.ZodType, value: unknown) => schema.safeParse(value, { reportInput: true }).error!.issues[0]!;
  it('says what was expected and what was given', () => {
    expect(expectedFromZodIssue(issue(z.int(), 1.5))).toBe('a whole number, got 1.5');
    expect(expectedFromZodIssue(issue(z.number(), 'two'))).toBe('a number, got "two"');
    expect(expectedFromZodIssue(issue(z.object({ a: z.string() }), {}))).toBe('a string (required)');
    expect(expectedFromZodIssue(issue(z.number().min(1), -5))).toBe('a number >= 1, got -5');
    expect(expectedFromZodIssue(issue(z.enum(['a', 'b']), 'c'))).toBe('one of "a", "b", got "c"');
    expect(expectedFromZodIssue(issue(z.array(z.string()), 'x'))).toBe('a list, got "x"');
    expect(expectedFromZodIssue(issue(z.string().regex(/^[A-Z_]+$/, 'an environment variable name'), 'sk-secret'), { hideInput: true })).toBe('an environment variable name');
  });
});
