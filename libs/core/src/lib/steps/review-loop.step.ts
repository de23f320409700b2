import { of } from 'rxjs';
import { Errors } from '../errors/errors';
import { reviewLoop as reviewLoopOperator } from '../engine/operators/review-loop.operator';
import type { Step, StepNode, StepType } from './step';

export const DEFAULT_REVIEW_ROUNDS = 3;

/** What the review step of round `round` receives. */
export interface ReviewInput<I, A> {
  input: I;
  artifact: A;
  round: number;
}
/** What the revise step of round `round` receives (the verdict of the round before). */
export interface ReviseInput<I, A, V> extends ReviewInput<I, A> {
  verdict: V;
}
export interface ReviewRound<A = unknown, V = unknown> {
  round: number;
  artifact: A;
  verdict: V;
}
/** The output of a review loop: the last artifact, whether `until` held, and every round. */
export interface ReviewOutcome<A = unknown, V = unknown> {
  artifact: A;
  approved: boolean;
  rounds: ReviewRound<A, V>[];
}

export interface ReviewLoopNode extends StepNode {
  readonly work: StepNode;
  readonly review: StepNode;
  readonly revise: StepNode;
  readonly until: (verdict: unknown) => boolean;
  readonly maxRounds?: number;
}

/** Work, then review and revise until `until(verdict)` holds or `maxRounds` reviews were made. */
export const REVIEW_LOOP: StepType<ReviewLoopNode> = {
  kind: 'reviewLoop',
  start(node, value, exec) {
    return of(value)
      .pipe(
        reviewLoopOperator({
          work: (v) => exec.run(node.work, v, 'work'),
          review: (args) => exec.run(node.review, args, 'review', `#${args.round}`, args.round),
          revise: (args) => exec.run(node.revise, args, 'revise', `#${args.round}`, args.round),
          until: (verdict) => exec.call(node.until, verdict, 'reviewLoop until'),
          maxRounds: node.maxRounds ?? DEFAULT_REVIEW_ROUNDS,
        }),
      )
      .subscribe(exec);
  },
  children: (node) => [
    { segment: 'work', step: node.work },
    { segment: 'review', step: node.review },
    { segment: 'revise', step: node.revise },
  ],
  validate(node, at) {
    if (node.maxRounds !== undefined && !(Number.isInteger(node.maxRounds) && node.maxRounds >= 1)) {
      throw Errors.config(`${at} maxRounds`, 'a whole number >= 1', node.maxRounds);
    }
  },
};

export interface ReviewLoopOptions<V> {
  id?: string;
  /** Ends the loop when it holds for a verdict. */
  until: (verdict: V) => boolean;
  /** Reviews at most. @default 3 */
  maxRounds?: number;
}

/**
 * Work, then review and revise until `until(verdict)` holds or `maxRounds` reviews were made:
 * `work` makes the first artifact from the loop's input; `review` gets `{ input, artifact,
 * round }` and gives a verdict; `revise` gets `{ input, artifact, verdict, round }` and gives
 * the next artifact. (Positional, so that each step's types follow from the ones before it.)
 */
export function reviewLoop<I, A, V>(work: Step<I, A>, review: Step<ReviewInput<I, A>, V>, revise: Step<ReviseInput<I, A, V>, A>, options: ReviewLoopOptions<V>): Step<I, ReviewOutcome<A, V>> {
  return { type: REVIEW_LOOP, work, review, revise, ...options } as unknown as ReviewLoopNode as Step<I, ReviewOutcome<A, V>>;
}
