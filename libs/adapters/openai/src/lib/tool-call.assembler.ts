import { FlotillaError, type ToolCall } from '@flotilla/core';

/** The shape of `choices[0].delta.tool_calls[i]` in a chunk. */
export interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * Joins streamed tool-call pieces by `index` (name and id come first, arguments as string
 * fragments after) and parses the arguments into objects once the stream is done.
 */
export class ToolCallAssembler {
  private readonly parts = new Map<number, { id?: string; name: string; args: string }>();

  /** Adds a piece; returns the index of the call it belongs to. */
  add(delta: ToolCallDelta): number {
    const index = delta.index ?? this.parts.size;
    const part = this.parts.get(index) ?? { name: '', args: '' };
    if (delta.id) part.id = delta.id;
    if (delta.function?.name) part.name += delta.function.name;
    if (delta.function?.arguments) part.args += delta.function.arguments;
    this.parts.set(index, part);
    return index;
  }

  get size(): number {
    return this.parts.size;
  }

  /** The complete calls in index order; arguments that are not a JSON object fail as badOutput. */
  finish(details: Record<string, unknown>): ToolCall[] {
    return [...this.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, part]) => ({
        ...(part.id === undefined ? {} : { id: part.id }),
        name: part.name,
        arguments: parseArguments(part.name, part.args, details),
      }));
  }
}

function parseArguments(name: string, text: string, details: Record<string, unknown>): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new FlotillaError('badOutput', `tool call "${name}" has arguments that are not valid JSON`, {
      cause,
      details: { ...details, tool: name, raw: text.slice(0, 500) },
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FlotillaError('badOutput', `tool call "${name}" has arguments that are not a JSON object`, {
      details: { ...details, tool: name, raw: text.slice(0, 500) },
    });
  }
  return value as Record<string, unknown>;
}
