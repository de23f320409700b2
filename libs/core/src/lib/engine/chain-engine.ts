import { inject, injectable, multiInject, optional } from 'inversify';
import { Observable, type Subscriber, type Subscription, of } from 'rxjs';
import type { FlotillaAgent } from '../agents/agent-options';
import type { ModelClient } from '../model/model-client.interface';
import type { FlotillaConfig } from '../di/flotilla-config';
import { TOKENS } from '../di/tokens';
import type { RunEvent } from '../events/run-event';
import { Errors } from '../errors/errors';
import { FlotillaError } from '../errors/flotilla-error';
import { AgentRegistry } from './agent-registry';
import { AgentCall } from './agent-call';
import { ContextGuard } from './context-guard';
import { isContextWindowAware } from '../model/context-window';
import { StepSpan } from './step-span';
import { Limiter } from './limiter';
import { RunContext, type RunBudgets } from './run-context';
import type { RunResult, RunStatus } from './run-result';
import type { Chain, Scope, Step } from './steps';
import { fanOut } from './operators/fan-out.operator';
import { reviewLoop } from './operators/review-loop.operator';
import { branch } from './operators/branch.operator';
import { toErrorInfo } from './error-info';
import { DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_MAX_MS } from './operators/with-retry.operator';

export const DEFAULT_RUN_CONCURRENCY = 8;
export const DEFAULT_FAN_OUT_CONCURRENCY = 4;
export const DEFAULT_REVIEW_ROUNDS = 3;

export interface RunOptions extends RunBudgets {
  /** The whole run; exceeding it ends the run with `budgetExceeded`. */
  deadlineMs?: number;
  /** Cancels the run and every in-flight model request. */
  signal?: AbortSignal;
  /** Overrides `engine.runConcurrency` for this run. */
  concurrency?: number;
  /** Forces A/B variants for this run: agent name -> variant name. */
  variants?: Record<string, string>;
}

let runSeq = 0;

/** Runs chains (step trees) against the bound model client and agents. */
@injectable()
export class ChainEngine {
  readonly agents: AgentRegistry;
  private readonly runConcurrency: number;
  private readonly traceTokens: boolean;
  private readonly validated = new WeakSet<object>();
  private readonly guard: ContextGuard | undefined;

  constructor(
    @inject(TOKENS.ModelClient) private readonly client: ModelClient,
    @inject(TOKENS.Config) @optional() config: FlotillaConfig | undefined,
    @multiInject(TOKENS.Agent) @optional() agents: FlotillaAgent<never, unknown>[] | undefined,
  ) {
    const cfg = config ?? {};
    this.agents = new AgentRegistry(agents ?? [], cfg, {
      baseDelayMs: cfg.engine?.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS,
      maxDelayMs: cfg.engine?.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_MS,
    });
    this.runConcurrency = cfg.engine?.runConcurrency ?? DEFAULT_RUN_CONCURRENCY;
    this.guard = isContextWindowAware(client) ? new ContextGuard(client) : undefined;
    this.traceTokens = cfg.engine?.traceTokens ?? false;
  }

