import { inject, injectable, optional } from 'inversify';
import { Observable, type Subscription } from 'rxjs';
import type { AgentClass, FlotillaAgent } from '../agents/agent-options';
import type { ModelClient } from '../model/model-client.interface';
import type { FlotillaConfig } from '../di/flotilla-config';
import type { RunEvent } from '../events/run-event';
import { TOKENS } from '../di/tokens';
import { Errors } from '../errors/errors';
import { FlotillaError } from '../errors/flotilla-error';
import { isContextWindowAware } from '../model/context-window';
import type { Chain } from '../steps/define-chain';
import { RUN_INPUT_ID } from '../steps/define-chain';
import type { StepNode } from '../steps/step';
import { AgentRegistry } from './agent-registry';
import { ContextGuard } from './context-guard';
import { type DeadlineClock, sharedDeadlineClock } from './deadline-timers';
import type { EngineCore } from './engine-core';
import { Limiter } from './limiter';
import { DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_MAX_MS } from './retry-policy';
import { RunContext, type RunBudgets, type RunEventSink } from './run-context';
import { RunEventHub, type RunHandle, iterate } from './run-handle';
import { newRunId } from './run-id';
import type { RunResult, RunStatus } from './run-result';
import { type ScopeRecord, StepSpan } from './step-span';
import { toErrorInfo } from './error-info';
import { type ToolExecutor, executeTool } from '../tools/execute-tool';
import type { RunStore } from '../store/run-store.interface';
import type { AskHuman, HumanAnswer, HumanQuestion } from '../steps/human.step';
import type { RunJournal } from '../store/run-journal';
import { chainHash } from '../store/chain-hash';
import { DEFAULT_LEASE_MS, type DurablePlan, prepareDurable } from '../store/durable-run';
import type { RetentionSweeper } from '../store/retention';

export const DEFAULT_RUN_CONCURRENCY = 8;

export interface RunOptions extends RunBudgets {
  /** The whole run; exceeding it ends the run with `budgetExceeded`. Counted as `deadlineAcross` says. */
  deadlineMs?: number;
  /**
   * What `deadlineMs` counts: `attempt`, each `run` or `resume` on its own clock; `run`, wall
   * clock from the run's first start, across resumes (a durable run keeps the deadline: a resume
   * that gives none takes it, and one started after it passed fails at once). Without a store
   * the two are the same. @default 'attempt'
   */
  deadlineAcross?: 'attempt' | 'run';
  /** Cancels the run and every in-flight model request. */
  signal?: AbortSignal;
  /** Overrides `engine.runConcurrency` for this run. */
  concurrency?: number;
  /** Forces A/B variants for this run: agent name -> variant name. */
  variants?: Record<string, string>;
  /** The run's id; default a new time-ordered UUID. */
  runId?: string;
  /**
   * Asks a person in code when the run reaches a human step (`step.human`). Without it, a run
   * with a store ends `waiting` there, and one without a store fails `config` (`noHumanChannel`).
   */
  ask?: AskHuman;
  /** A durable run keeps it (`RunRecord.options.source`): where the chain came from, such as a chain file's path. */
  source?: string;
}

/** What `resume` takes besides the run options (budgets given here win over the stored ones). */
export interface ResumeOptions extends Omit<RunOptions, 'runId'> {
  /** Resume although the chain's definition changed since the run started (its hash differs). @default false */
  force?: boolean;
  /** The answer to the question the run waits on (its status is `waiting`); journaled like a call's result. */
  answer?: HumanAnswer;
}

/** Makes instances of `@Agent` classes (through the container, so they receive injected services). */
export type AgentFactory = (cls: AgentClass) => FlotillaAgent<never, unknown>;

/** Runs chains (step trees) against the bound model client. Users reach it through `createFlotilla`. */
@injectable()
export class ChainEngine implements EngineCore {
  readonly agents: AgentRegistry;
  readonly guard: ContextGuard | undefined;
  private readonly runConcurrency: number;
  private readonly traceTokens: boolean;
  private readonly validated = new WeakSet<object>();
  /** Runs every tool call; `createFlotilla({ toolExecutor })` wraps or replaces it. */
  toolExecutor: ToolExecutor = executeTool;
  /** Where deadlines live; tests pass a scheduler's clock. */
  clock: DeadlineClock = sharedDeadlineClock;
  /** Where durable runs are journaled; undefined: runs live only in this process. */
  store: RunStore | undefined;
  /** How long a durable run's lease lasts without renewal. */
  leaseMs = DEFAULT_LEASE_MS;
  /** Prunes the store's finished runs as runs end; undefined: no automatic retention. */
  retention: RetentionSweeper | undefined;
  private readonly hashes = new WeakMap<object, string>();

