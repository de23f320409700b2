import { type ObservableInput, type OperatorFunction, type Subscriber, type Subscription, Observable, from } from 'rxjs';

/**
 * For each array the source emits, runs `project` on every item with at most
 * `concurrency` in flight, and emits the results in item order once all have finished
 * (each branch's last value). The first branch error fails the whole fan-out and cancels
 * the branches still running.
 */
export function fanOut<T, R>(
  project: (item: T, index: number) => ObservableInput<R>,
  concurrency: number,
): OperatorFunction<readonly T[], R[]> {
  if (!(concurrency >= 1)) throw new RangeError(`fanOut concurrency must be >= 1, got ${concurrency}`);
  return (source) =>
    new Observable<R[]>((subscriber) => {
      const state = { active: 0, sourceDone: false };
      subscriber.add(
        source.subscribe({
          next(items) {
            if (items.length === 0) subscriber.next([]);
            else {
              state.active++;
              new FanOutBatch(items, project, concurrency, subscriber, state).pump();
            }
          },
          error: (err) => subscriber.error(err),
          complete() {
            state.sourceDone = true;
            if (state.active === 0) subscriber.complete();
          },
        }),
      );
    });
}

/** One array's fan-out: its results, its cursor, and the branches in flight. */
class FanOutBatch<T, R> {
  readonly results: R[];
  private next = 0;
  private finished = 0;
  private running = 0;
  private failed = false;

  constructor(
    private readonly items: readonly T[],
    private readonly project: (item: T, index: number) => ObservableInput<R>,
    private readonly concurrency: number,
    private readonly out: Subscriber<R[]>,
    private readonly state: { active: number; sourceDone: boolean },
  ) {
    this.results = new Array<R>(items.length);
  }

  pump(): void {
    while (!this.failed && this.running < this.concurrency && this.next < this.items.length) this.start(this.next++);
  }

  /** A finished branch leaves the outer subscription's teardown list, so long streams do not grow it. */
  detach(sub: Subscription): void {
    this.out.remove(sub);
  }

  fail(err: unknown): void {
    this.failed = true;
    this.out.error(err);
  }

  settle(index: number, has: boolean, value: R): void {
    this.running--;
    if (!has) return this.fail(new Error(`fanOut branch ${index} completed without a value`));
    this.results[index] = value;
    if (++this.finished === this.items.length) {
      this.out.next(this.results);
      if (--this.state.active === 0 && this.state.sourceDone) this.out.complete();
    } else this.pump();
  }

  private start(index: number): void {
    this.running++;
    // A throwing project must fail the fan-out: thrown inside the source's next(),
    // rxjs would only report it as unhandled and the fan-out would never settle.
    let branch$: Observable<R>;
    try {
      branch$ = from(this.project(this.items[index]!, index));
    } catch (err) {
      this.running--;
      return this.fail(err);
    }
    const branch = new FanOutBranch(this, index);
    const sub = branch$.subscribe(branch);
    if (!sub.closed) {
      branch.sub = sub;
      this.out.add(sub);
    }
  }
}

/** Observes one branch; leaves the outer subscription's teardown list when it ends. */
class FanOutBranch<T, R> {
  sub: Subscription | undefined;
  private has = false;
  private value!: R;

  constructor(
    private readonly batch: FanOutBatch<T, R>,
    private readonly index: number,
  ) {}

  next(value: R): void {
    this.has = true;
    this.value = value;
  }

  error(err: unknown): void {
    this.batch.fail(err);
  }

  complete(): void {
    if (this.sub) this.batch.detach(this.sub);
    this.batch.settle(this.index, this.has, this.value);
  }
}