  /** The run as a stream of events; the last is `run.end` with the result. Unsubscribing cancels. */
  run$<I, O>(chain: Chain<I, O>, input: I, options: RunOptions = {}): Observable<RunEvent> {
    return new Observable<RunEvent>((subscriber) => {
      validateRunOptions(options);
      const runId = `r${++runSeq}`;
      const ctx = new RunContext(
        runId,
        options,
        new Limiter(options.concurrency ?? this.runConcurrency),
        this.traceTokens,
        (e) => subscriber.next(e),
      );
      ctx.emit({ type: 'run.start', runId, id: runId, at: 0, chain: chain.name, input });
      let invalid: unknown;
      try {
        this.validate(chain);
        this.checkForcedVariants(options.variants);
      } catch (e) {
        invalid = e;
      }

      let finished = false;
      let output: unknown;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        work.unsubscribe();
        finish('cancelled', undefined, Errors.aborted('run', options.signal?.reason));
      };
      const finish = (status: RunStatus, out: unknown, error?: unknown) => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const result: RunResult<O> = {
          runId,
          chain: chain.name,
          status,
          output: status === 'succeeded' ? (out as O) : undefined,
          error: error === undefined ? undefined : toErrorInfo(error),
          steps: ctx.steps,
          usage: ctx.usage,
          modelCalls: ctx.modelCalls,
          variants: ctx.variants,
          durationMs: ctx.now(),
          trace: ctx.trace,
        };
        ctx.emit({ type: 'run.end', runId, id: runId, at: result.durationMs, result });
        subscriber.complete();
      };

      const scope: Scope = { input };
      if (invalid !== undefined) {
        finish('failed', undefined, invalid);
        return;
      }
      const work = this.exec(chain.root, input, scope, runId, ctx, undefined).subscribe({
        next: (v) => (output = v),
        error: (e) => finish(FlotillaError.is(e, 'aborted') ? 'cancelled' : 'failed', undefined, e),
        complete: () => finish('succeeded', output),
      });
      if (!finished) {
        if (options.signal?.aborted) onAbort();
        else {
          options.signal?.addEventListener('abort', onAbort, { once: true });
          if (options.deadlineMs !== undefined) {
            const ms = options.deadlineMs;
            timer = setTimeout(() => {
              work.unsubscribe();
              finish('failed', undefined, new FlotillaError('budgetExceeded', `run deadline of ${ms} ms passed`, {
                details: { budget: 'deadlineMs', limit: ms },
              }));
            }, ms);
          }
        }
      }
      return () => {
        work.unsubscribe();
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
    });
  }

  /**
   * Checks a chain before it runs: every agent it names is bound and has a model, every
   * fan-out and review loop has sane bounds. Throws a `config` FlotillaError saying where.
   */
  validate(chain: Chain<unknown, unknown> | Chain<never, unknown>): void {
    if (this.validated.has(chain)) return;
    const walk = (step: Step, path: string): void => {
      const at = `chain "${chain.name}" at ${path}`;
      switch (step.kind) {
        case 'call':
          try {
            this.agents.resolve(step.agent);
          } catch (e) {
            throw FlotillaError.is(e) ? new FlotillaError('config', `${at}: ${e.message}`, { details: { ...e.details, path } }) : e;
          }
          return;
        case 'map':
          return;
        case 'sequence':
          step.steps.forEach((s, i) => walk(s, `${path}/${i}`));
          return;
        case 'fanOut':
          if (step.concurrency !== undefined && !(step.concurrency >= 1)) throw Errors.config(`${at}.concurrency`, 'a number >= 1', step.concurrency);
          walk(step.step, `${path}/step`);
          return;
        case 'reviewLoop':
          if (step.maxRounds !== undefined && !(Number.isInteger(step.maxRounds) && step.maxRounds >= 1)) {
            throw Errors.config(`${at}.maxRounds`, 'a whole number >= 1', step.maxRounds);
          }
          walk(step.work, `${path}/work`);
          walk(step.review, `${path}/review`);
          walk(step.revise, `${path}/revise`);
          return;
        case 'branch':
          walk(step.then, `${path}/then`);
          if (step.otherwise) walk(step.otherwise, `${path}/otherwise`);
          return;
        default:
          throw Errors.config(`${at}.kind`, 'call | sequence | map | fanOut | reviewLoop | branch', (step as { kind: unknown }).kind);
      }
    };
    walk(chain.root, 'root');
    this.validated.add(chain);
  }

  private checkForcedVariants(forced: Record<string, string> | undefined): void {
    for (const [agent, name] of Object.entries(forced ?? {})) {
      const variants = this.agents.resolve(agent).variants ?? [];
      if (!variants.some((v) => v.name === name)) {
        throw Errors.config(`run option variants.${agent}`, `one of ${variants.map((v) => `"${v.name}"`).join(', ') || '(the agent declares no variants)'}`, name);
      }
    }
  }

  /** Runs to the end; resolves with the result whatever the outcome (check `status`). */
  run<I, O>(chain: Chain<I, O>, input: I, options: RunOptions = {}): Promise<RunResult<O>> {
    return new Promise((resolve, reject) => {
      let result: RunResult<O> | undefined;
      this.run$(chain, input, options).subscribe({
        next: (e) => {
          if (e.type === 'run.end') result = e.result as RunResult<O>;
        },
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('run ended without a result'))),
      });
    });
  }

  /** @internal Runs one step as an Observable of its output (used by the step runners). */
  exec(step: Step, value: unknown, scope: Scope, parentId: string, ctx: RunContext, index: number | undefined): Observable<unknown> {
    if (step.kind === 'call') {
      const agent = this.agents.resolve(step.agent);
      return new Observable((subscriber) => {
        const variant = agent.variants ? ctx.variantOf(agent.name, agent.variants) : undefined;
        const model = variant?.model ?? agent.model;
        const span = new StepSpan(ctx, step, 'call', parentId, index, scope, agent.name, model, subscriber, variant?.name);
        let input: unknown = value;
        if (step.input) {
          try {
            input = step.input(value, scope);
          } catch (e) {
            span.error(Errors.userCode(e, { fn: 'input', agent: agent.name, step: span.name }));
            return span;
          }
        }
        return span.attach(new AgentCall(agent, input, ctx, this.client, span.id, span, this.guard, variant).start());
      });
    }
    return new Observable((subscriber) => {
      const span = new StepSpan(ctx, step, step.kind, parentId, index, scope, undefined, undefined, subscriber);
      let body: Observable<unknown>;
      try {
        body = this.body(step, value, scope, span.id, ctx, span.name);
      } catch (e) {
        span.error(e);
        return span;
      }
      return span.attach(body.subscribe(span));
    });
  }

  /** The work of a structural step, as an Observable of its output. */
  private body(step: Exclude<Step, { kind: 'call' }>, value: unknown, scope: Scope, id: string, ctx: RunContext, name: string): Observable<unknown> {
    switch (step.kind) {
      case 'map':
        return of(userFn(step.fn, value, scope, 'map function', name));
      case 'sequence':
        return this.sequence(step.steps, value, scope, id, ctx);
      case 'fanOut':
        return of(userFn(step.items, value, scope, 'fanOut items', name)).pipe(
          fanOut(
            (item, i) => this.exec(step.step, item, Object.assign(Object.create(scope) as object, { item, index: i }), id, ctx, i),
            step.concurrency ?? DEFAULT_FAN_OUT_CONCURRENCY,
          ),
        );
      case 'reviewLoop':
        return of(value).pipe(
          reviewLoop({
            work: (v) => this.exec(step.work, v, scope, id, ctx, 0),
            review: (args) => this.exec(step.review, args, scope, id, ctx, args.round),
            revise: (args) => this.exec(step.revise, args, scope, id, ctx, args.round),
            approved: (verdict) => userFn(step.approved, verdict, scope, 'reviewLoop approved', name),
            maxRounds: step.maxRounds ?? DEFAULT_REVIEW_ROUNDS,
          }),
        );
      case 'branch':
        return of(value).pipe(
          branch(
            (v) => userFn(step.when, v, scope, 'branch when', name),
            (v) => this.exec(step.then, v, scope, id, ctx, 0),
            step.otherwise ? (v) => this.exec(step.otherwise!, v, scope, id, ctx, 1) : undefined,
          ),
        );
      default:
        throw Errors.config('chain step', 'kind call | sequence | map | fanOut | reviewLoop | branch', (step as { kind: unknown }).kind);
    }
  }

  private sequence(steps: readonly Step[], value: unknown, scope: Scope, id: string, ctx: RunContext): Observable<unknown> {
    if (steps.length === 0) return of(value);
    return new Observable((subscriber) => new SequenceRun(this, steps, scope, id, ctx, subscriber).step(0, value));
  }

}

