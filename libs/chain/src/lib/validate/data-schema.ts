import Ajv, { type ValidateFunction } from 'ajv';
import { FlotillaError, type OutputSchema, formatAjvErrors } from '@flotilla/core';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });

/**
 * A JSON Schema for data that is never sent to a model (a run input, an agent's call
 * input): any JSON Schema ajv knows, optional properties included; the portable subset
 * is only for output schemas, which constrain generation.
 */
export function dataSchema(schema: Record<string, unknown>, where: string): OutputSchema<unknown> {
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    throw new FlotillaError('config', `${where}: invalid JSON Schema: ${(cause as Error).message}`, { cause, details: { where } });
  }
  return {
    jsonSchema: schema,
    parse: (value) => (validate(value) ? { ok: true, value } : { ok: false, error: formatAjvErrors(validate.errors ?? []) }),
  };
}
