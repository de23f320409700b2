import type { Unsubscribable } from 'rxjs';
import type { AgentVariant } from '../agents/agent-options';
import { AgentCall, type CallOutcome, type CallSink } from '../engine/agent-call';
import type { ResolvedAgent } from '../engine/agent-registry';
import type { StepSpan } from '../engine/step-span';
import type { CallStats } from '../events/run-event';
import type { RunJournal } from './run-journal';

/**
 * A call step of a durable run: taken from the journal when an earlier attempt of the run
 * completed it (no model call), else called and journaled before its output goes on.
 */
export function journaledCall(journal: RunJournal, span: StepSpan, agent: ResolvedAgent, input: unknown, variant: AgentVariant | undefined): Unsubscribable {
  const entry = journal.entry(span.key);
  if (entry) return new Replayed(span, { output: entry.output, call: { ...(entry.call as CallStats), journaled: true } });
  const engine = span.ctx.engine;
  const sink = new JournalingSink(journal, span, agent.name);
  sink.call = new AgentCall(agent, input, span.ctx, engine.client, sink, engine.guard, variant).start();
  return sink;
}

/** A journaled step: completes on the next microtask (so a long journal never deepens the stack). */
class Replayed implements Unsubscribable {
  private closed = false;

  constructor(span: StepSpan, outcome: CallOutcome) {
    queueMicrotask(() => {
      if (this.closed) return;
      span.next(outcome);
      span.complete();
    });
  }

  unsubscribe(): void {
    this.closed = true;
  }
}

/** Stands between an agent call and its span: the outcome goes on once the store holds it. */
class JournalingSink implements CallSink, Unsubscribable {
  call: AgentCall | undefined;
  private outcome: CallOutcome | undefined;
  private closed = false;

  constructor(
    private readonly journal: RunJournal,
    private readonly span: StepSpan,
    private readonly agent: string,
  ) {}

  get key(): string {
    return this.span.key;
  }

  get name(): string {
    return this.span.name;
  }

  next(outcome: CallOutcome): void {
    this.outcome = outcome;
  }

  error(error: unknown): void {
    if (!this.closed) this.span.error(error);
  }

  complete(): void {
    const outcome = this.outcome!;
    this.journal.record(this.span.ctx, this.span.key, this.agent, outcome).then(
      () => {
        if (this.closed) return;
        this.span.next(outcome);
        this.span.complete();
      },
      (e: unknown) => {
        if (!this.closed) this.span.error(e);
      },
    );
  }

  unsubscribe(): void {
    this.closed = true;
    this.call?.unsubscribe();
  }
}
