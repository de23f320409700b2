import type { CallTimings, TokenUsage } from '../model/chat-event';
import type { ErrorKind } from '../errors/error-kind';
import type { RunResult } from '../engine/run-result';

export type StepKind = 'call' | 'sequence' | 'map' | 'fanOut' | 'reviewLoop' | 'branch';

interface EventBase {
  runId: string;
  /** Span id of the step execution (the run's own id for run events). */
  id: string;
  parentId?: string;
  /** Milliseconds since the run started. */
  at: number;
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
}

export interface StepStartEvent extends EventBase {
  type: 'step.start';
  /** The step's name in the chain (stable across runs). */
  step: string;
  kind: StepKind;
  agent?: string;
  model?: string;
  /** The agent's A/B variant in this run. */
  variant?: string;
  /** Fan-out item index, review round. */
  index?: number;
}

export interface TokenEvent extends EventBase {
  type: 'token';
  text: string;
}

export interface RetryEvent extends EventBase {
  type: 'retry';
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
  usage: TokenUsage;
  timings: CallTimings;
  context?: ContextFit;
  variant?: string;
}

export interface StepEndEvent extends EventBase {
  type: 'step.end';
  step: string;
  kind: StepKind;
  output: unknown;
  /** Present on agent calls. */
  call?: CallStats;
}

export interface StepErrorEvent extends EventBase {
  type: 'error';
  step: string;
  kind: StepKind;
  error: ErrorInfo;
}

export interface RunEndEvent extends EventBase {
  type: 'run.end';
  result: RunResult;
}

export type RunEvent = RunStartEvent | StepStartEvent | TokenEvent | RetryEvent | StepEndEvent | StepErrorEvent | RunEndEvent;
