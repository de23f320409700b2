import { type Observable, last, map } from 'rxjs';
import type { ChatEvent, FinalEvent } from './chat-event';
import { FlotillaError } from '../errors/flotilla-error';

/** Reduces a chat stream to its final event; an empty stream is a truncated one. */
export function finalEvent(events: Observable<ChatEvent>): Observable<FinalEvent> {
  return events.pipe(
    last((e): e is FinalEvent => e.type === 'final', undefined as unknown as FinalEvent),
    map((e) => {
      if (e === undefined) throw new FlotillaError('unavailable', 'model stream ended without a final event');
      return e;
    }),
  );
}
