import type { Ref, Step, StepNode } from './step';

/** The ref of a run's input: `ctx.get(input)` in any step function. */
export const RUN_INPUT_ID = 'input';

/** A named step tree with typed input and output, as the code API and chain files build it. */
export interface Chain<I = unknown, O = unknown> {
  readonly name: string;
  readonly root: StepNode;
  /**
   * The chain's version, set by its author: part of the chain's identity for durable runs.
   * Changing what a step function does without changing it is not detected.
   */
  readonly version?: string;
  /**
   * For a chain compiled from a file: a hash of the file and everything it includes (prompt
   * files), part of the chain's identity for durable runs.
   */
  readonly sourceHash?: string;
  /** Phantom types: never read at run time. */
  readonly __types?: (input: I) => O;
}

export interface ChainOptions {
  version?: string;
}

/**
 * Names a step tree as a chain. Pass the root step, or a function that gets a `Ref` to the
 * run input (read it with `ctx.get(input)` anywhere in the chain) and returns the root step.
 */
export function defineChain<I, O>(name: string, root: Step<I, O> | ((input: Ref<I>) => Step<I, O>), options: ChainOptions = {}): Chain<I, O> {
  const node = typeof root === 'function' ? root({ id: RUN_INPUT_ID }) : root;
  return { name, root: node, ...(options.version !== undefined && { version: options.version }) };
}
