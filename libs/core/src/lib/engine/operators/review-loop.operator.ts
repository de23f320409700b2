import { type Observable, type OperatorFunction, concatMap, last, of } from 'rxjs';
import type { ReviewOutcome, ReviewRound } from '../steps';

export interface ReviewLoopOptions<I, A, V> {
  work: (input: I) => Observable<A>;
  review: (args: { input: I; artifact: A; round: number }) => Observable<V>;
  revise: (args: { input: I; artifact: A; verdict: V; round: number }) => Observable<A>;
  approved: (verdict: V) => boolean;
  maxRounds: number;
}

/**
 * Run, review, revise until a verdict approves or `maxRounds` reviews have been made.
 * Emits one outcome per input with every round's artifact and verdict.
 */
export function reviewLoop<I, A, V>(options: ReviewLoopOptions<I, A, V>): OperatorFunction<I, ReviewOutcome<A, V>> {
  if (!(options.maxRounds >= 1)) throw new RangeError(`reviewLoop maxRounds must be >= 1, got ${options.maxRounds}`);
  return concatMap((input: I) => {
    const rounds: ReviewRound<A, V>[] = [];
    const round = (artifact$: Observable<A>, r: number): Observable<ReviewOutcome<A, V>> =>
      artifact$.pipe(
        last(),
        concatMap((artifact) =>
          options.review({ input, artifact, round: r }).pipe(
            last(),
            concatMap((verdict) => {
              rounds.push({ round: r, artifact, verdict });
              const ok = options.approved(verdict);
              if (ok || r + 1 >= options.maxRounds) return of({ artifact, approved: ok, rounds });
              return round(options.revise({ input, artifact, verdict, round: r + 1 }), r + 1);
            }),
          ),
        ),
      );
    return round(options.work(input), 0);
  });
}
