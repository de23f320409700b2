import { type Observable, type OperatorFunction, concatMap, of } from 'rxjs';

/** Routes each value to `then` or `otherwise` by a predicate; without `otherwise` it passes through. */
export function branch<T, R>(
  predicate: (value: T) => boolean,
  then: (value: T) => Observable<R>,
  otherwise?: (value: T) => Observable<R>,
): OperatorFunction<T, R | T> {
  return concatMap((value: T): Observable<R | T> => {
    if (predicate(value)) return then(value);
    return otherwise ? otherwise(value) : of(value);
  });
}
