import { Subscription } from 'rxjs';
import type { Step, StepContext, StepNode, StepType } from './step';

export interface MapNode extends StepNode {
  readonly fn: (value: unknown, ctx: StepContext) => unknown;
}

/** A function of the user's over the value (no model call). */
export const MAP: StepType<MapNode> = {
  kind: 'map',
  start(node, value, exec) {
    exec.next(exec.call(node.fn, value, 'map function'));
    exec.complete();
    return Subscription.EMPTY;
  },
  children: () => [],
};

/** Turns the value into another with a (deterministic) function of yours. */
export function map<I, O>(fn: (value: I, ctx: StepContext) => O, options: { id?: string } = {}): Step<I, O> {
  return { type: MAP, fn, ...(options.id !== undefined && { id: options.id }) } as MapNode as Step<I, O>;
}

/** A step kind of its own that computes its output like `map` (the chain language's `template` and `value`). */
export function mapKind(kind: string): StepType<MapNode> {
  return { ...MAP, kind };
}
