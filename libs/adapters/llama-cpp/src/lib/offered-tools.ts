import type { ChatRequest, JsonSchema, ToolDefinition } from '@flotilla/core';
import type { ChatModelFunctions } from 'node-llama-cpp';

/** JSON Schema keywords node-llama-cpp's call grammar does not enforce (its GbnfJsonSchema has no such rule). */
const NOT_ENFORCED = new Set([
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'pattern',
  'patternProperties',
  'anyOf',
  'allOf',
  'not',
  'if',
  'minProperties',
  'maxProperties',
  'uniqueItems',
  'contains',
  'dependentRequired',
  'dependentSchemas',
]);
/** The string formats it has a grammar for. */
const FORMATS = new Set(['date-time', 'time', 'date']);

/** Tools offered with tool choice `auto`: node-llama-cpp functions, and what their grammar cannot enforce. */
export interface OfferedTools {
  functions: ChatModelFunctions;
  /** `tool "x": minimum, pattern` for each tool whose parameters use keywords the call grammar does not enforce. */
  unenforced: string[];
}

/**
 * Tools as node-llama-cpp functions: offered to the model through its chat template; a call the
 * model starts is finished under a grammar of the tool's parameters. What that grammar cannot
 * enforce is named, for the call's warnings: the engine checks every call against the tool's own
 * schema anyway, and an invalid one goes back to the model as a tool error.
 */
export function offeredTools(tools: readonly ToolDefinition[]): OfferedTools {
  const unenforced: string[] = [];
  for (const t of tools) {
    const found = new Set<string>();
    walk(t.parameters, found);
    if (found.size) unenforced.push(`tool "${t.name}": ${[...found].sort().join(', ')}`);
  }
  const functions = Object.fromEntries(tools.map((t) => [t.name, { ...(t.description === undefined ? {} : { description: t.description }), params: t.parameters as never }]));
  return { functions, unenforced };
}

function walk(schema: unknown, found: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const s of schema) walk(s, found);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  for (const [key, value] of Object.entries(schema as JsonSchema)) {
    if (NOT_ENFORCED.has(key)) found.add(key);
    if (key === 'format' && typeof value === 'string' && !FORMATS.has(value)) found.add(`format ${value}`);
    if (key === 'properties' || key === '$defs' || key === 'definitions') for (const s of Object.values(value as Record<string, unknown>)) walk(s, found);
    else if (key === 'items' || key === 'prefixItems' || key === 'oneOf' || key === 'additionalProperties') walk(value, found);
  }
}

/** The tools a request lets the model call at will: tool choice `auto` (or none given); undefined for `none`, a forced call, or no tools. */
export function offerableTools(request: Pick<ChatRequest, 'tools' | 'toolChoice'>): readonly ToolDefinition[] | undefined {
  const choice = request.toolChoice;
  return request.tools?.length && (choice === undefined || choice === 'auto') ? request.tools : undefined;
}
