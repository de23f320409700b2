import { FlotillaError } from '../errors/flotilla-error';
import { abortableCall } from './abortable-call';

const toError = (e: unknown) => FlotillaError.from(e, 'unavailable');

/** A producer that emits every 10 ms until aborted, recording what its signal saw. */
function ticking(seen: { aborted: boolean; emitted: number }) {
  return (signal: AbortSignal, emit: (n: number) => void) =>
    new Promise<void>((resolve, reject) => {
      // Five values 10 ms apart, then done (counted, not timed: a loaded machine may be slow).
      const t = setInterval(() => {
        emit(++seen.emitted);
        if (seen.emitted === 5) {
          clearInterval(t);
          resolve();
        }
      }, 10);
      signal.addEventListener('abort', () => {
        seen.aborted = true;
        clearInterval(t);
        reject(new Error('aborted'));
      });
    });
}

describe('abortableCall', () => {
  it('emits what the producer emits and completes when it resolves', async () => {
    const seen = { aborted: false, emitted: 0 };
    const values: number[] = [];
    await new Promise<void>((done) => abortableCall(undefined, ticking(seen), toError).subscribe({ next: (v) => values.push(v), complete: done }));
    expect(values).toEqual([1, 2, 3, 4, 5]);
    expect(seen.aborted).toBe(false);
  });

  it('aborts the producer on unsubscribe and emits nothing after', async () => {
    const seen = { aborted: false, emitted: 0 };
    const values: number[] = [];
    const sub = abortableCall(undefined, ticking(seen), toError).subscribe((v) => values.push(v));
    await new Promise((r) => setTimeout(r, 25));
    sub.unsubscribe();
    const count = values.length;
    await new Promise((r) => setTimeout(r, 40));
    expect(seen.aborted).toBe(true);
    expect(values).toHaveLength(count);
  });

  it("ends with an aborted error when the caller's signal aborts, and aborts the producer", async () => {
    const seen = { aborted: false, emitted: 0 };
    const controller = new AbortController();
    const error = await new Promise<unknown>((done) => {
      abortableCall(controller.signal, ticking(seen), toError).subscribe({ error: done });
      setTimeout(() => controller.abort(), 15);
    });
    expect(FlotillaError.is(error, 'aborted')).toBe(true);
    expect(seen.aborted).toBe(true);
  });

  it('fails at once for an already-aborted signal without running the producer', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const error = await new Promise<unknown>((done) =>
      abortableCall(controller.signal, async () => void (ran = true), toError).subscribe({ error: done }),
    );
    expect(FlotillaError.is(error, 'aborted')).toBe(true);
    expect(ran).toBe(false);
  });

  it('maps producer errors through mapError', async () => {
    const error = await new Promise<unknown>((done) =>
      abortableCall(undefined, async () => Promise.reject(new Error('socket hang up')), (e) => new FlotillaError('unavailable', String((e as Error).message))).subscribe({
        error: done,
      }),
    );
    expect(error).toMatchObject({ kind: 'unavailable', message: 'socket hang up' });
  });
});
