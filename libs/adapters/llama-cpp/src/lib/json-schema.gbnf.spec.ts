import Ajv from 'ajv';
import { type ChatRequest, type FinalEvent, FlotillaError, type JsonSchema } from '@flotilla/core';
import { CONTRACT_SCHEMA, collectChat } from '@flotilla/core/testing';
// The agents' real schemas, to prove the grammar holds for them (a spec-only import).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PLAN, VERDICT } from '@flotilla/agents';
import { type SyntheticModels, writeSyntheticModels } from '../testing/synthetic-models';
import { gbnfLiteral, portableSchemaGbnf } from './json-schema.gbnf';
import { LlamaCppModelClient } from './llama-cpp.model-client';

const EDGE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['wide', 'negative', 'unit', 'temp', 'below', 'free', 'fixed', 'pair', 'none', 'either', 'empty', 'quote'],
  properties: {
    wide: { type: 'integer', minimum: -5000, maximum: 5000 },
    negative: { type: 'integer', minimum: -3, maximum: -1 },
    unit: { type: 'number', minimum: 0, maximum: 1 },
    temp: { type: 'number', minimum: -40, maximum: 60 },
    below: { type: 'number', minimum: -1000, maximum: -2 },
    free: { type: 'number' },
    fixed: { type: 'string', minLength: 2, maxLength: 2 },
    pair: { type: 'array', items: { type: 'boolean' }, minItems: 2, maxItems: 2 },
    none: { type: 'array', items: { type: 'null' }, maxItems: 0 },
    either: { anyOf: [{ type: 'integer', enum: [7, 8] }, { type: 'string', const: 'x"y' }] },
    empty: { type: 'object', additionalProperties: false, properties: {} },
    quote: { type: 'string', enum: ['a\\b', 'line\nbreak'] },
  },
};

describe('portableSchemaGbnf', () => {
  it('escapes literals the way GBNF reads them', () => {
    expect(gbnfLiteral('a"b\\c\n\x7f')).toBe('"a\\"b\\\\c\\x0a\\x7f"');
  });

  it('enumerates small integer ranges, so the grammar itself holds the bounds', () => {
    const g = portableSchemaGbnf({ type: 'integer', minimum: 1, maximum: 3 })!;
    expect(g).toContain('"1" | "2" | "3"');
  });

  it('leaves schemas outside the portable subset to node-llama-cpp (undefined)', () => {
    expect(portableSchemaGbnf({ type: 'object', properties: { a: { type: 'string' } } })).toBeUndefined();
    expect(portableSchemaGbnf({ type: 'string', pattern: '^a' })).toBeUndefined();
  });
});

describe('grammar-constrained structured output on the engine', () => {
  let models: SyntheticModels;
  let client: LlamaCppModelClient;
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });

  beforeAll(async () => {
    // A bias on '"' ends free strings after a few characters: the plan's bounds (8 steps of up to 1,360 characters)
    // exceed a slot's room, and six replies sampled in parallel batches are not reproducible (batch composition
    // changes the sums), so without it a long sample would now and then end at the token limit, not at the grammar's end.
    models = await writeSyntheticModels({ json: { seed: 21, stopBias: 0, contextLength: 4096, biases: { '"': 3 } } });
    client = new LlamaCppModelClient({ models: { json: { path: models.path('json'), slots: 4 } } });
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await models?.remove();
  });

  const ask = (format: JsonSchema, seed: number): ChatRequest => ({
    model: 'json',
    messages: [{ role: 'user', content: 'Reply in JSON.' }],
    format,
    options: { seed, temperature: 1 },
  });

  const cases: [string, JsonSchema][] = [
    ['the contract schema', CONTRACT_SCHEMA],
    ["the manager's plan", PLAN.jsonSchema],
    ["the reviewer's verdict", VERDICT.jsonSchema],
    ['edge cases (wide and negative ranges, fractions, fixed lengths, escapes)', EDGE_SCHEMA],
  ];

  it.each(cases)('%s: every sampled reply parses and validates', async (_name, schema) => {
    const validate = ajv.compile(schema);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => collectChat(client.chat(ask(schema, 100 + i)), 30_000)));
    for (const c of results) {
      expect(c.error).toBeUndefined();
      const f = c.events.find((e): e is FinalEvent => e.type === 'final')!;
      expect(f.finishReason).toBe('stop');
      const value: unknown = JSON.parse(f.message.content);
      validate(value);
      expect(validate.errors ?? []).toEqual([]);
    }
  }, 60_000);

  it('outside the subset (node-llama-cpp grammar, bounds not enforced) a reply that parses but breaks the schema is badOutput', async () => {
    // Not portable: no additionalProperties:false. node-llama-cpp's grammar ignores minimum/maximum.
    const loose: JsonSchema = { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 2 } }, required: ['n'] };
    const validate = ajv.compile(loose);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => collectChat(client.chat(ask(loose, 200 + i)), 30_000)));
    let violations = 0;
    for (const c of results) {
      if (c.error) {
        expect(FlotillaError.is(c.error, 'badOutput')).toBe(true);
        expect((c.error as FlotillaError).retryable).toBe(true);
        const raw = (c.error as FlotillaError).details['raw'] as string;
        expect(validate(JSON.parse(raw))).toBe(false);
        violations++;
      } else {
        const f = c.events.find((e): e is FinalEvent => e.type === 'final')!;
        expect(validate(JSON.parse(f.message.content))).toBe(true);
      }
    }
    expect(violations).toBeGreaterThan(0);
  }, 60_000);

  it('a format that is not a valid schema is badRequest', async () => {
    const c = await collectChat(client.chat(ask({ type: 'object', properties: { a: { type: 'nonsense' } }, required: ['a'] }, 1)));
    expect(FlotillaError.is(c.error, 'badRequest')).toBe(true);
  });
});
