import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../model/chat-request';
import { FlotillaError } from '../errors/flotilla-error';
import type { OutputSchema, ParseResult } from './output-schema';
import { assertPortableSchema } from './portable-subset';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

/**
 * A schema that arrives as data (chain files, prompt files): compiled by ajv, checked
 * against the portable subset. `where` names the source in every error.
 */
export function jsonSchema<T = unknown>(schema: JsonSchema, where = 'JSON Schema'): OutputSchema<T> {
  assertPortableSchema(schema, where);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    throw new FlotillaError('config', `${where}: invalid JSON Schema: ${(cause as Error).message}`, { cause, details: { where } });
  }
  return {
    jsonSchema: schema,
    parse(value: unknown): ParseResult<T> {
      if (validate(value)) return { ok: true, value: value as T };
      return { ok: false, error: formatAjvErrors(validate.errors ?? []) };
    },
  };
}

export function formatAjvErrors(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
}
