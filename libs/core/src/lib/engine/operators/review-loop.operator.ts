import { EmptyError, type Observable, type OperatorFunction, Observable as RxObservable, type Subscriber, type Subscription } from 'rxjs';
import type { ReviewOutcome, ReviewRound } from '../../steps/review-loop.step';

export interface ReviewLoopOptions<I, A, V> {
  work: (input: I) => Observable<A>;
  review: (args: { input: I; artifact: A; round: number }) => Observable<V>;
  revise: (args: { input: I; artifact: A; verdict: V; round: number }) => Observable<A>;
  until: (verdict: V) => boolean;
  maxRounds: number;
}

/**
 * Run, review, revise until a verdict ends the loop (`until`) or `maxRounds` reviews have been made.
 * Emits one outcome per input with every round's artifact and verdict; inputs are taken
 * one at a time (as concatMap would). Each phase uses its observable's last value and
 * errors with `EmptyError` when it has none.
 */
export function reviewLoop<I, A, V>(options: ReviewLoopOptions<I, A, V>): OperatorFunction<I, ReviewOutcome<A, V>> {
  if (!(options.maxRounds >= 1)) throw new RangeError(`reviewLoop maxRounds must be >= 1, got ${options.maxRounds}`);
  return (source) =>
    new RxObservable<ReviewOutcome<A, V>>((subscriber) => {
      const loop = new ReviewLoopRun(options, subscriber);
      subscriber.add(loop);
      subscriber.add(
        source.subscribe({
          next: (input) => loop.push(input),
          error: (e) => subscriber.error(e),
          complete: () => loop.end(),
        }),
      );
    });
}

const WORK = 0;
const REVIEW = 1;
const REVISE = 2;

/**
 * The loop as a small state machine (one object per subscription, no operator chain):
 * the engine runs one per review-loop step, so it stays cheap.
 */
class ReviewLoopRun<I, A, V> {
  private readonly pending: I[] = [];
  private busy = false;
  private sourceDone = false;
  private closed = false;
  private input!: I;
  private rounds: ReviewRound<A, V>[] = [];
  private round = 0;
  private artifact!: A;
  private phase = WORK;
  private has = false;
  private last: unknown;
  private inner: Subscription | undefined;

  constructor(
    private readonly o: ReviewLoopOptions<I, A, V>,
    private readonly out: Subscriber<ReviewOutcome<A, V>>,
  ) {}

  push(input: I): void {
    if (this.busy) this.pending.push(input);
    else this.begin(input);
  }

  end(): void {
    this.sourceDone = true;
    if (!this.busy) this.out.complete();
  }

  unsubscribe(): void {
    this.closed = true;
    this.inner?.unsubscribe();
    this.inner = undefined;
  }

  private begin(input: I): void {
    this.busy = true;
    this.input = input;
    this.rounds = [];
    this.round = 0;
    this.run(WORK, () => this.o.work(input));
  }

  private run(phase: number, make: () => Observable<unknown>): void {
    if (this.closed) return;
    this.phase = phase;
    this.has = false;
    let obs: Observable<unknown>;
    try {
      obs = make();
    } catch (e) {
      this.out.error(e);
      return;
    }
    const sub = obs.subscribe(this);
    if (!sub.closed) this.inner = sub;
  }

  // Observer of the current phase.
  next(value: unknown): void {
    this.has = true;
    this.last = value;
  }

  error(e: unknown): void {
    this.out.error(e);
  }

  complete(): void {
    this.inner = undefined;
    if (!this.has) {
      this.out.error(new EmptyError());
      return;
    }
    if (this.phase === REVIEW) return this.reviewed(this.last as V);
    this.artifact = this.last as A;
    const { input, artifact, round } = this;
    this.run(REVIEW, () => this.o.review({ input, artifact, round }));
  }

  private reviewed(verdict: V): void {
    const { input, artifact, round } = this;
    this.rounds.push({ round, artifact, verdict });
    let ok: boolean;
    try {
      ok = this.o.until(verdict);
    } catch (e) {
      this.out.error(e);
      return;
    }
    if (!ok && round + 1 < this.o.maxRounds) {
      this.round = round + 1;
      this.run(REVISE, () => this.o.revise({ input, artifact, verdict, round: round + 1 }));
      return;
    }
    this.busy = false;
    this.out.next({ artifact, approved: ok, rounds: this.rounds });
    if (this.pending.length > 0) this.begin(this.pending.shift()!);
    else if (this.sourceDone) this.out.complete();
  }
}
