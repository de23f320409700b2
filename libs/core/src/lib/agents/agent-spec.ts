import type { ChatMessage } from '../model/chat-message';
import type { OutputSchema } from '../schema/output-schema';
import type { AgentOptions } from './agent-options';

/** Passed to an agent when it builds a prompt. */
export interface PromptContext {
  /** The model the call goes to. */
  model: string;
  /** 0 for the first attempt. */
  attempt: number;
  /** The A/B variant this run uses for the agent, when it declares variants. */
  variant?: string;
}

/**
 * An agent: what it is called, which model it runs on, how it turns its input into a prompt
 * and the reply into its output. A plain value: `defineAgent` makes one, the `@Agent` class
 * decorator makes one from a class, chain files and Dotprompt files compile to one.
 */
export interface AgentSpec<I = unknown, O = unknown> extends AgentOptions {
  /** The messages for one call; a string is one user message. */
  readonly prompt: (input: I, context: PromptContext) => readonly ChatMessage[] | string;
  /**
   * Turns the reply into the agent's output: `parsed` is the validated structured value when
   * the agent declares `output`, otherwise the reply text. Default: `parsed` as is.
   */
  readonly result?: (parsed: never, input: I) => O;
  /** Phantom: carries the types, never read at run time. */
  readonly __io?: (input: I) => O;
}

/** What `defineAgent` takes: `P` is the parsed reply (the output schema's type, else text). */
export interface AgentDefinition<I, P, O> extends AgentOptions {
  output?: OutputSchema<P>;
  prompt(input: I, context: PromptContext): readonly ChatMessage[] | string;
  result?(parsed: P, input: I): O;
}

/**
 * Defines an agent. Its input type comes from `prompt`'s parameter, its output from `result`,
 * else from the `output` schema, else it is the reply text.
 *
 * ```ts
 * const haiku = defineAgent({ name: 'haiku', model: 'llama3.2:3b', prompt: (topic: string) => `A haiku about ${topic}` });
 * ```
 */
export function defineAgent<I, P = string, O = P>(definition: AgentDefinition<I, P, O>): AgentSpec<I, O> {
  return definition as unknown as AgentSpec<I, O>;
}

export type AgentInputOf<A> = A extends AgentSpec<infer I, unknown> ? I : never;
export type AgentOutputOf<A> = A extends AgentSpec<never, infer O> ? O : never;