  constructor(
    @inject(TOKENS.ModelClient) readonly client: ModelClient,
    @inject(TOKENS.Config) @optional() config: FlotillaConfig | undefined,
    @inject(TOKENS.AgentFactory) @optional() agentFactory: AgentFactory | undefined,
  ) {
    const cfg = config ?? {};
    this.agents = new AgentRegistry(
      cfg,
      { baseDelayMs: cfg.engine?.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS, maxDelayMs: cfg.engine?.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_MS },
      agentFactory ??
        ((cls) => {
          throw Errors.config(`agent class ${cls.name}`, 'an engine made by createFlotilla (classes are instantiated through its container)');
        }),
    );
    this.runConcurrency = cfg.engine?.runConcurrency ?? DEFAULT_RUN_CONCURRENCY;
    this.guard = isContextWindowAware(client) ? new ContextGuard(client) : undefined;
    this.traceTokens = cfg.engine?.traceTokens ?? false;
  }

  /** Starts a run; see `RunHandle`. `onEnd` is told synchronously when it ends (before `result` settles). */
  run<I, O>(chain: Chain<I, O>, input: I, options: RunOptions = {}, onEnd?: (handle: RunHandle<O>) => void): RunHandle<O> {
    const store = this.store;
    return new RunExecution<O>(this, chain as Chain<unknown, unknown>, input, options, onEnd, store === undefined ? undefined : { store, resume: false });
  }

  /** Resumes a durable run of `chain` from its journal; see `Flotilla.resume`. */
  resume<O>(chain: Chain<unknown, O>, runId: string, options: ResumeOptions = {}, onEnd?: (handle: RunHandle<O>) => void): RunHandle<O> {
    const store = this.store;
    const { force, answer, ...rest } = options;
    const runOptions: RunOptions = { ...rest, runId };
    if (store === undefined) {
      const problem = Errors.config('resume()', 'a Flotilla with a run store (createFlotilla({ store }))');
      return new RunExecution<O>(this, chain as Chain<unknown, unknown>, undefined, runOptions, onEnd, undefined, problem);
    }
    return new RunExecution<O>(this, chain as Chain<unknown, unknown>, undefined, runOptions, onEnd, { store, resume: true, force: force ?? false, ...(answer === undefined ? {} : { answer }) });
  }

  /** @internal The chain's content hash under this engine's agents and configuration (once per chain). */
  hashOf(chain: Chain<unknown, unknown>): string {
    let hash = this.hashes.get(chain);
    if (hash === undefined) this.hashes.set(chain, (hash = chainHash(chain, this.agents)));
    return hash;
  }

  /**
   * Checks a chain before it runs: every agent it names is known and has a model, step
   * options are sane, sibling ids differ. Throws a `config` FlotillaError saying where.
   */
  validate(chain: Chain<never, unknown> | Chain<unknown, unknown>): void {
    if (this.validated.has(chain)) return;
    const walk = (node: StepNode, key: string): void => {
      const at = `chain "${chain.name}" step "${key || '(root)'}"`;
      const type = node.type;
      if (!type || typeof type.start !== 'function') throw Errors.config(`${at} type`, 'a step made by a step builder (step.call, step.sequence, ...)');
      if (node.id === RUN_INPUT_ID) throw Errors.config(`${at} id`, `an id other than "${RUN_INPUT_ID}" (it names the run input)`, node.id);
      if (type.kind === 'call') {
        try {
          this.agents.resolve((node as unknown as { agent: Parameters<AgentRegistry['resolve']>[0] }).agent);
        } catch (e) {
          throw FlotillaError.is(e) ? new FlotillaError('config', `${at}: ${e.message}`, { details: { ...e.details, step: key } }) : e;
        }
      }
      type.validate?.(node, at);
      const seen = new Set<string>();
      for (const child of type.children(node)) {
        const segment = child.step.id ?? child.segment;
        if (seen.has(segment)) throw Errors.config(`${at}`, `children with different ids (two are "${segment}")`);
        seen.add(segment);
        walk(child.step, key ? `${key}/${segment}` : segment);
      }
    };
    walk(chain.root, chain.root.id ?? '');
    this.validated.add(chain);
  }

  /** @internal Runs one step as an Observable of its output. */
  exec(node: StepNode, value: unknown, ctx: RunContext, parentKey: string | undefined, segment: string, suffix: string, index: number | undefined, scope: ScopeRecord): Observable<unknown> {
    return new Observable((subscriber) => new StepSpan(ctx, node, parentKey, segment, suffix, index, scope, subscriber).begin(value));
  }

  /** @internal */
  runContext(runId: string, options: RunOptions, sink: RunEventSink): RunContext {
    return new RunContext(this, runId, options, new Limiter(options.concurrency ?? this.runConcurrency), this.clock, this.traceTokens, sink);
  }

