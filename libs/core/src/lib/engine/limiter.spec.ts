import { NEVER, Observable, Subject, concat, merge, of, switchMap, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Limiter } from './limiter';

describe('Limiter', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('rejects a limit below 1', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
    expect(() => new Limiter(Number.NaN)).toThrow(RangeError);
  });

  it('runs at most `limit` at once and starts queued work as slots free', () => {
    const limiter = new Limiter(2);
    const seen: Array<[number, number, number]> = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('---a|');
      const b = cold('-b|');
      const c = cold('--c|');
      expectObservable(merge(limiter.run(a), limiter.run(b), limiter.run(c))).toBe('-b-ac|');
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(b.subscriptions).toBe('^-!');
      expectSubscriptions(c.subscriptions).toBe('--^--!');
      for (const t of [1, 3, 6]) testScheduler.schedule(() => seen.push([t, limiter.inFlight, limiter.waiting]), t);
    });
    expect(seen).toEqual([
      [1, 2, 1],
      [3, 2, 0],
      [6, 0, 0],
    ]);
  });

  it('starts queued work by priority, highest first, first come within a priority', () => {
    const limiter = new Limiter(1);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const occupant = cold('-o|');
      const low = cold('-l|');
      const high = cold('-h|');
      const mid = cold('-m|');
      const high2 = cold('-H|');
      const all = merge(limiter.run(occupant), limiter.run(low), limiter.run(high, 5), limiter.run(mid, 1), limiter.run(high2, 5));
      expectObservable(all).toBe('-o-h-H-m-l|');
      expectSubscriptions(high.subscriptions).toBe('--^-!');
      expectSubscriptions(high2.subscriptions).toBe('----^-!');
      expectSubscriptions(mid.subscriptions).toBe('------^-!');
      expectSubscriptions(low.subscriptions).toBe('--------^-!');
    });
  });

  it('unsubscribing a queued item removes it without ever subscribing its inner', () => {
    const limiter = new Limiter(1);
    const waiting: number[] = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('----a|');
      const b = cold('-b|');
      const c = cold('-c|');
      expectObservable(limiter.run(a)).toBe('----a|');
      expectObservable(limiter.run(b), '^-!').toBe('---');
      expectObservable(limiter.run(c)).toBe('------c|');
      expectSubscriptions(b.subscriptions).toBe([]);
      expectSubscriptions(c.subscriptions).toBe('-----^-!');
      for (const t of [1, 3]) testScheduler.schedule(() => waiting.push(limiter.waiting), t);
    });
    expect(waiting).toEqual([2, 1]);
    expect(limiter.inFlight).toBe(0);
  });

  it('unsubscribing a running item tears its inner down and frees its slot', () => {
    const limiter = new Limiter(1);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--------a|');
      const b = cold('-b|');
      expectObservable(limiter.run(a), '^--!').toBe('---');
      expectObservable(limiter.run(b)).toBe('----b|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^-!');
    });
    expect(limiter.inFlight).toBe(0);
  });

  it('an error passes through and frees the slot', () => {
    const limiter = new Limiter(1);
    const boom = new Error('boom');
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('--#', undefined, boom);
      const b = cold('-b|');
      expectObservable(limiter.run(a)).toBe('--#', undefined, boom);
      expectObservable(limiter.run(b)).toBe('---b|');
      expectSubscriptions(b.subscriptions).toBe('--^-!');
    });
    expect(limiter.inFlight).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('passes the time spent queued to onStart (0 when a slot was free)', () => {
    const now = jest.spyOn(performance, 'now').mockImplementation(() => testScheduler.now());
    try {
      const limiter = new Limiter(1);
      const onA = jest.fn();
      const onB = jest.fn();
      const onC = jest.fn();
      testScheduler.run(({ cold, expectObservable }) => {
        const a = cold('-----a|');
        const b = cold('-b|');
        const c = cold('-c|');
        expectObservable(limiter.run(a, 0, onA)).toBe('-----a|');
        expectObservable(limiter.run(b, 0, onB)).toBe('-------b|');
        // c asks at 2 and gets a slot when b ends at 8
        expectObservable(cold('--x').pipe(switchMap(() => limiter.run(c, 0, onC)))).toBe('---------c');
      });
      expect(onA.mock.calls).toEqual([[0]]);
      expect(onB.mock.calls).toEqual([[6]]);
      expect(onC.mock.calls).toEqual([[6]]);
    } finally {
      now.mockRestore();
    }
  });

  it('work that completes synchronously holds no slot and lets the queue drain in order', () => {
    const limiter = new Limiter(1);
    const order: string[] = [];
    const gate = new Subject<string>();
    limiter.run(gate).subscribe((v) => order.push(v));
    limiter.run(of('b1', 'b2')).subscribe((v) => order.push(v));
    limiter.run(of('c')).subscribe((v) => order.push(v));
    expect(limiter.waiting).toBe(2);
    gate.next('a');
    gate.complete();
    expect(order).toEqual(['a', 'b1', 'b2', 'c']);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it('queued work unsubscribed synchronously during its first emission is torn down and frees its slot', () => {
    const limiter = new Limiter(1);
    let innerTornDown = false;
    const inner = new Observable<string>((subscriber) => {
      subscriber.next('first');
      return () => (innerTornDown = true);
    });
    const gate = new Subject<void>();
    limiter.run(gate).subscribe();
    const seen: string[] = [];
    limiter
      .run(concat(inner, NEVER))
      .pipe(take(1))
      .subscribe((v) => seen.push(v));
    gate.complete();
    expect(seen).toEqual(['first']);
    expect(innerTornDown).toBe(true);
    expect(limiter.inFlight).toBe(0);
  });
});
