import fc from 'fast-check';
import { PriorityQueue, type QueueEntry } from './priority-queue';

const entry = (priority: number, seq: number): QueueEntry => ({ priority, seq, removed: false });

describe('PriorityQueue', () => {
  it('pops by priority, then arrival, skipping removed entries', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.boolean())), (items) => {
        const q = new PriorityQueue<QueueEntry>();
        const all = items.map(([p], i) => entry(p, i));
        all.forEach((e) => q.push(e));
        items.forEach(([, drop], i) => drop && q.remove(all[i]!));
        const expected = all.filter((e) => !e.removed).sort((a, b) => b.priority - a.priority || a.seq - b.seq);
        expect(q.size).toBe(expected.length);
        const out: QueueEntry[] = [];
        for (let e = q.pop(); e; e = q.pop()) out.push(e);
        expect(out).toEqual(expected);
      }),
    );
  });
});