  /** @internal */
  checkForcedVariants(forced: Record<string, string> | undefined): void {
    for (const [agent, name] of Object.entries(forced ?? {})) {
      const variants = this.agents.resolve(agent).variants ?? [];
      if (!variants.some((v) => v.name === name)) {
        throw Errors.config(`run option variants.${agent}`, `one of ${variants.map((v) => `"${v.name}"`).join(', ') || '(the agent declares no variants)'}`, name);
      }
    }
  }
}

/** One run, from its start to `run.end`: the handle users hold. */
class RunExecution<O> implements RunHandle<O> {
  readonly runId: string;
  // The result promise and the events Observable are made when first asked for.
  private resultPromise: Promise<RunResult<O>> | undefined;
  private resolve: ((result: RunResult<O>) => void) | undefined;
  private ended: RunResult<O> | undefined;
  private eventStream: Observable<RunEvent> | undefined;
  private readonly hub = new RunEventHub();
  private readonly ctx: RunContext;
  private work: Subscription | undefined;
  private finished = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private onAbort: (() => void) | undefined;
  /** A durable run's journal: the run's end is recorded there before `result` resolves. */
  private journal: RunJournal | undefined;
  /** The question a paused run waits on. */
  private waiting: HumanQuestion | undefined;
  private readonly retention: RetentionSweeper | undefined;

  constructor(
    engine: ChainEngine,
    private readonly chain: Chain<unknown, unknown>,
    input: unknown,
    private readonly options: RunOptions,
    private readonly onEnd: ((handle: RunHandle<O>) => void) | undefined,
    durable?: Omit<DurablePlan, 'hash' | 'leaseMs'>,
    refused?: FlotillaError,
  ) {
    const runId = options.runId ?? newRunId();
    this.runId = runId;
    this.retention = engine.retention;
    let invalid: unknown = refused;
    try {
      validateRunOptions(options);
    } catch (e) {
      invalid ??= e;
    }
    // A resume's budgets are completed from the store: the context gets its own copy.
    const ctx = engine.runContext(runId, invalid === undefined ? (durable?.resume ? { ...options } : options) : {}, this.hub);
    this.ctx = ctx;
    this.hub.trace = ctx.trace;
    ctx.ask = options.ask;
    // Only a durable run can wait (the question needs a store to outlive the process).
    if (durable) ctx.pause = (question) => this.pause(question);
    // A resumed run says what it started on once the store has said what its input was.
    if (!durable?.resume) ctx.emit({ type: 'run.start', runId, at: 0, startedAt: Date.now() - ctx.now(), chain: chain.name, input });
    if (invalid === undefined) {
      try {
        engine.validate(chain);
        engine.checkForcedVariants(options.variants);
      } catch (e) {
        invalid = e;
      }
    }
    if (invalid !== undefined) {
      this.finish('failed', undefined, invalid);
      return;
    }
    const signal = options.signal;
    if (signal?.aborted) {
      this.finish('cancelled', undefined, Errors.aborted('run', signal.reason));
      return;
    }
    if (durable) {
      this.arm();
      let plan: DurablePlan;
      try {
        plan = { ...durable, hash: engine.hashOf(chain), leaseMs: engine.leaseMs };
      } catch (e) {
        this.finish('failed', undefined, e);
        return;
      }
      prepareDurable(plan, ctx, chain, input, options).then(
        (start) => {
          if (this.finished) {
            // Cancelled while the store answered: the store still learns how the run ended.
            if (this.ended) start.journal.end(this.ended).catch(() => undefined);
            return;
          }
          ctx.journal = start.journal;
          this.journal = start.journal;
          start.journal.keepLease((lost) => this.stop('failed', lost));
          if (durable.resume) {
            ctx.emit({ type: 'run.start', runId, at: ctx.now(), startedAt: Date.now() - ctx.now(), chain: chain.name, input: start.input });
            try {
              engine.checkForcedVariants(ctx.budgets.variants);
            } catch (e) {
              this.finish('failed', undefined, e);
              return;
            }
          }
          // A deadline across resumes counts from the run's first start.
          if (start.deadline) {
            const { ms, startedAt } = start.deadline;
            if (startedAt + ms <= Date.now()) {
              this.stop('failed', deadlineError(ms, 'run'));
              return;
            }
            this.armDeadline(ms, startedAt + ms - Date.now(), 'run');
          }
          this.work = this.exec(engine, start.input);
        },
        (e: unknown) => this.finish('failed', undefined, e),
      );
      return;
    }
    const work = this.exec(engine, input);
    if (this.finished) return;
    this.work = work;
    this.arm();
  }

