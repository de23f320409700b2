import { Observable, type Subscriber, type Unsubscribable } from 'rxjs';
import type { StepKind } from '../events/run-event';
import { Errors } from '../errors/errors';
import type { RunContext } from './run-context';
import type { Ref, StepAttributes, StepContext, StepExecution, StepNode } from '../steps/step';
import type { CallOutcome, CallSink } from './agent-call';
import { toErrorInfo } from './error-info';
import { Limiter } from './limiter';

/** Step outputs by id and the chain language's variables, chained per fan-out item. */
export type ScopeRecord = Record<string, unknown>;

/**
 * One execution of a step: emits `step.start`, runs the step's type, then emits `step.end`
 * with the output (recorded in the run's completed steps and, for a step with an id, in the
 * scope) or `step.error`; a span torn down before it ended records an `aborted` error. It is
 * also what the step's type sees (`StepExecution`) and what step functions get as their
 * context. Methods rather than closures: spans are the engine's most numerous objects.
 */
export class StepSpan implements StepExecution, StepContext, CallSink, Unsubscribable {
  readonly key: string;
  name: string;
  /** Set by the type's `describe` (the call kind: agent, model, variant). */
  attributes: StepAttributes | undefined;
  private readonly startedAt: number;
  private ended = false;
  private has = false;
  private last: unknown;
  private inner: Unsubscribable | undefined;

  constructor(
    readonly ctx: RunContext,
    readonly node: StepNode,
    readonly parentKey: string | undefined,
    segment: string,
    suffix: string,
    private readonly index: number | undefined,
    private readonly scope: ScopeRecord,
    private readonly subscriber: Subscriber<unknown>,
  ) {
    const own = (node.id ?? segment) + suffix;
    this.key = parentKey ? `${parentKey}/${own}` : own;
    this.name = node.id ?? node.type.kind;
    this.startedAt = ctx.now();
  }

  get context(): StepContext {
    return this;
  }

  get vars(): Readonly<ScopeRecord> {
    return this.scope;
  }

  /** Emits step.start and starts the step's type on `value`. */
  begin(value: unknown): this {
    const { ctx, node } = this;
    const type = node.type;
    try {
      const attrs = type.describe ? type.describe(node, this) : undefined;
      this.attributes = attrs;
      if (attrs?.agent !== undefined && node.id === undefined) this.name = attrs.agent;
      ctx.emit({
        type: 'step.start',
        runId: ctx.runId,
        key: this.key,
        parentKey: this.parentKey,
        at: this.startedAt,
        kind: type.kind as StepKind,
        name: this.name,
        id: node.id,
        agent: attrs?.agent,
        model: attrs?.model,
        variant: attrs?.variant,
        index: this.index,
      });
      const inner = type.start(node, value, this);
      if (this.ended) inner.unsubscribe();
      else this.inner = inner;
    } catch (e) {
      this.error(e);
    }
    return this;
  }

  get<T>(ref: Ref<T>): T {
    const id = ref.id;
    if (id === undefined) throw Errors.config(`ctx.get() in step "${this.key}"`, 'a step with an id (step.call(agent, { id: "..." })) or the chain input');
    if (!(id in this.scope)) throw Errors.config(`ctx.get("${id}") in step "${this.key}"`, `a step "${id}" that has completed before this one`);
    return this.scope[id] as T;
  }

  run(child: StepNode, value: unknown, segment: string, suffix = '', index?: number, vars?: ScopeRecord): Observable<unknown> {
    const scope = vars === undefined ? this.scope : Object.assign(Object.create(this.scope) as ScopeRecord, vars);
    return this.ctx.engine.exec(child, value, this.ctx, this.key, segment, suffix, index, scope);
  }

  call<A, R>(fn: (value: A, ctx: StepContext) => R, value: A, what: string): R {
    try {
      return fn(value, this);
    } catch (e) {
      throw Errors.userCode(e, { fn: what, step: this.key || this.name, ...(this.attributes?.agent === undefined ? {} : { agent: this.attributes.agent }) });
    }
  }

  next(value: unknown): void {
    this.has = true;
    this.last = value;
  }

  error(e: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const { ctx } = this;
    ctx.emit({ type: 'step.error', runId: ctx.runId, key: this.key, parentKey: this.parentKey, at: ctx.now(), kind: this.node.type.kind as StepKind, name: this.name, error: toErrorInfo(e) });
    this.subscriber.error(e);
  }

  complete(): void {
    if (this.ended) return;
    this.ended = true;
    const { ctx, node } = this;
    const call = this.attributes?.agent !== undefined && this.has ? (this.last as CallOutcome).call : undefined;
    const output = call ? (this.last as CallOutcome).output : this.last;
    const endedAt = ctx.now();
    const kind = node.type.kind as StepKind;
    if (node.id !== undefined) this.scope[node.id] = output;
    ctx.steps.push({ key: this.key, parentKey: this.parentKey, kind, name: this.name, id: node.id, output, call, startedAt: this.startedAt, endedAt });
    ctx.emit({ type: 'step.end', runId: ctx.runId, key: this.key, parentKey: this.parentKey, at: endedAt, kind, name: this.name, output, call });
    this.subscriber.next(output);
    this.subscriber.complete();
  }

  unsubscribe(): void {
    const inner = this.inner;
    this.inner = undefined;
    if (this.ended) {
      inner?.unsubscribe();
      return;
    }
    // Slots the subtree frees are handed on only once all of it is torn down.
    if (inner) Limiter.during(() => inner.unsubscribe());
    this.ended = true;
    const { ctx } = this;
    ctx.emit({
      type: 'step.error',
      runId: ctx.runId,
      key: this.key,
      parentKey: this.parentKey,
      at: ctx.now(),
      kind: this.node.type.kind as StepKind,
      name: this.name,
      error: toErrorInfo(Errors.aborted(`step "${this.key || this.name}"`)),
    });
  }
}

