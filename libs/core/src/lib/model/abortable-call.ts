import { Observable } from 'rxjs';
import { Errors } from '../errors/errors';
import type { FlotillaError } from '../errors/flotilla-error';

/**
 * The skeleton of every adapter's chat call: runs `produce` as a cold Observable with a
 * fresh AbortController per subscription. Unsubscribing aborts the producer's signal
 * (attach it to the HTTP request or the engine sequence); aborting the caller's `signal`
 * aborts it too and ends the stream with an `aborted` error. A producer that rejects
 * after the stream closed is ignored; otherwise its error goes through `mapError`.
 */
export function abortableCall<T>(
  signal: AbortSignal | undefined,
  produce: (signal: AbortSignal, emit: (value: T) => void) => Promise<void>,
  mapError: (error: unknown) => FlotillaError,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let open = true;
    const onAbort = () => {
      if (!open) return;
      open = false;
      controller.abort(signal?.reason);
      subscriber.error(Errors.aborted('model call', signal?.reason));
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    produce(controller.signal, (value) => {
      if (open) subscriber.next(value);
    }).then(
      () => {
        if (!open) return;
        open = false;
        subscriber.complete();
      },
      (error: unknown) => {
        if (!open) return;
        open = false;
        subscriber.error(mapError(error));
      },
    );
    return () => {
      signal?.removeEventListener('abort', onAbort);
      if (open) {
        open = false;
        controller.abort(Errors.aborted('model call'));
      }
    };
  });
}
