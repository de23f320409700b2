import { NEVER, type SchedulerAction, asyncScheduler, type SchedulerLike, Subscription, concat, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { FlotillaError } from '../../errors/flotilla-error';
import type { ChatEvent } from '../../model/chat-event';
import { type Deadlines, withDeadlines } from './with-deadlines.operator';

const deadlines: Deadlines = { firstTokenMs: 10, stallMs: 5, totalMs: 50 };

const values: Record<string, ChatEvent> = {
  d: { type: 'delta', text: 'x' },
  t: { type: 'toolCall', call: { id: '1', name: 'search', arguments: {} } } as ChatEvent,
  l: { type: 'loading', expectedLoadMs: 20 },
  q: { type: 'queued', ticket: 7 },
  s: { type: 'dispatched', endpoint: 'gpu-1', ticket: 7 },
  f: {
    type: 'final',
    message: { role: 'assistant', content: 'x' },
    finishReason: 'stop',
    usage: { promptTokens: 1, completionTokens: 1 },
    timings: {},
    model: 'm',
  } as ChatEvent,
};

const timeout = (retryable: boolean, details: Record<string, unknown>) =>
  expect.objectContaining({ name: 'FlotillaError', kind: 'timeout', retryable, details: expect.objectContaining(details) });

/** A scheduler that only records what is scheduled, so tests can see armed and cancelled timers. */
function recordingScheduler() {
  const scheduled: Array<{ delay: number; subscription: Subscription }> = [];
  const scheduler: SchedulerLike = {
    now: () => 0,
    schedule(_work: (this: SchedulerAction<unknown>, state?: unknown) => void, delay = 0): Subscription {
      const subscription = new Subscription();
      scheduled.push({ delay, subscription });
      return subscription;
    },
  };
  return { scheduler, scheduled };
}

describe('withDeadlines', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('passes events and completion through when every deadline is met', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatEvent>('--d---d-d----t(f|)', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('--d---d-d----t(f|)', values);
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  it('fails with a retryable first-token timeout when nothing arrives in time', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatEvent>('20ms d|', values);
      const error = timeout(true, { deadline: 'firstToken', limitMs: 10, phase: 'waiting', elapsedMs: 10 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('10ms #', values, error);
      expectSubscriptions(source.subscriptions).toBe('^ 9ms !');
    });
  });

  it('the error is a FlotillaError (brand check)', () => {
    let caught: unknown;
    testScheduler.run(({ cold }) => {
      cold<ChatEvent>('-').pipe(withDeadlines(deadlines, testScheduler)).subscribe({ error: (e) => (caught = e) });
    });
    expect(FlotillaError.is(caught, 'timeout')).toBe(true);
  });

  it('a final event alone does not count as the first token', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('-f 20ms |', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('-f 8ms #', values, timeout(true, { deadline: 'firstToken' }));
    });
  });

  it('fails with a stall timeout when the gap between events exceeds stallMs', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      // deltas at 2, 6 and 10 (gaps of 4 < 5), then silence: stall at 15
      const source = cold<ChatEvent>('--d---d---d 20ms |', values);
      const error = timeout(true, { deadline: 'stall', limitMs: 5, phase: 'generating', elapsedMs: 15 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('--d---d---d----#', values, error);
      expectSubscriptions(source.subscriptions).toBe('^ 14ms !');
    });
  });

  it('a tool call starts generation like a delta', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('---t 20ms |', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('---t----#', values, timeout(true, { deadline: 'stall' }));
    });
  });

  it('fails with a total timeout even when tokens keep coming', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatEvent>('-' + 'd---'.repeat(20), values);
      const error = timeout(true, { deadline: 'total', limitMs: 50, phase: 'generating', elapsedMs: 50 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('-' + 'd---'.repeat(12) + 'd#', values, error);
      expectSubscriptions(source.subscriptions).toBe('^ 49ms !');
    });
  });

  it('time in a router queue (queued -> dispatched) counts against no deadline; all three start at dispatch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Queued for 100 (twice the total deadline), dispatched at 101, first token 9 later.
      const source = cold<ChatEvent>('q 99ms s 8ms d---(f|)', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('q 99ms s 8ms d---(f|)', values);
    });
  });

  it('after dispatch the first-token deadline runs from the dispatch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('q 29ms s 30ms d|', values);
      const error = timeout(true, { deadline: 'firstToken', limitMs: 10, elapsedMs: 10 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('q 29ms s 9ms #', values, error);
    });
  });

  it('the total deadline also starts at dispatch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('q 39ms s--' + 'd---'.repeat(20), values);
      const error = timeout(true, { deadline: 'total', limitMs: 50, elapsedMs: 50 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('q 39ms s--' + 'd---'.repeat(11) + 'd--#', values, error);
    });
  });

  it('a dispatched event without a queued one (dispatched at once) changes nothing', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('s 20ms d|', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('s 9ms #', values, timeout(true, { deadline: 'firstToken', limitMs: 10 }));
    });
  });

  it('a loading event extends the first-token deadline by expectedLoadMs', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // without the load the first token (at 25) would be late (10); with it the deadline is 30
      const source = cold<ChatEvent>('---l 21ms d-(f|)', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('---l 21ms d-(f|)', values);
    });
  });

  it('a timeout while the model loads is not retryable and reports phase loading', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatEvent>('---l 40ms d|', values);
      const error = timeout(false, { deadline: 'firstToken', limitMs: 30, phase: 'loading', elapsedMs: 30 });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('---l 26ms #', values, error);
      expectSubscriptions(source.subscriptions).toBe('^ 29ms !');
    });
  });

  it('a timeout after the load, once generating, is retryable again', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('-l 20ms d 20ms |', values);
      // loading at 1, delta at 22, stall at 27
      const error = timeout(true, { deadline: 'stall', phase: 'generating' });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('-l 20ms d----#', values, error);
    });
  });

  it('a loading event emitted synchronously on subscribe extends the first deadline too', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = concat(of(values['l']!), cold<ChatEvent>('40ms d|', values));
      const error = timeout(false, { deadline: 'firstToken', limitMs: 30, phase: 'loading' });
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('l 29ms #', values, error);
    });
  });

  it('a total timeout during a load is not retryable', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const long = { l: { type: 'loading', expectedLoadMs: 500 } as ChatEvent };
      const source = cold<ChatEvent>('l 100ms |', long);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('l 49ms #', long, timeout(false, { deadline: 'total', phase: 'loading' }));
    });
  });

  it('without a scheduler the deadlines run on real timers', async () => {
    const started = Date.now();
    const error = await lastValueFrom(NEVER.pipe(withDeadlines({ firstTokenMs: 20, stallMs: 20, totalMs: 1000 }))).catch((e: unknown) => e);
    expect(error).toEqual(timeout(true, { deadline: 'firstToken', limitMs: 20 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('passes source errors through unchanged', () => {
    const boom = new FlotillaError('unavailable', 'connection reset');
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<ChatEvent>('--d-#', values, boom);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler))).toBe('--d-#', values, boom);
    });
  });

  it('unsubscription tears down the source and cancels the timers', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<ChatEvent>('--d-d 30ms |', values);
      expectObservable(source.pipe(withDeadlines(deadlines, testScheduler)), '---!').toBe('--d', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    const { scheduler, scheduled } = recordingScheduler();
    const sub = concat(of(values['d']!), NEVER).pipe(withDeadlines(deadlines, scheduler)).subscribe();
    // One timer, armed at the nearest deadline (the stall, here).
    expect(scheduled.map((s) => s.delay)).toEqual([Math.min(deadlines.stallMs, deadlines.totalMs)]);
    expect(scheduled.every((s) => !s.subscription.closed)).toBe(true);
    sub.unsubscribe();
    expect(scheduled.every((s) => s.subscription.closed)).toBe(true);
  });

  describe('synchronous sources', () => {
    it('a stream that completes synchronously arms no timers', async () => {
      const { scheduler, scheduled } = recordingScheduler();
      const events = await lastValueFrom(of(values['d']!, values['f']!).pipe(withDeadlines(deadlines, scheduler), toArray()));
      expect(events).toEqual([values['d'], values['f']]);
      expect(scheduled).toEqual([]);
    });

    it('completes synchronously with a real scheduler and schedules nothing on it', () => {
      const schedule = jest.spyOn(asyncScheduler, 'schedule');
      try {
        const seen: ChatEvent[] = [];
        let completed = false;
        of(values['d']!, values['f']!)
          .pipe(withDeadlines({ firstTokenMs: 1, stallMs: 1, totalMs: 1 }, asyncScheduler))
          .subscribe({ next: (e) => seen.push(e), complete: () => (completed = true) });
        expect(completed).toBe(true);
        expect(seen).toHaveLength(2);
        expect(schedule).not.toHaveBeenCalled();
      } finally {
        schedule.mockRestore();
      }
    });

    it('completes synchronously with the default timers', () => {
      let completed = false;
      of(values['d']!, values['f']!)
        .pipe(withDeadlines({ firstTokenMs: 1, stallMs: 1, totalMs: 1 }))
        .subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true);
    });

    it('a stream that errors synchronously arms no timers', () => {
      const { scheduler, scheduled } = recordingScheduler();
      const boom = new Error('boom');
      let caught: unknown;
      throwError(() => boom)
        .pipe(withDeadlines(deadlines, scheduler))
        .subscribe({ error: (e) => (caught = e) });
      expect(caught).toBe(boom);
      expect(scheduled).toEqual([]);
    });

    it('a synchronous first event that leaves the stream open arms one timer at the nearest deadline', () => {
      const { scheduler, scheduled } = recordingScheduler();
      const sub = concat(of(values['l']!), NEVER).pipe(withDeadlines(deadlines, scheduler)).subscribe();
      expect(scheduled.map((s) => s.delay)).toEqual([Math.min(deadlines.firstTokenMs + 20, deadlines.totalMs)]);
      sub.unsubscribe();
    });

    it('a synchronous unsubscribe downstream (take) leaves no timer running', () => {
      const { scheduler, scheduled } = recordingScheduler();
      const seen: ChatEvent[] = [];
      concat(of(values['d']!), NEVER)
        .pipe(withDeadlines(deadlines, scheduler), take(1))
        .subscribe((e) => seen.push(e));
      expect(seen).toEqual([values['d']]);
      expect(scheduled.every((s) => s.subscription.closed)).toBe(true);
    });
  });
});
