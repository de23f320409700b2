import { type OutputSchema, jsonSchema } from '@flotilla/core';

/**
 * A JSON Schema for data that is never sent to a model (a run input, an agent's call
 * input): any JSON Schema ajv knows, optional properties included; the portable subset
 * is only for output schemas, which constrain generation.
 */
export function dataSchema(schema: Record<string, unknown>, where: string): OutputSchema<unknown> {
  return jsonSchema(schema, where, { portable: false });
}
