import type { TokenUsage } from '../model/chat-event';
import type { RunEvent } from '../events/run-event';
import type { CompletedStep } from './run-result';
import { Limiter } from './limiter';

export interface RunBudgets {
  /** No model call starts once the run has used this many tokens (prompt + completion). */
  maxTokens?: number;
  /** Model calls at most, retries included. */
  maxModelCalls?: number;
}

/** Mutable state of one run: ids, clock, budgets, the run-wide concurrency budget, the trace. */
export class RunContext {
  readonly t0 = performance.now();
  readonly trace: RunEvent[] = [];
  readonly steps: CompletedStep[] = [];
  readonly usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  modelCalls = 0;
  private spanSeq = 0;

  constructor(
    readonly runId: string,
    readonly budgets: RunBudgets,
    readonly limiter: Limiter,
    readonly traceTokens: boolean,
    private readonly sink: (event: RunEvent) => void,
  ) {}

  now(): number {
    return performance.now() - this.t0;
  }

  nextSpanId(): string {
    return `${this.runId}.${++this.spanSeq}`;
  }

  emit(event: RunEvent): void {
    if (event.type !== 'run.end' && (event.type !== 'token' || this.traceTokens)) this.trace.push(event);
    this.sink(event);
  }
}
