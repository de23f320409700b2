import type { JsonSchema } from '../model/chat-request';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * What an agent's structured output is checked against: the JSON Schema sent to the
 * model, and a parser that gives the typed value or says what is wrong and where.
 */
export interface OutputSchema<T> {
  readonly jsonSchema: JsonSchema;
  parse(value: unknown): ParseResult<T>;
}
