import type { Subscriber, Unsubscribable } from 'rxjs';
import type { StepKind } from '../events/run-event';
import { Errors } from '../errors/errors';
import type { RunContext } from './run-context';
import type { Scope, Step } from './steps';
import type { CallOutcome, CallSink } from './agent-call';
import { toErrorInfo } from './error-info';

/**
 * One execution of a step: emits `step.start`, then `step.end` with the output (recorded
 * in the run's completed steps and, with `as`, in the scope) or `error`; a span torn down
 * before it ended records an `aborted` error. It observes the step's body directly (an
 * agent call reports into it), with methods rather than closures: spans are the engine's
 * most numerous objects.
 */
export class StepSpan implements CallSink, Unsubscribable {
  readonly id: string;
  readonly name: string;
  private readonly startedAt: number;
  private ended = false;
  private has = false;
  private last: unknown;
  private inner: Unsubscribable | undefined;

  constructor(
    private readonly ctx: RunContext,
    private readonly step: Step,
    private readonly kind: StepKind,
    private readonly parentId: string,
    index: number | undefined,
    private readonly scope: Scope,
    agent: string | undefined,
    model: string | undefined,
    private readonly subscriber: Subscriber<unknown>,
    variant?: string,
  ) {
    this.id = ctx.nextSpanId();
    this.name = step.name ?? agent ?? kind;
    this.startedAt = ctx.now();
    ctx.emit({ type: 'step.start', runId: ctx.runId, id: this.id, parentId, at: this.startedAt, step: this.name, kind, agent, model, variant, index });
  }

  /** Holds the body's subscription so that tearing the span down cancels the body. */
  attach(inner: Unsubscribable): this {
    if (this.ended) inner.unsubscribe();
    else this.inner = inner;
    return this;
  }

  next(value: unknown): void {
    this.has = true;
    this.last = value;
  }

  error(e: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const { ctx } = this;
    ctx.emit({ type: 'error', runId: ctx.runId, id: this.id, parentId: this.parentId, at: ctx.now(), step: this.name, kind: this.kind, error: toErrorInfo(e) });
    this.subscriber.error(e);
  }

  complete(): void {
    if (this.ended) return;
    this.ended = true;
    const { ctx, step } = this;
    const call = this.kind === 'call' && this.has ? (this.last as CallOutcome).call : undefined;
    const output = call ? (this.last as CallOutcome).output : this.last;
    const endedAt = ctx.now();
    if (step.as !== undefined) (this.scope as Record<string, unknown>)[step.as] = output;
    ctx.steps.push({ id: this.id, parentId: this.parentId, step: this.name, output, call, startedAt: this.startedAt, endedAt });
    ctx.emit({ type: 'step.end', runId: ctx.runId, id: this.id, parentId: this.parentId, at: endedAt, step: this.name, kind: this.kind, output, call });
    this.subscriber.next(output);
    this.subscriber.complete();
  }

  unsubscribe(): void {
    this.inner?.unsubscribe();
    this.inner = undefined;
    if (this.ended) return;
    this.ended = true;
    const { ctx } = this;
    ctx.emit({
      type: 'error',
      runId: ctx.runId,
      id: this.id,
      parentId: this.parentId,
      at: ctx.now(),
      step: this.name,
      kind: this.kind,
      error: toErrorInfo(Errors.aborted(`step "${this.name}"`)),
    });
  }
}
