import { FlotillaError, type ChatRequest, type JsonSchema, type ToolCall, portableSchemaViolations } from '@flotilla/core';

/** The call a forced tool choice makes the model write: its schema, which the grammar is built from. */
export interface ForcedToolCall {
  readonly schema: JsonSchema;
}

/**
 * When a request must call a tool (tool choice `required`, or a named tool), the JSON Schema of
 * the call object `{"name": <a tool's name>, "arguments": <that tool's arguments>}`: one branch
 * per tool the choice allows. Generation under the grammar built from it writes a call that
 * parses and matches a tool's schema, whatever the weights. Undefined for `auto`, `none`, or
 * no tools (nothing is forced, and nothing costs anything).
 */
export function forcedToolCall(request: ChatRequest): ForcedToolCall | undefined {
  const tools = request.tools;
  const choice = request.toolChoice;
  if (!tools?.length || choice === undefined || choice === 'auto' || choice === 'none') return undefined;
  const allowed = choice === 'required' ? tools : tools.filter((t) => t.name === choice.name);
  if (allowed.length === 0) {
    throw new FlotillaError('badRequest', `tool choice names "${choice === 'required' ? '' : choice.name}", which is not among the request's tools (${tools.map((t) => t.name).join(', ')})`, {
      details: { toolChoice: choice, tools: tools.map((t) => t.name) },
    });
  }
  const branches: JsonSchema[] = allowed.map((t) => ({
    type: 'object',
    additionalProperties: false,
    required: ['name', 'arguments'],
    properties: { name: { type: 'string', const: t.name }, arguments: t.parameters },
  }));
  if (branches.length === 1) return { schema: branches[0]! };
  // The branches exclude each other (each its own name): `anyOf` for our portable-subset grammar,
  // `oneOf` (the same here) for node-llama-cpp's JSON Schema grammar, which knows only that.
  const anyOf: JsonSchema = { anyOf: branches };
  return { schema: portableSchemaViolations(anyOf).length === 0 ? anyOf : { oneOf: branches } };
}

/** The call in a reply written under the forced call's grammar (already checked against its schema). */
export function parseForcedCall(text: string): ToolCall {
  const value = JSON.parse(text) as { name: string; arguments: Record<string, unknown> };
  return { name: value.name, arguments: value.arguments };
}
