import { z } from 'zod';
import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../model/chat-request';
import type { ToolDefinition } from '../model/chat-message';
import type { ParseResult } from '../schema/output-schema';
import { formatAjvErrors } from '../schema/json-schema';
import { Errors } from '../errors/errors';
import { FlotillaError } from '../errors/flotilla-error';

/** A tool's own deadline when it declares none. @default 30 s */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
/** Characters of a serialised tool result sent back to the model at most. */
export const DEFAULT_TOOL_RESULT_CHARS = 16_000;

/** What a tool's function receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the tool's timeout passes, the step's loop deadline passes or the run is cancelled. */
  readonly signal: AbortSignal;
  /** The agent that called the tool. */
  readonly agent: string;
  /** The calling step's key. */
  readonly key: string;
  /** The call id the server gave, where it gave one. */
  readonly callId?: string;
}

/**
 * A tool an agent may call: a name, a description, the schema of its arguments (zod in code,
 * JSON Schema from files or an MCP server; sent as a tool definition, so it need not be in the
 * portable subset) and the function that runs it. Its arguments are validated before it runs.
 */
export interface Tool<A = unknown, R = unknown> {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments object, as sent to the model. */
  readonly parameters: JsonSchema;
  /** Checks (and, for zod, transforms) the arguments the model wrote: the value `run` receives. */
  parseArgs(args: unknown): ParseResult<unknown>;
  run(args: A, context: ToolContext): R | Promise<R>;
  /** The tool's own deadline; its signal is aborted then. @default DEFAULT_TOOL_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Serialised result size cap in characters. @default DEFAULT_TOOL_RESULT_CHARS */
  readonly maxResultChars?: number;
  /** Over the cap: cut with a marker the model can read (`truncate`), or a tool error (`fail`). @default 'truncate' */
  readonly onOversize?: 'truncate' | 'fail';
}

/** What `defineTool` takes: `input` is a zod schema (typed arguments) or a JSON Schema object. */
export interface ToolDefinitionInput<S, R> {
  name: string;
  description?: string;
  input: S;
  run(args: S extends z.ZodType ? z.output<S> : Record<string, unknown>, context: ToolContext): R | Promise<R>;
  timeoutMs?: number;
  maxResultChars?: number;
  onOversize?: 'truncate' | 'fail';
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });

/**
 * Defines a tool.
 *
 * ```ts
 * const weather = defineTool({
 *   name: 'weather',
 *   description: 'Current weather in a city',
 *   input: z.object({ city: z.string() }),
 *   run: async ({ city }, { signal }) => ({ city, celsius: 12 }),
 * });
 * ```
 */
export function defineTool<S extends z.ZodType | JsonSchema, R>(definition: ToolDefinitionInput<S, R>): Tool<S extends z.ZodType ? z.output<S> : Record<string, unknown>, R> {
  const where = `tool "${String(definition.name)}"`;
  if (typeof definition.name !== 'string' || !TOOL_NAME.test(definition.name)) {
    throw Errors.config(`${where} name`, '1-64 letters, digits, "_" or "-" (what every server accepts as a function name)', definition.name);
  }
  if (typeof definition.run !== 'function') throw Errors.config(`${where} run`, 'a function');
  if (definition.timeoutMs !== undefined && !(definition.timeoutMs > 0)) throw Errors.config(`${where} timeoutMs`, 'a number > 0', definition.timeoutMs);
  if (definition.maxResultChars !== undefined && !(definition.maxResultChars >= 64)) {
    throw Errors.config(`${where} maxResultChars`, 'a number >= 64', definition.maxResultChars);
  }
  const { parameters, parseArgs } = argsSchema(definition.input, where);
  return {
    name: definition.name,
    description: definition.description,
    parameters,
    parseArgs,
    run: definition.run as Tool['run'],
    timeoutMs: definition.timeoutMs,
    maxResultChars: definition.maxResultChars,
    onOversize: definition.onOversize,
  } as Tool<S extends z.ZodType ? z.output<S> : Record<string, unknown>, R>;
}

function isZod(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

function argsSchema(input: unknown, where: string): { parameters: JsonSchema; parseArgs: (args: unknown) => ParseResult<unknown> } {
  if (isZod(input)) {
    let parameters: JsonSchema;
    try {
      const { $schema: _drop, ...rest } = z.toJSONSchema(input, { target: 'draft-2020-12', unrepresentable: 'throw' }) as JsonSchema;
      parameters = rest;
    } catch (cause) {
      throw new FlotillaError('config', `${where} input: ${(cause as Error).message}`, { cause, details: { where } });
    }
    if (parameters['type'] !== 'object') throw Errors.config(`${where} input`, 'a zod object schema (tool arguments are an object)', parameters['type']);
    return {
      parameters,
      parseArgs: (args) => {
        const r = input.safeParse(args);
        return r.success ? { ok: true, value: r.data } : { ok: false, error: z.prettifyError(r.error) };
      },
    };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw Errors.config(`${where} input`, 'a zod schema or a JSON Schema object', input);
  const schema = input as JsonSchema;
  if (schema['type'] !== 'object') throw Errors.config(`${where} input.type`, '"object" (tool arguments are an object)', schema['type']);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (cause) {
    throw new FlotillaError('config', `${where} input: invalid JSON Schema: ${(cause as Error).message}`, { cause, details: { where } });
  }
  return {
    parameters: schema,
    parseArgs: (args) => (validate(args) ? { ok: true, value: args } : { ok: false, error: formatAjvErrors(validate.errors ?? []) }),
  };
}

/** The definition sent to the model. */
export function toolDefinition(tool: Tool<never, unknown>): ToolDefinition {
  return tool.description === undefined ? { name: tool.name, parameters: tool.parameters } : { name: tool.name, description: tool.description, parameters: tool.parameters };
}
