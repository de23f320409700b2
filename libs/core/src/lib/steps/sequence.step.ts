import { Subscription, type Unsubscribable } from 'rxjs';
import type { ChildStep, Step, StepExecution, StepNode, StepType } from './step';

export interface SequenceNode extends StepNode {
  readonly steps: readonly StepNode[];
}

/** Runs its steps one after another, each getting the previous one's output. */
export const SEQUENCE: StepType<SequenceNode> = {
  kind: 'sequence',
  start(node, value, exec): Unsubscribable {
    if (node.steps.length === 0) {
      exec.next(value);
      exec.complete();
      return Subscription.EMPTY;
    }
    return new SequenceRun(node.steps, exec).step(0, value);
  },
  children: (node): ChildStep[] => node.steps.map((step, i) => ({ segment: String(i), step })),
};

/** The state of one sequence execution; it observes each step in turn (no operator chain). */
class SequenceRun {
  private last: unknown;
  private index = 0;
  private inner: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly steps: readonly StepNode[],
    private readonly exec: StepExecution,
  ) {}

  step(i: number, value: unknown): this {
    if (this.closed) return this;
    this.index = i;
    const sub = this.exec.run(this.steps[i]!, value, SEGMENTS[i] ?? String(i)).subscribe(this);
    if (!sub.closed) this.inner = sub;
    return this;
  }

  next(value: unknown): void {
    this.last = value;
  }

  error(e: unknown): void {
    this.exec.error(e);
  }

  complete(): void {
    this.inner = undefined;
    if (this.index + 1 < this.steps.length) this.step(this.index + 1, this.last);
    else {
      this.exec.next(this.last);
      this.exec.complete();
    }
  }

  unsubscribe(): void {
    this.closed = true;
    this.inner?.unsubscribe();
  }
}

/** Segment names of the first positions, so keys cost no number formatting. */
const SEGMENTS = Array.from({ length: 32 }, (_, i) => String(i));

type S<I, O> = Step<I, O>;

/**
 * Steps run in order; each gets the previous one's output, and types must line up. (A
 * sequence's output is its last step's: give that step an id to read it by reference.)
 */
export function sequence<A, B>(s1: S<A, B>): S<A, B>;
export function sequence<A, B, C>(s1: S<A, B>, s2: S<B, C>): S<A, C>;
export function sequence<A, B, C, D>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>): S<A, D>;
export function sequence<A, B, C, D, E>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>, s4: S<D, E>): S<A, E>;
export function sequence<A, B, C, D, E, F>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>, s4: S<D, E>, s5: S<E, F>): S<A, F>;
export function sequence<A, B, C, D, E, F, G>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>, s4: S<D, E>, s5: S<E, F>, s6: S<F, G>): S<A, G>;
export function sequence<A, B, C, D, E, F, G, H>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>, s4: S<D, E>, s5: S<E, F>, s6: S<F, G>, s7: S<G, H>): S<A, H>;
export function sequence<A, B, C, D, E, F, G, H, J>(s1: S<A, B>, s2: S<B, C>, s3: S<C, D>, s4: S<D, E>, s5: S<E, F>, s6: S<F, G>, s7: S<G, H>, s8: S<H, J>): S<A, J>;
export function sequence(...steps: StepNode[]): Step<unknown, unknown> {
  return { type: SEQUENCE, steps } as SequenceNode;
}

/** A sequence with an id, or of a list built at run time (untyped: the chain language uses it). */
export function sequenceOf(steps: readonly StepNode[], options: { id?: string } = {}): Step<unknown, unknown> {
  return { type: SEQUENCE, steps, ...(options.id !== undefined && { id: options.id }) } as SequenceNode;
}
