import { z } from 'zod';
import type { OutputSchema, ParseResult } from './output-schema';
import { assertPortableSchema } from './portable-subset';

/**
 * A schema declared in code: zod gives the TypeScript type and the validator, and its
 * JSON Schema output is what the model is sent. Checked once against the portable subset.
 */
export function zodSchema<S extends z.ZodType>(schema: S, where = 'zod schema'): OutputSchema<z.output<S>> {
  const { $schema: _drop, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<
    string,
    unknown
  >;
  assertPortableSchema(jsonSchema, where);
  return {
    jsonSchema,
    parse(value: unknown): ParseResult<z.output<S>> {
      const result = schema.safeParse(value);
      if (result.success) return { ok: true, value: result.data };
      return { ok: false, error: z.prettifyError(result.error) };
    },
  };
}
