import type { ToolDefinition } from '@flotilla/core';
import { requestError } from './api-error';
import { Fields, NOT_CARRIED } from './fields';

/**
 * A `{ type: "function", function: { name, description?, parameters? } }` tool, the shape both
 * APIs use. OpenAI requires `type` and allows `function.strict` (accepted, not carried); Ollama
 * leaves `type` optional.
 */
export function functionTool(t: unknown, where: string, api: 'openai' | 'ollama'): ToolDefinition {
  if (!t || typeof t !== 'object') throw requestError(400, `${where} must be an object`, where);
  const f = new Fields(t as Record<string, unknown>, `${where}.`);
  const type = api === 'openai' ? f.requiredString('type') : f.string('type');
  if (type !== undefined && type !== 'function') throw requestError(400, `${where}.type must be "function"`, `${where}.type`);
  const fn = f.object('function');
  if (!fn) throw requestError(400, `${where}.function is required`, `${where}.function`);
  const g = new Fields(fn, `${where}.function.`);
  const name = g.requiredString('name');
  const description = g.string('description');
  const parameters = g.object('parameters') ?? { type: 'object', properties: {} };
  if (api === 'openai') g.raw('strict');
  g.refuseRest(NOT_CARRIED);
  f.refuseRest(NOT_CARRIED);
  return { name, parameters, ...(description === undefined ? {} : { description }) };
}
