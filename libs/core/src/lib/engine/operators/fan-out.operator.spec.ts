import { type Observable, Subject, of, throwError } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { fanOut } from './fan-out.operator';

type Cold = ReturnType<RunHelpers['cold']>;
type SubscriptionLog = Cold['subscriptions'][number];

/** Most subscriptions open at the same virtual frame across all logs. */
function maxOverlap(logs: SubscriptionLog[]): number {
  const edges = logs.flatMap((l) => [
    [l.subscribedFrame, 1],
    [l.unsubscribedFrame, -1],
  ]);
  // at equal frames, closing comes before opening: a slot freed at frame t may be reused at t
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (open += d!));
  return max;
}

describe('fanOut', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('rejects a concurrency below 1', () => {
    expect(() => fanOut(() => of(1), 0)).toThrow(RangeError);
    expect(() => fanOut(() => of(1), Number.NaN)).toThrow(RangeError);
  });

  it('keeps at most `concurrency` branches in flight and starts queued ones as slots free', () => {
    let inners: Cold[] = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      inners = [cold('---a|'), cold('-b|'), cold('----c|'), cold('-d|'), cold('--e|')];
      const source = cold('(x|)', { x: [0, 1, 2, 3, 4] });
      expectObservable(source.pipe(fanOut((i: number) => inners[i]!, 2))).toBe('9ms (r|)', { r: ['a', 'b', 'c', 'd', 'e'] });
      expectSubscriptions(inners[0]!.subscriptions).toBe('^---!');
      expectSubscriptions(inners[1]!.subscriptions).toBe('^-!');
      expectSubscriptions(inners[2]!.subscriptions).toBe('--^----!');
      expectSubscriptions(inners[3]!.subscriptions).toBe('----^-!');
      expectSubscriptions(inners[4]!.subscriptions).toBe('------^--!');
    });
    expect(maxOverlap(inners.flatMap((o) => o.subscriptions))).toBe(2);
  });

  it('emits results in item order even when later items finish first, each branch giving its last value', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const inners: Record<string, Observable<string>> = {
        x: cold('-----p-q|', { p: 'x1', q: 'x2' }),
        y: cold('---y|'),
        z: cold('-z|'),
      };
      const source = cold('(s|)', { s: ['x', 'y', 'z'] });
      expectObservable(source.pipe(fanOut((k: string) => inners[k]!, 3))).toBe('8ms (r|)', { r: ['x2', 'y', 'z'] });
    });
  });

  it('passes the item and its index to project', () => {
    const project = jest.fn((item: string, index: number) => of(`${item}${index}`));
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('(s|)', { s: ['a', 'b'] }).pipe(fanOut(project, 4))).toBe('(r|)', { r: ['a0', 'b1'] });
    });
    expect(project.mock.calls).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
  });

  it('accepts any ObservableInput from project (promises, arrays)', async () => {
    const results: number[][] = [];
    await new Promise<void>((resolve, reject) =>
      of([1, 2, 3])
        .pipe(fanOut((n: number) => (n === 2 ? Promise.resolve(n * 10) : [n, n * 10]), 2))
        .subscribe({ next: (r) => results.push(r), error: reject, complete: resolve }),
    );
    expect(results).toEqual([[10, 20, 30]]);
  });

  it('handles synchronous branches without starting more than there are items', () => {
    const project = jest.fn((n: number, _index: number) => of(n * 2));
    const results: number[][] = [];
    let completed = false;
    of([1, 2, 3])
      .pipe(fanOut(project, 2))
      .subscribe({ next: (r) => results.push(r), complete: () => (completed = true) });
    expect(results).toEqual([[2, 4, 6]]);
    expect(completed).toBe(true);
    expect(project.mock.calls.map((c) => c[1])).toEqual([0, 1, 2]);
    expect(results[0]).toHaveLength(3);
  });

  it('bounds concurrency when some branches are synchronous and others are not', () => {
    let slow: Cold[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      slow = [cold('--a|'), cold('---b|'), cold('-c|')];
      const project = (i: number): Observable<unknown> => (i % 2 === 0 ? of(`s${i}`) : slow[(i - 1) / 2]!);
      // items 0, 2, 4 are synchronous; 1, 3, 5 take 3, 4 and 2 frames
      const source = cold('(x|)', { x: [0, 1, 2, 3, 4, 5] });
      expectObservable(source.pipe(fanOut(project, 2))).toBe('5ms (r|)', { r: ['s0', 'a', 's2', 'b', 's4', 'c'] });
    });
    expect(maxOverlap(slow.flatMap((o) => o.subscriptions))).toBe(2);
  });

  it('emits [] for an empty list', () => {
    const project = jest.fn(() => of(1));
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-(x|)', { x: [] as number[] }).pipe(fanOut(project, 2))).toBe('-(r|)', { r: [] });
    });
    expect(project).not.toHaveBeenCalled();
  });

  it('a branch error fails the whole and unsubscribes the running branches; queued ones never start', () => {
    const boom = new Error('boom');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const inners = [cold('-----a|'), cold('--#', undefined, boom), cold('------c|'), cold('-d|')];
      const source = cold('(x|)', { x: [0, 1, 2, 3] });
      expectObservable(source.pipe(fanOut((i: number) => inners[i]!, 3))).toBe('--#', undefined, boom);
      expectSubscriptions(inners[0]!.subscriptions).toBe('^-!');
      expectSubscriptions(inners[1]!.subscriptions).toBe('^-!');
      expectSubscriptions(inners[2]!.subscriptions).toBe('^-!');
      expectSubscriptions(inners[3]!.subscriptions).toBe([]);
    });
  });

  it('a project that throws fails the whole and cancels the running branches', () => {
    const boom = new Error('bad item');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('---a|');
      const project = (i: number) => {
        if (i === 1) throw boom;
        return first;
      };
      const source = cold('-(x|)', { x: [0, 1] });
      expectObservable(source.pipe(fanOut(project, 2))).toBe('-#', undefined, boom);
      expectSubscriptions(first.subscriptions).toBe('-(^!)');
    });
  });

  it('a synchronous branch error stops the fan-out from starting further branches', () => {
    const boom = new Error('boom');
    const project = jest.fn((i: number) => (i === 0 ? throwError(() => boom) : of(i)));
    let caught: unknown;
    of([0, 1, 2]).pipe(fanOut(project, 3)).subscribe({ error: (e) => (caught = e) });
    expect(caught).toBe(boom);
    expect(project).toHaveBeenCalledTimes(1);
  });

  it('a branch that completes without a value fails the fan-out', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const inners = [cold('----a|'), cold('--|')];
      const source = cold('(x|)', { x: [0, 1] });
      const error = expect.objectContaining({ message: 'fanOut branch 1 completed without a value' });
      expectObservable(source.pipe(fanOut((i: number) => inners[i]!, 2))).toBe('--#', undefined, error);
      expectSubscriptions(inners[0]!.subscriptions).toBe('^-!');
    });
  });

  it('outer unsubscription cancels the running branches and the source', () => {
    testScheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const inners = [cold('-----a|'), cold('------b|'), cold('-c|')];
      const source = hot('-x----', { x: [0, 1, 2] });
      expectObservable(source.pipe(fanOut((i: number) => inners[i]!, 2)), '^--!').toBe('----');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(inners[0]!.subscriptions).toBe('-^-!');
      expectSubscriptions(inners[1]!.subscriptions).toBe('-^-!');
      expectSubscriptions(inners[2]!.subscriptions).toBe([]);
    });
  });

  it('a source error fails the fan-out and cancels the running branches', () => {
    const boom = new Error('source');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('-----a|');
      const source = cold('x--#', { x: [0] }, boom);
      expectObservable(source.pipe(fanOut(() => inner, 2))).toBe('---#', undefined, boom);
      expectSubscriptions(inner.subscriptions).toBe('^--!');
    });
  });

  it('handles several source arrays and completes only after the last fan-in', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // item n takes n frames and yields n * 10
      const project = (n: number) => cold(`${'-'.repeat(n)}(v|)`, { v: n * 10 });
      const source = cold('x-y|', { x: [3, 1], y: [4] });
      expectObservable(source.pipe(fanOut(project, 2))).toBe('---a--(b|)', { a: [30, 10], b: [40] });
    });
  });

  it('completes when the source completes after every fan-in is done', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('x-----|', { x: [1] });
      expectObservable(source.pipe(fanOut((n: number) => cold('-(v|)', { v: n }), 2))).toBe('-a----|', { a: [1] });
    });
  });

  it('does not emit again or mutate an emitted result array', () => {
    const branches = [new Subject<number>(), new Subject<number>()];
    const results: number[][] = [];
    of([0, 1])
      .pipe(fanOut((i: number) => branches[i]!, 2))
      .subscribe((r) => results.push(r));
    branches[1]!.next(11);
    branches[1]!.complete();
    branches[0]!.next(10);
    branches[0]!.complete();
    expect(results).toEqual([[10, 11]]);
    expect(branches.every((b) => !b.observed)).toBe(true);
  });
});
