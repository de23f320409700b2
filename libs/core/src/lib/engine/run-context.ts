import type { TokenUsage } from '../model/chat-event';
import type { RunEvent } from '../events/run-event';
import type { AgentVariant } from '../agents/agent-options';
import type { CompletedStep } from './run-result';
import type { Limiter } from './limiter';
import type { DeadlineClock } from './deadline-timers';
import type { EngineCore } from './engine-core';
import type { RunJournal } from '../store/run-journal';
import type { AskHuman, HumanQuestion } from '../steps/human.step';

/** Where a run's events go (the run handle's hub). */
export interface RunEventSink {
  emit(event: RunEvent): void;
}

export interface RunBudgets {
  /** No model call starts once the run has used this many tokens (prompt + completion). */
  maxTokens?: number;
  /** Model calls at most, retries included. */
  maxModelCalls?: number;
}

/** Mutable state of one run: identity, clock, budgets, the run-wide concurrency budget, the trace. */
export class RunContext {
  readonly t0 = performance.now();
  readonly trace: RunEvent[] = [];
  readonly steps: CompletedStep[] = [];
  readonly usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  modelCalls = 0;
  /** Per agent name: the variant this run uses. */
  readonly variants: Record<string, string> = {};
  /** A durable run's journal (set once the store has answered); undefined when no store is configured. */
  journal: RunJournal | undefined = undefined;
  /** How the run asks a person in code (`RunOptions.ask`). */
  ask: AskHuman | undefined = undefined;
  /** Ends the run `waiting` on a human step's question (set by the run; a durable run persists it). */
  pause: ((question: HumanQuestion) => void) | undefined = undefined;

  constructor(
    readonly engine: EngineCore,
    readonly runId: string,
    readonly budgets: RunBudgets & { variants?: Record<string, string> },
    readonly limiter: Limiter,
    readonly clock: DeadlineClock,
    readonly traceTokens: boolean,
    private readonly sink: RunEventSink,
  ) {}

  now(): number {
    return performance.now() - this.t0;
  }

  /** The variant of `agent` for this run: forced by the run options, else drawn by weight once. */
  variantOf(agent: string, variants: readonly AgentVariant[]): AgentVariant {
    const chosen = this.variants[agent] ?? this.budgets.variants?.[agent];
    let variant = chosen === undefined ? undefined : variants.find((v) => v.name === chosen);
    if (!variant) {
      const total = variants.reduce((n, v) => n + (v.weight ?? 1), 0);
      // A durable run draws from its run id, so that every attempt of it takes the same variant.
      let draw = (this.journal ? this.journal.draw(`variant:${agent}`) : Math.random()) * total;
      variant = variants.find((v) => (draw -= v.weight ?? 1) < 0) ?? variants[variants.length - 1]!;
    }
    this.variants[agent] = variant.name;
    return variant;
  }

  emit(event: RunEvent): void {
    const type = event.type;
    if (type !== 'run.end' && ((type !== 'token' && type !== 'tool.delta') || this.traceTokens)) this.trace.push(event);
    this.sink.emit(event);
  }
}