/** Calls a step function of the user's; what it throws fails the step as `userCode`. */
function userFn<A, R>(fn: (value: A, scope: Scope) => R, value: A, scope: Scope, what: string, step: string): R {
  try {
    return fn(value, scope);
  } catch (e) {
    throw Errors.userCode(e, { fn: what, step });
  }
}

function validateRunOptions(o: RunOptions): void {
  for (const key of ['deadlineMs', 'maxTokens', 'maxModelCalls', 'concurrency'] as const) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw Errors.config(`run option ${key}`, 'a number > 0', v);
  }
}

/** Runs a sequence's steps one after another, each getting the previous one's output. */
class SequenceRun {
  private last: unknown;
  private index = 0;
  private inner: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly engine: ChainEngine,
    private readonly steps: readonly Step[],
    private readonly scope: Scope,
    private readonly id: string,
    private readonly ctx: RunContext,
    private readonly out: Subscriber<unknown>,
  ) {}

  step(i: number, value: unknown): this {
    if (this.closed) return this;
    this.index = i;
    const sub = this.engine.exec(this.steps[i]!, value, this.scope, this.id, this.ctx, i).subscribe(this);
    if (!sub.closed) this.inner = sub;
    return this;
  }

  next(value: unknown): void {
    this.last = value;
  }

  error(e: unknown): void {
    this.out.error(e);
  }

  complete(): void {
    this.inner = undefined;
    if (this.index + 1 < this.steps.length) this.step(this.index + 1, this.last);
    else {
      this.out.next(this.last);
      this.out.complete();
    }
  }

  unsubscribe(): void {
    this.closed = true;
    this.inner?.unsubscribe();
  }
}
