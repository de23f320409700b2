import { of } from 'rxjs';
import { branch as branchOperator } from '../engine/operators/branch.operator';
import type { ChildStep, Step, StepContext, StepNode, StepType } from './step';

export interface BranchNode extends StepNode {
  readonly if: (value: unknown, ctx: StepContext) => boolean;
  readonly then: StepNode;
  readonly else?: StepNode;
}

/** Runs `then` when `if` holds for the value, else `else` (or passes the value through). */
export const BRANCH: StepType<BranchNode> = {
  kind: 'branch',
  start(node, value, exec) {
    const otherwise = node.else;
    return of(value)
      .pipe(
        branchOperator(
          (v) => exec.call(node.if, v, 'branch if'),
          (v) => exec.run(node.then, v, 'then'),
          otherwise ? (v) => exec.run(otherwise, v, 'else') : undefined,
        ),
      )
      .subscribe(exec);
  },
  children: (node): ChildStep[] => [{ segment: 'then', step: node.then }, ...(node.else ? [{ segment: 'else', step: node.else }] : [])],
};

export interface BranchOptions<I, T, E> {
  id?: string;
  if: (value: I, ctx: StepContext) => boolean;
  then: Step<I, T>;
  /** When absent, the value passes through. */
  else?: Step<I, E>;
}

export function branch<I, T, E>(options: BranchOptions<I, T, E> & { else: Step<I, E> }): Step<I, T | E>;
export function branch<I, T>(options: BranchOptions<I, T, never>): Step<I, T | I>;
export function branch<I, T, E>(options: BranchOptions<I, T, E>): Step<I, T | E | I>;
export function branch<I, T, E>(options: BranchOptions<I, T, E>): Step<I, T | E | I> {
  return { type: BRANCH, ...options } as unknown as BranchNode as Step<I, T | E | I>;
}
