import type { Observable, Unsubscribable } from 'rxjs';

/**
 * A step of a chain, typed by the value it takes (`I`) and the one it gives (`O`). Steps are
 * plain values built by the step builders (`step.call`, `step.sequence`, ...); what a step
 * does is its `type`. A step is also a `Ref` to its own output: give it an `id` and later
 * steps read that output with `ctx.get(theStep)`.
 */
export interface Step<I = unknown, O = unknown> extends StepNode, Ref<O> {
  /** Phantom: carries the types, never read at run time. */
  readonly __io?: (input: I) => O;
}

/** What the engine sees of any step: its kind and its optional id. */
export interface StepNode {
  readonly type: StepType<StepNode>;
  /**
   * Names the step: its segment of the step key (in place of its position) and, for
   * `ctx.get(step)`, the name its output is kept under while the run lasts.
   */
  readonly id?: string;
}

/** Something whose value a step can read with `ctx.get(ref)`: a step with an `id`, or the run input. */
export interface Ref<T> {
  readonly id?: string;
  /** Phantom: never read at run time. */
  readonly __out?: T;
}

/** What step functions (an `input`, a `map`, a fan-out's `over`, a branch's `if`) get besides the value. */
export interface StepContext {
  /** The run input (given a `Ref` from `defineChain`), or the latest output of a step with an `id` in scope. */
  get<T>(ref: Ref<T>): T;
  /** Step outputs and variables by name, as the chain language reads them (`input`, `item`, `index`, ids). */
  readonly vars: Readonly<Record<string, unknown>>;
}

/** A child of a step, for keys, validation and hashing: its segment and the child. */
export interface ChildStep {
  /** Its place in the parent (`0`, `step`, `work`, ...), used in its key unless it has an `id`. */
  readonly segment: string;
  readonly step: StepNode;
}

/**
 * The behaviour of one step kind, shared by every step of that kind: the registry is the
 * steps themselves (each carries its type), so a new kind is a new `StepType` and a builder,
 * and touches no switch in the engine.
 */
export interface StepType<N extends StepNode> {
  /** The kind's name in events, traces and chain files. */
  readonly kind: string;
  /**
   * Starts the step on `value`: report its one output with `exec.next(output)` then
   * `exec.complete()`, or fail with `exec.error(e)`; return what cancels the work.
   */
  start(node: N, value: unknown, exec: StepExecution): Unsubscribable;
  /** The steps nested in this one, in order (keys, validation, hashing). */
  children(node: N): readonly ChildStep[];
  /** Checks the step's own options before any run; throws a `config` FlotillaError naming `at`. */
  validate?(node: N, at: string): void;
  /** Engine attributes of the step's `step.start` event (the call kind names its agent and model). */
  describe?(node: N, exec: StepExecution): StepAttributes | undefined;
}

/** Extra attributes of a step's start event. */
export interface StepAttributes {
  agent?: string;
  model?: string;
  variant?: string;
}

/** One execution of a step, as its type sees it: where it reports, and how it runs its children. */
export interface StepExecution {
  /** The step's key (stable across runs; see docs/architecture.md). */
  readonly key: string;
  /** The step's display name: its id, else its agent, else its kind. */
  readonly name: string;
  readonly context: StepContext;
  next(output: unknown): void;
  error(error: unknown): void;
  complete(): void;
  /**
   * Runs a child step on `value` as an Observable of its output. Its key is this step's key
   * plus the child's id or `segment`, plus `suffix` (`[i]` for a fan-out item, `#r` for a
   * review round); `vars` adds variables visible to it and its descendants (fan-out `item`).
   */
  run(child: StepNode, value: unknown, segment: string, suffix?: string, index?: number, vars?: Record<string, unknown>): Observable<unknown>;
  /** Calls one of the user's step functions; what it throws fails the step as `userCode`. */
  call<A, R>(fn: (value: A, ctx: StepContext) => R, value: A, what: string): R;
}
