import Ajv from 'ajv';
import fc from 'fast-check';
import { portableSchemaViolations } from '@flotilla/core';
import { valueForSchema } from './schema-value.generator';

type Schema = Record<string, unknown>;

const boundsPair = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 })).map(([lo, span]) => [lo, lo + span] as const);

const leaf: fc.Arbitrary<Schema> = fc.oneof(
  fc.constant({ type: 'boolean' }),
  fc.constant({ type: 'null' }),
  fc.record({ type: fc.constant('boolean'), const: fc.boolean() }),
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 30 }), fc.boolean()).map(([min, span, withMax]) =>
    withMax ? { type: 'string', minLength: min, maxLength: min + span } : { type: 'string', minLength: min },
  ),
  fc.uniqueArray(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((e) => ({ type: 'string', enum: e })),
  fc.string({ maxLength: 8 }).map((c) => ({ type: 'string', const: c })),
  fc.tuple(boundsPair, fc.constantFrom('both', 'min', 'max', 'none')).map(([[lo, hi], which]) => ({
    type: 'integer',
    ...(which === 'both' || which === 'min' ? { minimum: lo } : {}),
    ...(which === 'both' || which === 'max' ? { maximum: hi } : {}),
  })),
  fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d + 0), fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d + 0), fc.constantFrom('both', 'min', 'max', 'none')).map(
    ([lo, span, which]) => ({
      type: 'number',
      ...(which === 'both' || which === 'min' ? { minimum: lo } : {}),
      ...(which === 'both' || which === 'max' ? { maximum: lo + span } : {}),
    }),
  ),
  fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 4 }).map((e) => ({ type: 'integer', enum: e })),
  fc.uniqueArray(fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }).map((d) => d + 0), { minLength: 1, maxLength: 3, comparator: 'SameValueZero' }).map((e) => ({ type: 'number', enum: e })),
  fc.integer({ min: -20, max: 20 }).map((n) => ({ type: 'number', const: n })),
  // Fractional bounds on integers, always with at least one integer inside.
  fc.tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 5 })).map(([n, span]) => ({ type: 'integer', minimum: n - 0.5, maximum: n + span - 0.5 })),
);

/** Adds the annotation keywords every kind allows. */
const annotated = (a: fc.Arbitrary<Schema>): fc.Arbitrary<Schema> =>
  fc.tuple(a, fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), fc.option(fc.string({ maxLength: 10 }), { nil: undefined })).map(([s, description, title]) => ({
    ...s,
    ...(description === undefined ? {} : { description }),
    ...(title === undefined ? {} : { title }),
  }));

const { schema } = fc.letrec<{ schema: Schema; object: Schema; array: Schema; anyOf: Schema }>((tie) => ({
  schema: annotated(fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array'), tie('anyOf'))),
  object: fc
    .dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'), tie('schema'), { maxKeys: 4 })
    .map((props) => ({ type: 'object', additionalProperties: false, required: Object.keys(props), properties: props })),
  array: fc.tuple(tie('schema'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([items, min, span, bounded]) => ({
    type: 'array',
    items,
    minItems: min,
    ...(bounded ? { maxItems: min + span } : {}),
  })),
  anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
}));

describe('valueForSchema', () => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });

  it('generates only portable schemas here (the generator under test covers the whole subset)', () => {
    fc.assert(fc.property(schema, (s) => portableSchemaViolations(s).length === 0), { numRuns: 200 });
  });

  it('produces a conforming value for any schema in the portable subset', () => {
    fc.assert(
      fc.property(schema, fc.string({ maxLength: 10 }), (s, seed) => {
        const validate = ajv.compile(s);
        const value = valueForSchema(s, seed);
        if (!validate(value)) throw new Error(`${JSON.stringify(value)} fails ${JSON.stringify(s)}: ${ajv.errorsText(validate.errors)}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('is deterministic for a schema and seed, and survives a JSON round trip', () => {
    fc.assert(
      fc.property(schema, fc.string({ maxLength: 10 }), (s, seed) => {
        const a = valueForSchema(s, seed);
        expect(valueForSchema(s, seed)).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  it('fills a typical agent schema', () => {
    const s = {
      type: 'object',
      additionalProperties: false,
      required: ['verdict', 'issues'],
      properties: {
        verdict: { type: 'string', enum: ['approve', 'revise'] },
        issues: { type: 'array', items: { type: 'string', minLength: 5 }, minItems: 1, maxItems: 3 },
      },
    };
    const v = valueForSchema(s, 'x') as { verdict: string; issues: string[] };
    expect(['approve', 'revise']).toContain(v.verdict);
    expect(v.issues.length).toBeGreaterThanOrEqual(1);
  });
});
