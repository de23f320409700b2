import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../model/chat-request';
import { FlotillaError } from '../errors/flotilla-error';
import type { OutputSchema, ParseResult } from './output-schema';
import { assertPortableSchema } from './portable-subset';
import { describeValue } from './zod-issue';

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
  // Invalid before unportable: `type: objekt` is a mistake to fix, not a feature some servers lack.
  if (!validSchema(schema)) {
    throw new FlotillaError('config', `${where}: invalid JSON Schema: ${formatSchemaErrors(schema, lenientAjv.errors ?? [])}`, { details: { where } });
  }
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

function validSchema(schema: JsonSchema): boolean {
  try {
    return lenientAjv.validateSchema(schema) as boolean;
  } catch {
    // An unknown $schema draft: compile() below says so.
    return true;
  }
}

/** Meta-schema errors, worded for the schema's author: `#/type: must be one of object, array, ...`. */
function formatSchemaErrors(schema: JsonSchema, errors: readonly ErrorObject[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    const at = `#${e.instancePath}`;
    // `type: objekt` fails both "one of the type names" and "a list of them": say the first.
    if (seen.has(at)) continue;
    seen.add(at);
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const got = describeValue(e.instancePath.split('/').slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], schema));
    out.push(`${at} ${allowed ? `must be one of ${allowed.join(', ')}` : (e.message ?? 'is invalid')}, got ${got}`);
  }
  return out.join('; ');
}

export function formatAjvErrors(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
}
