import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../model/chat-request';
import { FlotillaError } from '../errors/flotilla-error';
import type { OutputSchema, ParseResult } from './output-schema';
import { assertPortableSchema } from './portable-subset';

/** For output schemas (sent to models): strict, inside the portable subset. */
const strictAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
/** For data schemas (run inputs, call inputs): any JSON Schema ajv knows, unknown keywords ignored. */
const lenientAjv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });

export interface JsonSchemaOptions {
  /**
   * Check the schema against the portable subset (every output schema must be in it: it
   * constrains generation). Data that is never sent to a model (a run input) may use any
   * JSON Schema. @default true
   */
  portable?: boolean;
}

/**
 * A schema that arrives as data (chain files, prompt files): compiled by ajv and, for
 * output schemas, checked against the portable subset. `where` names the source in every error.
 */
export function jsonSchema<T = unknown>(schema: JsonSchema, where = 'JSON Schema', options: JsonSchemaOptions = {}): OutputSchema<T> {
  const portable = options.portable ?? true;
  if (portable) assertPortableSchema(schema, where);
  let validate: ValidateFunction;
  try {
    validate = (portable ? strictAjv : lenientAjv).compile(schema);
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
