import { type ObservableInput, type OperatorFunction, Observable, from } from 'rxjs';

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
      let active = 0;
      let sourceDone = false;
      const outer = source.subscribe({
        next(items) {
          const n = items.length;
          const results = new Array<R>(n);
          if (n === 0) {
            subscriber.next(results);
            return;
          }
          active++;
          let next = 0;
          let finished = 0;
          let running = 0;
          let failed = false;
          const pump = (): void => {
            while (!failed && running < concurrency && next < n) start();
          };
          const start = (): void => {
            const index = next++;
            running++;
            let has = false;
            let value!: R;
            // A throwing project must fail the fan-out: thrown inside the source's next(),
            // rxjs would only report it as unhandled and the fan-out would never settle.
            let branch$: Observable<R>;
            try {
              branch$ = from(project(items[index]!, index));
            } catch (err) {
              running--;
              failed = true;
              subscriber.error(err);
              return;
            }
            const sub = branch$.subscribe({
              next(v) {
                has = true;
                value = v;
              },
              error(err) {
                failed = true;
                subscriber.error(err);
              },
              complete() {
                running--;
                if (!has) {
                  failed = true;
                  subscriber.error(new Error(`fanOut branch ${index} completed without a value`));
                  return;
                }
                results[index] = value;
                finished++;
                if (finished === n) {
                  subscriber.next(results);
                  if (--active === 0 && sourceDone) subscriber.complete();
                } else pump();
              },
            });
            subscriber.add(sub);
          };
          pump();
        },
        error: (err) => subscriber.error(err),
        complete() {
          sourceDone = true;
          if (active === 0) subscriber.complete();
        },
      });
      subscriber.add(outer);
    });
}
