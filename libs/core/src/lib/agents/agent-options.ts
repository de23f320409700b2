import type { ChatMessage } from '../model/chat-message';
import type { SamplingOptions, RunnerOptions, ToolChoice } from '../model/chat-request';
import type { Tool } from '../tools/tool';
import type { ProviderOptions } from '../model/provider-options';
import type { OutputSchema } from '../schema/output-schema';
import type { PromptContext } from './agent-spec';

export type AgentRole = 'manager' | 'worker' | 'reviewer' | (string & {});

/** Separate deadlines, because slow local models and cold loads make one deadline wrong. */
export interface AgentTimeouts {
  /** Until the first token (extended by a known model load). @default 60_000 */
  firstTokenMs?: number;
  /** Longest silence between two events once tokens flow (stall watchdog). @default 30_000 */
  stallMs?: number;
  /** The whole call. @default 300_000 */
  totalMs?: number;
}

/** What happens when a prompt does not fit the model's context window. Never a silent cut. */
export interface ContextPolicy {
  /**
   * - `fail`: the call fails with `contextOverflow`.
   * - `dropOldest`: drop the oldest non-system messages (keeping the last one) until it fits;
   *   the call's stats say how many were dropped.
   * - `fallback`: send the call to `fallbackModel` (a larger window) instead.
   * @default 'fail'
   */
  onOverflow?: 'fail' | 'dropOldest' | 'fallback';
  fallbackModel?: string;
  /** Tokens kept free for the reply. @default options.maxTokens, else 512 */
  reserveTokens?: number;
}

/**
 * One arm of an A/B comparison: each run picks one variant per agent (by weight, or as
 * the run options force), uses it for all that agent's calls in the run, and records it.
 * A prompt variant is read by the agent's `prompt()` from `PromptContext.variant`.
 */
export interface AgentVariant {
  name: string;
  /** Relative weight. @default 1 */
  weight?: number;
  /** Model for this variant (instead of the resolved one). */
  model?: string;
  /** Options merged over the agent's. */
  options?: SamplingOptions & RunnerOptions;
}

export interface AgentOptions<O = unknown> {
  /** Unique name; chains and configuration refer to the agent by it. */
  name: string;
  role?: AgentRole;
  /** Default model; configuration overrides it (see docs/architecture.md, model resolution). */
  model?: string;
  /** Structured output: the schema sent to the model and checked on the reply. */
  output?: OutputSchema<O>;
  /** Shorthand for `timeouts.totalMs`. */
  timeoutMs?: number;
  timeouts?: AgentTimeouts;
  /** Retries after the first attempt: transient errors and invalid output share this budget. @default 2 */
  retries?: number;
  /** Most calls of this agent in flight at once, across all runs of an engine. @default unlimited */
  concurrency?: number;
  /** Sampling and runner options sent with every call. */
  options?: SamplingOptions & RunnerOptions;
  /** Options for one provider's adapter, sent with every call (`{ openai: { cache_prompt: true } }`). */
  providerOptions?: ProviderOptions;
  /** Dispatch priority (higher first) where calls queue. @default 0 */
  priority?: number;
  /** Prompts longer than the model's window: what to do (checked where the client knows the window). */
  context?: ContextPolicy;
  /** A/B variants (model, options or prompt), chosen per run and recorded in the trace. */
  variants?: AgentVariant[];
  description?: string;
  /**
   * Tools the agent may call: tools made by `defineTool`, or names of tools given to
   * `createFlotilla({ tools })`. An agent with tools runs the tool loop (docs/tools.md).
   */
  tools?: readonly (Tool<never, unknown> | string)[];
  /** For the loop's first model call; later calls use `auto`, so a forced call cannot repeat forever. @default 'auto' */
  toolChoice?: ToolChoice;
  toolLoop?: ToolLoopOptions;
}

/** Bounds of an agent's tool loop (model call, run the tools it asks for, feed the results back, repeat). */
export interface ToolLoopOptions {
  /** Rounds of tool calls at most; a reply asking for more fails the step (`budgetExceeded`, transcript kept). @default 8 */
  maxRounds?: number;
  /** Tool errors in a row that fail the step (`badOutput`, transcript kept). @default 3 */
  maxConsecutiveErrors?: number;
  /** Tool calls of one reply run at once at most. @default 4 */
  concurrency?: number;
  /** The whole loop of one step, model calls and tools. @default 600_000 (10 minutes) */
  deadlineMs?: number;
}

/**
 * What an `@Agent` class implements. The decorator records the class's options; the engine
 * turns class and instance into the same `AgentSpec` that `defineAgent` makes.
 */
export interface FlotillaAgent<I = unknown, O = unknown> {
  prompt(input: I, context: PromptContext): readonly ChatMessage[] | string;
  /**
   * Turns the reply into the agent's output: `parsed` is the validated structured value
   * when the agent declares `output`, otherwise the reply text. Default: `parsed` as is.
   */
  result?(parsed: never, input: I): O;
}

export type AgentInput<A> = A extends FlotillaAgent<infer I, unknown> ? I : never;
export type AgentOutput<A> = A extends { result(parsed: never, input: never): infer O } ? O : unknown;

export type AgentClass<A extends FlotillaAgent<never, unknown> = FlotillaAgent<never, unknown>> = abstract new (
  ...args: never[]
) => A;
