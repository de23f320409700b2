import { of } from 'rxjs';
import { Errors } from '../errors/errors';
import { fanOut as fanOutOperator } from '../engine/operators/fan-out.operator';
import type { Step, StepContext, StepNode, StepType } from './step';

export const DEFAULT_FAN_OUT_CONCURRENCY = 4;

export interface FanOutNode extends StepNode {
  readonly over: (value: unknown, ctx: StepContext) => readonly unknown[];
  readonly step: StepNode;
  readonly concurrency?: number;
}

/**
 * Runs its step once per item of a list, at most `concurrency` at once, and gives the
 * outputs in item order. Item `i` runs with key `<fan-out>/step[i]` (or its id) and sees
 * `item` and `index` as variables.
 */
export const FAN_OUT: StepType<FanOutNode> = {
  kind: 'fanOut',
  start(node, value, exec) {
    const items = exec.call(node.over, value, 'fanOut over');
    if (!Array.isArray(items)) throw Errors.userCode(new TypeError(`expected a list, got ${items === null ? 'null' : typeof items}`), { fn: 'fanOut over', step: exec.key || exec.name });
    return of(items as readonly unknown[])
      .pipe(fanOutOperator((item, i) => exec.run(node.step, item, 'step', `[${i}]`, i, { item, index: i }), node.concurrency ?? DEFAULT_FAN_OUT_CONCURRENCY))
      .subscribe(exec);
  },
  children: (node) => [{ segment: 'step', step: node.step }],
  validate(node, at) {
    if (node.concurrency !== undefined && !(node.concurrency >= 1)) throw Errors.config(`${at} concurrency`, 'a number >= 1', node.concurrency);
  },
};

export interface FanOutOptions<I, T, R> {
  id?: string;
  /** The list to fan out over, from the value the step receives. */
  over: (value: I, ctx: StepContext) => readonly T[];
  /** Runs once per item. */
  step: Step<T, R>;
  /** Items in flight at once; model calls still share the run-wide budget. @default 4 */
  concurrency?: number;
}

/** Runs `step` on every item of `over`'s list, in parallel up to `concurrency`; the outputs in item order. */
export function fanOut<I, T, R>(options: FanOutOptions<I, T, R>): Step<I, R[]> {
  return { type: FAN_OUT, ...options } as unknown as FanOutNode as Step<I, R[]>;
}
