import type { TokenUsage } from '../model/chat-event';
import type { HumanQuestion } from '../steps/human.step';
import type { CallStats, ErrorInfo, RunEvent, StepKind } from '../events/run-event';

/** `waiting`: a human step asked a question (`RunResult.waiting`); resume the run with the answer. */
export type RunStatus = 'succeeded' | 'failed' | 'cancelled' | 'waiting';

/** A step that finished, with its output: kept whatever happens to the rest of the run. */
export interface CompletedStep {
  key: string;
  parentKey?: string;
  kind: StepKind;
  /** Display name: id, else agent, else kind. */
  name: string;
  /** The step's explicit id, when it has one (`outputOf(result, step)` reads by it). */
  id?: string;
  output: unknown;
  call?: CallStats;
  startedAt: number;
  endedAt: number;
}

export interface RunResult<O = unknown> {
  runId: string;
  chain: string;
  status: RunStatus;
  /** Present when the run succeeded. */
  output?: O;
  /** Present when it failed or was cancelled; `kind` says why (budgetExceeded, aborted, ...). */
  error?: ErrorInfo;
  /** Present when it is waiting for a person: the question (persisted with the run). */
  waiting?: HumanQuestion;
  /** Every step that completed, in completion order. */
  steps: CompletedStep[];
  usage: TokenUsage;
  modelCalls: number;
  /** The A/B variant each agent with variants used in this run. */
  variants: Record<string, string>;
  durationMs: number;
  /** The run's events (token events only when `traceTokens` is on). */
  trace: RunEvent[];
}
