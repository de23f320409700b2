import { defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { FlotillaError } from '../../errors/flotilla-error';
import { type RetryPolicy, backoffDelay, withRetry } from './with-retry.operator';

describe('withRetry', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const unavailable = new FlotillaError('unavailable', 'server down');
  /** Returns the given numbers in turn, then repeats the last one. */
  const sequence = (...values: number[]) => {
    let i = 0;
    return () => values[Math.min(i++, values.length - 1)]!;
  };
  const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
    retries: 3,
    baseDelayMs: 10,
    maxDelayMs: 40,
    random: () => 0.5,
    scheduler: testScheduler,
    ...overrides,
  });

  describe('backoffDelay', () => {
    it('draws uniformly below min(max, base * 2^(attempt-1)) and floors', () => {
      expect(backoffDelay(1, 100, 1000, () => 0.999)).toBe(99);
      expect(backoffDelay(2, 100, 1000, () => 0.5)).toBe(100);
      expect(backoffDelay(3, 100, 1000, () => 0.25)).toBe(100);
      expect(backoffDelay(5, 100, 1000, () => 0.5)).toBe(500); // ceiling 1600 capped at 1000
      expect(backoffDelay(4, 100, 1000, () => 0)).toBe(0);
    });
  });

  it('passes values and completion through when the source succeeds', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b|');
      expectObservable(source.pipe(withRetry(policy()))).toBe('-a-b|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('resubscribes on retryable errors after full-jitter backoff, up to `retries` times', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', undefined, unavailable);
      // base 10, max 40, random 0.5: delays 5, 10, 20 (ceilings 10, 20, 40).
      // attempt 1: 0..2, wait 5; attempt 2: 7..9, wait 10; attempt 3: 19..21, wait 20; attempt 4: 41..43.
      expectObservable(source.pipe(withRetry(policy()))).toBe('a------a-----------a---------------------a-#', undefined, unavailable);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '7ms ^-!', '19ms ^-!', '41ms ^-!']);
    });
  });

  it('waits floor(random * min(max, base * 2^(n-1))) virtual ms before retry n', () => {
    const delays: Array<[number, number]> = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', undefined, unavailable);
      const result = source.pipe(
        withRetry(
          policy({
            retries: 4,
            baseDelayMs: 100,
            maxDelayMs: 300,
            random: sequence(0.5, 0.25, 0.999, 0.7),
            onRetry: (_e, n, ms) => delays.push([n, ms]),
          }),
        ),
      );
      // ceilings 100, 200, 300 (400 capped), 300 (800 capped) -> 50, 50, 299, 210
      expectObservable(result).toBe('609ms #', undefined, unavailable);
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '50ms (^!)', '100ms (^!)', '399ms (^!)', '609ms (^!)']);
    });
    expect(delays).toEqual([
      [1, 50],
      [2, 50],
      [3, 299],
      [4, 210],
    ]);
  });

  it('recovers when a later attempt succeeds', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold('-#', undefined, unavailable);
      const working = cold('-a|');
      let n = 0;
      const source = defer(() => (n++ === 0 ? failing : working));
      // fails at 1, waits 5, succeeds 6..8
      expectObservable(source.pipe(withRetry(policy()))).toBe('-------a|');
      expectSubscriptions(failing.subscriptions).toBe('^!');
      expectSubscriptions(working.subscriptions).toBe('6ms ^-!');
    });
  });

  it('retries `immediate` errors with zero delay', () => {
    const delays: number[] = [];
    const badOutput = new FlotillaError('badOutput', 'not JSON');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, badOutput);
      const result = source.pipe(
        withRetry(policy({ retries: 2, random: () => 0.99, immediate: (e) => e.kind === 'badOutput', onRetry: (_e, _n, ms) => delays.push(ms) })),
      );
      expectObservable(result).toBe('------#', undefined, badOutput);
      expectSubscriptions(source.subscriptions).toBe(['^-!', '--^-!', '----^-!']);
    });
    expect(delays).toEqual([0, 0]);
  });

  it('mixes immediate and backed-off retries by error', () => {
    const delays: number[] = [];
    const badOutput = new FlotillaError('badOutput', 'not JSON');
    testScheduler.run(({ cold, expectObservable }) => {
      let n = 0;
      const source = defer(() => cold('-#', undefined, n++ === 0 ? badOutput : unavailable));
      const result = source.pipe(withRetry(policy({ retries: 2, immediate: (e) => e.kind === 'badOutput', onRetry: (_e, _n, ms) => delays.push(ms) })));
      // attempt 1 fails at 1 (immediate), attempt 2 fails at 2 (wait 10: ceiling 20 for retry 2), attempt 3 fails at 13
      expectObservable(result).toBe('-------------#', undefined, unavailable);
    });
    expect(delays).toEqual([0, 10]);
  });

  it.each([
    ['a non-retryable kind', new FlotillaError('badRequest', 'bad')],
    ['a retryable kind marked retryable:false', new FlotillaError('timeout', 'load', { retryable: false })],
    ['a foreign Error', new Error('boom')],
    ['a non-error value', 'oops'],
  ])('passes %s through at once', (_name, error) => {
    const onRetry = jest.fn();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', undefined, error);
      expectObservable(source.pipe(withRetry(policy({ onRetry })))).toBe('a-#', undefined, error);
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('a non-retryable error after retryable ones ends the retries', () => {
    const bad = new FlotillaError('badRequest', 'bad');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('-#', undefined, unavailable);
      const second = cold('-#', undefined, bad);
      let n = 0;
      const source = defer(() => (n++ === 0 ? first : second));
      expectObservable(source.pipe(withRetry(policy()))).toBe('-------#', undefined, bad);
      expectSubscriptions(second.subscriptions).toBe('6ms ^!');
    });
  });

  it('with retries: 0 the first error passes through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, unavailable);
      expectObservable(source.pipe(withRetry(policy({ retries: 0 })))).toBe('-#', undefined, unavailable);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('calls onRetry before each retry with the error, 1-based attempt and delay', () => {
    const onRetry = jest.fn();
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('-#', undefined, unavailable);
      expectObservable(source.pipe(withRetry(policy({ retries: 2, onRetry })))).toBe('18ms #', undefined, unavailable);
    });
    expect(onRetry.mock.calls).toEqual([
      [unavailable, 1, 5],
      [unavailable, 2, 10],
    ]);
  });

  it('uses the default (virtualised) async scheduler when none is given', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, unavailable);
      const { scheduler: _omit, ...rest } = policy({ retries: 1 });
      expectObservable(source.pipe(withRetry(rest))).toBe('-------#', undefined, unavailable);
      expectSubscriptions(source.subscriptions).toBe(['^!', '6ms ^!']);
    });
  });

  it('unsubscribing during a backoff wait cancels the retry: no resubscription', () => {
    const onRetry = jest.fn();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', undefined, unavailable);
      // error at 2, retry would resubscribe at 7; unsubscribe at 4
      expectObservable(source.pipe(withRetry(policy({ onRetry }))), '----!').toBe('a---');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('unsubscribing during an attempt tears that attempt down', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('--#', undefined, unavailable);
      expectObservable(source.pipe(withRetry(policy())), '--------!').toBe('--------');
      expectSubscriptions(source.subscriptions).toBe(['^-!', '7ms ^!']);
    });
  });
});
