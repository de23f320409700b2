import { Limiter, type LimiterWaiter } from './limiter';

// The limiter's accounting; its behaviour inside the engine (queueing calls, priorities,
// cancellation while queued) is covered by the call path's marble tests (agent-call.spec.ts).

const waiter = (name: string, priority: number, log: string[]): LimiterWaiter => ({ priority, grant: () => log.push(name) });

describe('Limiter', () => {
  it('rejects a limit below 1', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
    expect(() => new Limiter(Number.NaN)).toThrow(RangeError);
  });

  it('grants at most `limit` slots, then queues by priority, first come within a priority', () => {
    const log: string[] = [];
    const l = new Limiter(1);
    expect(l.acquire(waiter('first', 0, log))).toBe(true);
    for (const [name, p] of [['low', 0], ['high', 5], ['mid', 1], ['high2', 5]] as const) expect(l.acquire(waiter(name, p, log))).toBe(false);
    expect(l.waiting).toBe(4);
    for (let i = 0; i < 4; i++) l.release();
    expect(log).toEqual(['high', 'high2', 'mid', 'low']);
    expect(l.inFlight).toBe(1);
  });

  it('a withdrawn waiter is never granted', () => {
    const log: string[] = [];
    const l = new Limiter(1);
    l.acquire(waiter('a', 0, log));
    const b = waiter('b', 0, log);
    l.acquire(b);
    l.acquire(waiter('c', 0, log));
    l.withdraw(b);
    l.release();
    expect(log).toEqual(['c']);
  });

  it('holds freed slots back while a teardown runs, and hands them on when it ends', () => {
    const log: string[] = [];
    const l = new Limiter(1);
    l.acquire(waiter('running', 0, log));
    const queued = waiter('queued-in-the-torn-down-subtree', 0, log);
    l.acquire(queued);
    l.acquire(waiter('other-run', 0, log));
    Limiter.during(() => {
      l.release(); // the running call is torn down first...
      Limiter.during(() => l.withdraw(queued)); // ...then the queued one, in a nested teardown
      expect(log).toEqual([]);
    });
    expect(log).toEqual(['other-run']);
    expect(l.inFlight).toBe(1);
  });
});
