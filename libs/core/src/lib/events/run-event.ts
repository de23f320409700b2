import type { HumanQuestion } from '../steps/human.step';
import type { CallTimings, TokenUsage } from '../model/chat-event';
import type { ModelWarning } from '../model/provider-options';
import type { ErrorKind } from '../errors/error-kind';
import type { RunResult } from '../engine/run-result';

/**
 * A step kind's name: `call`, `sequence`, `map`, `fanOut`, `reviewLoop`, `branch`, the chain
 * language's `template` and `value`, or a kind registered by a library.
 */
export type StepKind = string;

interface EventBase {
  runId: string;
  /** Milliseconds since the run started. */
  at: number;
}

/** Events of one step carry its key: stable across runs that take the same decisions. */
interface StepEventBase extends EventBase {
  /** The step's key (docs/architecture.md: stable identities). */
  key: string;
  /** The enclosing step's key; undefined for the chain's root step. */
  parentKey?: string;
}

export interface ErrorInfo {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  details?: Readonly<Record<string, unknown>>;
}

export interface RunStartEvent extends EventBase {
  type: 'run.start';
  chain: string;
  input: unknown;
  /** Wall-clock start (epoch ms): sinks that subscribe late, or read a replay, still know when the run began. */
  startedAt: number;
}

export interface StepStartEvent extends StepEventBase {
  type: 'step.start';
  kind: StepKind;
  /** Display name: the step's id, else its agent, else its kind. */
  name: string;
  /** The step's explicit id, when it has one. */
  id?: string;
  agent?: string;
  model?: string;
  /** The agent's A/B variant in this run. */
  variant?: string;
  /** Fan-out item index, review round. */
  index?: number;
}

export interface TokenEvent extends StepEventBase {
  type: 'token';
  text: string;
}

export interface RetryEvent extends StepEventBase {
  type: 'retry';
  /** The attempt about to start (1 for the first retry). */
  attempt: number;
  delayMs: number;
  error: ErrorInfo;
}

/** How a prompt met the model's context window, when the client reported one. */
export interface ContextFit {
  window: number;
  /** Prompt tokens as sent (after any dropping). */
  promptTokens: number;
  /** Messages dropped to fit (`dropOldest`). */
  dropped?: number;
  /** The model the call was moved to (`fallback`). */
  fallbackFrom?: string;
}

export interface CallStats {
  agent: string;
  model: string;
  endpoint?: string;
  attempts: number;
  /** Tokens of the call; for an agent with tools, of every model call of its tool loop. */
  usage: TokenUsage;
  timings: CallTimings;
  context?: ContextFit;
  variant?: string;
  /** What the adapter could not do as asked, from the call's final event. */
  warnings?: readonly ModelWarning[];
  /** For an agent with tools: rounds of tool calls run, and tool calls made, in the step. */
  toolRounds?: number;
  toolCalls?: number;
  /** Taken from the run's journal on resume: an earlier attempt of the run made this call, this one made none. */
  journaled?: boolean;
}

export interface StepEndEvent extends StepEventBase {
  type: 'step.end';
  kind: StepKind;
  name: string;
  output: unknown;
  /** Present on agent calls. */
  call?: CallStats;
}

export interface StepErrorEvent extends StepEventBase {
  type: 'step.error';
  kind: StepKind;
  name: string;
  error: ErrorInfo;
}

/** A tool call the model asked for, about to run (argument checks come first, in the tool's result). */
export interface ToolCallRunEvent extends StepEventBase {
  type: 'tool.call';
  /** 0 for the tools of the step's first reply. */
  round: number;
  /** The call's place in its reply. */
  index: number;
  tool: string;
  /** The id the server gave the call, where it gave one. */
  callId?: string;
  arguments: Record<string, unknown>;
  /** The model wrote the call in its text, not in the server's tool-call field; the engine recovered it. */
  recovered?: true;
}

/** A piece of a tool call's arguments as the server streams them (traced only with `traceTokens`, like tokens). */
export interface ToolDeltaRunEvent extends StepEventBase {
  type: 'tool.delta';
  /** The call's place in the reply. */
  index: number;
  /** In the first piece of a call. */
  tool?: string;
  text: string;
}

/** What a tool call gave back to the model: its result, or a tool error the model is told about. */
export interface ToolResultRunEvent extends StepEventBase {
  type: 'tool.result';
  round: number;
  index: number;
  tool: string;
  callId?: string;
  ok: boolean;
  /** The tool message's content as sent to the model. */
  content: string;
  ms: number;
  /** Present when the result was cut to the tool's size cap. */
  truncated?: { shown: number; total: number };
  /** Present for a tool error. */
  error?: ErrorInfo;
}

/** A human step asked a question and the run stops to wait for the answer (`run.end` follows, status `waiting`). */
export interface RunWaitingEvent extends EventBase {
  type: 'run.waiting';
  question: HumanQuestion;
}

export interface RunEndEvent extends EventBase {
  type: 'run.end';
  result: RunResult;
}

export type RunEvent =
  | RunStartEvent
  | StepStartEvent
  | TokenEvent
  | RetryEvent
  | ToolCallRunEvent
  | ToolDeltaRunEvent
  | ToolResultRunEvent
  | StepEndEvent
  | StepErrorEvent
  | RunWaitingEvent
  | RunEndEvent;
