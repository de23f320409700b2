import type { AgentClass, AgentInput, AgentOutput, FlotillaAgent } from '../agents/agent-options';

/** Outputs of named steps (`as`), the run input under `input`, fan-out `item` / `index`. */
export type Scope = Readonly<Record<string, unknown>>;

export type AgentRef = string | AgentClass;

interface StepBase {
  /** Name in traces; defaults to a path such as `root/2/fanOut`. */
  name?: string;
  /** Stores the step's output in the scope under this name. */
  as?: string;
}

export interface CallStep extends StepBase {
  kind: 'call';
  agent: AgentRef;
  input?: (value: unknown, scope: Scope) => unknown;
}
export interface SequenceStep extends StepBase {
  kind: 'sequence';
  steps: readonly Step[];
}
export interface MapStep extends StepBase {
  kind: 'map';
  fn: (value: unknown, scope: Scope) => unknown;
}
export interface FanOutStep extends StepBase {
  kind: 'fanOut';
  items: (value: unknown, scope: Scope) => readonly unknown[];
  step: Step;
  /** Branches in flight at once. Model calls still share the run-wide budget. @default 4 */
  concurrency?: number;
}
export interface ReviewLoopStep extends StepBase {
  kind: 'reviewLoop';
  /** Produces the first artifact from the loop's input. */
  work: Step;
  /** Gets `{ input, artifact, round }`, returns a verdict. */
  review: Step;
  /** Gets `{ input, artifact, verdict, round }`, returns the next artifact. */
  revise: Step;
  approved: (verdict: unknown) => boolean;
  /** Reviews at most. @default 3 */
  maxRounds?: number;
}
export interface BranchStep extends StepBase {
  kind: 'branch';
  when: (value: unknown, scope: Scope) => boolean;
  then: Step;
  /** When absent, the value passes through. */
  otherwise?: Step;
}

export type Step = CallStep | SequenceStep | MapStep | FanOutStep | ReviewLoopStep | BranchStep;

/** A named step tree with typed input and output, as the code API and chain files build it. */
export interface Chain<I = unknown, O = unknown> {
  readonly name: string;
  readonly root: Step;
  /** Phantom types: never read at run time. */
  readonly __types?: (input: I) => O;
}

export interface ReviewRound<A = unknown, V = unknown> {
  round: number;
  artifact: A;
  verdict: V;
}
export interface ReviewOutcome<A = unknown, V = unknown> {
  artifact: A;
  approved: boolean;
  rounds: ReviewRound<A, V>[];
}

// Builders: thin, typed constructors of the step tree.
export const step = {
  call<A extends FlotillaAgent<never, unknown>>(
    agent: AgentClass<A> | string,
    options: Omit<CallStep, 'kind' | 'agent'> = {},
  ): CallStep & { __out?: AgentOutput<A>; __in?: AgentInput<A> } {
    return { kind: 'call', agent, ...options };
  },
  sequence(steps: readonly Step[], options: Omit<SequenceStep, 'kind' | 'steps'> = {}): SequenceStep {
    return { kind: 'sequence', steps, ...options };
  },
  map(fn: MapStep['fn'], options: Omit<MapStep, 'kind' | 'fn'> = {}): MapStep {
    return { kind: 'map', fn, ...options };
  },
  fanOut(options: Omit<FanOutStep, 'kind'>): FanOutStep {
    return { kind: 'fanOut', ...options };
  },
  reviewLoop(options: Omit<ReviewLoopStep, 'kind'>): ReviewLoopStep {
    return { kind: 'reviewLoop', ...options };
  },
  branch(options: Omit<BranchStep, 'kind'>): BranchStep {
    return { kind: 'branch', ...options };
  },
} as const;

export function defineChain<I, O>(name: string, root: Step): Chain<I, O> {
  return { name, root };
}
