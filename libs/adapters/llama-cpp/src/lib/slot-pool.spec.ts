import { FlotillaError } from '@flotilla/core';
import { SlotPool } from './slot-pool';

describe('SlotPool', () => {
  it('grants up to `slots` at once and hands a released slot to the next waiter', async () => {
    const pool = new SlotPool(2, Infinity, 'm');
    await pool.acquire();
    await pool.acquire();
    let third = false;
    const p = pool.acquire().then(() => (third = true));
    await Promise.resolve();
    expect({ active: pool.active, queued: pool.queued, third }).toEqual({ active: 2, queued: 1, third: false });
    pool.release();
    await p;
    expect({ active: pool.active, queued: pool.queued }).toEqual({ active: 2, queued: 0 });
    pool.release();
    pool.release();
    expect(pool.idle).toBe(true);
  });

  it('serves waiters by priority, then arrival', async () => {
    const pool = new SlotPool(1, Infinity, 'm');
    await pool.acquire();
    const order: string[] = [];
    const wait = (name: string, priority: number) => pool.acquire(priority).then(() => order.push(name));
    const all = [wait('a', 0), wait('b', 1), wait('c', 0), wait('d', 1)];
    for (let i = 0; i < 4; i++) {
      pool.release();
      await Promise.resolve();
    }
    pool.release();
    await Promise.all(all);
    expect(order).toEqual(['b', 'd', 'a', 'c']);
  });

  it('refuses beyond maxQueue as overloaded', async () => {
    const pool = new SlotPool(1, 1, "model 'm'");
    await pool.acquire();
    const queued = pool.acquire();
    const e = await pool.acquire().catch((err: unknown) => err);
    expect(FlotillaError.is(e, 'overloaded')).toBe(true);
    expect((e as FlotillaError).details).toMatchObject({ slots: 1, queued: 1, maxQueue: 1 });
    pool.release();
    await queued;
  });

  it('an aborted waiter leaves the queue with an aborted error', async () => {
    const pool = new SlotPool(1, Infinity, 'm');
    await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(0, controller.signal).catch((err: unknown) => err);
    expect(pool.queued).toBe(1);
    controller.abort();
    expect(FlotillaError.is(await waiting, 'aborted')).toBe(true);
    expect(pool.queued).toBe(0);
    pool.release();
    expect(pool.idle).toBe(true);
    const pre = new AbortController();
    pre.abort();
    expect(FlotillaError.is(await pool.acquire(0, pre.signal).catch((err: unknown) => err), 'aborted')).toBe(true);
  });

  it('rejectAll fails every waiter', async () => {
    const pool = new SlotPool(1, Infinity, 'm');
    await pool.acquire();
    const waits = [pool.acquire().catch((e: unknown) => e), pool.acquire().catch((e: unknown) => e)];
    pool.rejectAll(new Error('closing'));
    expect((await Promise.all(waits)).map((e) => (e as Error).message)).toEqual(['closing', 'closing']);
  });
});