  /** Runs the chain's root step. */
  private exec(engine: ChainEngine, input: unknown): Subscription | undefined {
    let output: unknown;
    const work = engine.exec(this.chain.root, input, this.ctx, undefined, '', '', undefined, { [RUN_INPUT_ID]: input }).subscribe({
      next: (v) => (output = v),
      error: (e) => this.finish(FlotillaError.is(e, 'aborted') ? 'cancelled' : 'failed', undefined, e),
      complete: () => this.finish('succeeded', output),
    });
    return this.finished ? undefined : work;
  }

  /** Cancellation by signal, and the run's deadline. */
  private arm(): void {
    const { signal, deadlineMs } = this.options;
    if (signal) {
      this.onAbort = () => this.stop('cancelled', Errors.aborted('run', signal.reason));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (deadlineMs !== undefined) this.armDeadline(deadlineMs, deadlineMs, this.options.deadlineAcross ?? 'attempt');
  }

  /** (Re)sets the run's deadline to fire in `remaining` ms. */
  private armDeadline(limit: number, remaining: number, across: 'attempt' | 'run'): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop('failed', deadlineError(limit, across)), remaining);
  }

  get events(): Observable<RunEvent> {
    return (this.eventStream ??= new Observable((s) => this.hub.subscribe(s)));
  }

  get result(): Promise<RunResult<O>> {
    if (!this.resultPromise) {
      const ended = this.ended;
      this.resultPromise = ended ? Promise.resolve(ended) : new Promise((resolve) => (this.resolve = resolve));
    }
    return this.resultPromise;
  }

  cancel(reason?: unknown): Promise<void> {
    this.stop('cancelled', Errors.aborted('run', reason));
    return this.result.then(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    return iterate(this.events);
  }

  /** A human step waits for a person: the run stops there and ends `waiting` (a durable run persists the question). */
  private pause(question: HumanQuestion): void {
    if (this.finished) return;
    this.waiting = question;
    this.ctx.emit({ type: 'run.waiting', runId: this.runId, at: this.ctx.now(), question });
    this.work?.unsubscribe();
    this.finish('waiting', undefined);
  }

  private stop(status: RunStatus, error: FlotillaError): void {
    if (this.finished) return;
    // Tears every span down (in-flight model calls are unsubscribed, which aborts them), then ends.
    this.work?.unsubscribe();
    this.finish(status, undefined, error);
  }

  private finish(status: RunStatus, out: unknown, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbort) this.options.signal?.removeEventListener('abort', this.onAbort);
    const ctx = this.ctx;
    // A resume that failed before its store answered has not said what it started on.
    if (ctx.trace.length === 0) ctx.emit({ type: 'run.start', runId: this.runId, at: 0, startedAt: Date.now() - ctx.now(), chain: this.chain.name, input: undefined });
    const result: RunResult<O> = {
      runId: this.runId,
      chain: this.chain.name,
      status,
      output: status === 'succeeded' ? (out as O) : undefined,
      error: error === undefined ? undefined : toErrorInfo(error),
      ...(this.waiting === undefined ? {} : { waiting: this.waiting }),
      steps: ctx.steps,
      usage: ctx.usage,
      modelCalls: ctx.modelCalls,
      variants: ctx.variants,
      durationMs: ctx.now(),
      trace: ctx.trace,
    };
    ctx.emit({ type: 'run.end', runId: this.runId, at: result.durationMs, result });
    this.work = undefined;
    this.onEnd?.(this);
    const journal = this.journal;
    if (journal) {
      // The result is given once the store says how the run ended (a failed write leaves it
      // "running", so it can still be resumed).
      const settle = () => {
        this.ended = result;
        this.resolve?.(result);
      };
      journal.end(result).then(() => {
        this.retention?.ended(status);
        settle();
      }, settle);
      return;
    }
    this.ended = result;
    this.resolve?.(result);
  }
}

function deadlineError(limit: number, across: 'attempt' | 'run'): FlotillaError {
  if (across === 'attempt') return new FlotillaError('budgetExceeded', `run deadline of ${limit} ms passed`, { details: { budget: 'deadlineMs', limit } });
  return new FlotillaError('budgetExceeded', `run deadline of ${limit} ms from the run's first start passed (deadlineAcross: 'run', counted across resumes)`, { details: { budget: 'deadlineMs', limit, across } });
}

function validateRunOptions(o: RunOptions): void {
  for (const key of ['deadlineMs', 'maxTokens', 'maxModelCalls', 'concurrency'] as const) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw Errors.config(`run option ${key}`, 'a number > 0', v);
  }
  if (o.deadlineAcross !== undefined && o.deadlineAcross !== 'attempt' && o.deadlineAcross !== 'run') throw Errors.config('run option deadlineAcross', "'attempt' or 'run'", o.deadlineAcross);
  if (o.runId !== undefined && !(typeof o.runId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(o.runId))) {
    throw Errors.config('run option runId', 'a string of 1 to 128 letters, digits, ".", "_", ":" or "-"', o.runId);
  }
}
