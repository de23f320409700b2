import { TestScheduler } from 'rxjs/testing';
import { branch } from './branch.operator';

const isEven = (n: number) => n % 2 === 0;

describe('branch', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('routes matching values to `then` and the others to `otherwise`', () => {
    const then = jest.fn();
    const otherwise = jest.fn();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const then$ = cold('-(x|)', { x: 20 });
      const otherwise$ = cold('--(y|)', { y: -3 });
      then.mockReturnValue(then$);
      otherwise.mockReturnValue(otherwise$);
      const source = cold('-a-b|', { a: 2, b: 3 });
      expectObservable(source.pipe(branch(isEven, then, otherwise))).toBe('--x--(y|)', { x: 20, y: -3 });
      expectSubscriptions(then$.subscriptions).toBe('-^!');
      expectSubscriptions(otherwise$.subscriptions).toBe('---^-!');
    });
    expect(then.mock.calls).toEqual([[2]]);
    expect(otherwise.mock.calls).toEqual([[3]]);
  });

  it('passes non-matching values through unchanged without `otherwise`', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', { a: 1, b: 2, c: 3 });
      const then = (n: number) => cold('(x|)', { x: n * 10 });
      expectObservable(source.pipe(branch(isEven, then))).toBe('-a-x-c|', { a: 1, x: 20, c: 3 });
    });
  });

  it('emits every value of the chosen branch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const then = () => cold('x-y|', { x: 'x', y: 'y' });
      expectObservable(cold('a|', { a: 2 }).pipe(branch(isEven, then))).toBe('x-y|', { x: 'x', y: 'y' });
    });
  });

  it('runs one value at a time, in order', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('---(x|)', { x: 'even' });
      const fast = cold('(y|)', { y: 'odd' });
      const source = cold('ab|', { a: 2, b: 3 });
      // b arrives at 1 but waits for a's branch to end at 3
      expectObservable(source.pipe(branch(isEven, () => slow, () => fast))).toBe('---(xy|)', { x: 'even', y: 'odd' });
      expectSubscriptions(slow.subscriptions).toBe('^--!');
      expectSubscriptions(fast.subscriptions).toBe('---(^!)');
    });
  });

  it('propagates an error from `then`', () => {
    const boom = new Error('then');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b|', { a: 2, b: 4 });
      expectObservable(source.pipe(branch(isEven, () => cold('-#', undefined, boom)))).toBe('-#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('propagates an error from `otherwise`', () => {
    const boom = new Error('otherwise');
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: 1 });
      expectObservable(source.pipe(branch(isEven, () => cold('(x|)'), () => cold('--#', undefined, boom)))).toBe('--#', undefined, boom);
    });
  });

  it('propagates a throwing predicate', () => {
    const boom = new Error('predicate');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-|', { a: 1 });
      const predicate = () => {
        throw boom;
      };
      expectObservable(source.pipe(branch(predicate, () => cold('(x|)')))).toBe('-#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('propagates a source error', () => {
    const boom = new Error('source');
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', { a: 1 }, boom).pipe(branch(isEven, () => cold('(x|)')))).toBe('a-#', { a: 1 }, boom);
    });
  });

  it('unsubscription cancels the branch in flight and the source', () => {
    testScheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const then$ = cold('-----(x|)', { x: 'x' });
      const source = hot('-a--b', { a: 2, b: 4 });
      expectObservable(source.pipe(branch(isEven, () => then$)), '^---!').toBe('-----');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(then$.subscriptions).toBe('-^--!');
    });
  });
});
