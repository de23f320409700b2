import { EmptyError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { type ReviewLoopOptions, reviewLoop } from './review-loop.operator';

interface Verdict {
  ok: boolean;
}
const yes: Verdict = { ok: true };
const no: Verdict = { ok: false };

describe('reviewLoop', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const options = (o: Partial<ReviewLoopOptions<string, string, Verdict>>): ReviewLoopOptions<string, string, Verdict> => ({
    work: () => {
      throw new Error('work not stubbed');
    },
    review: () => {
      throw new Error('review not stubbed');
    },
    revise: () => {
      throw new Error('revise not stubbed');
    },
    until: (v) => v.ok,
    maxRounds: 3,
    ...o,
  });

  it('rejects maxRounds below 1', () => {
    expect(() => reviewLoop(options({ maxRounds: 0 }))).toThrow(RangeError);
  });

  it('approved in round 0: one review, no revision', () => {
    const review = jest.fn();
    const revise = jest.fn();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const work$ = cold('--a|', { a: 'A0' });
      const review$ = cold('-v|', { v: yes });
      review.mockReturnValue(review$);
      const source = cold('(i|)', { i: 'in' });
      const work = jest.fn(() => work$);
      expectObservable(source.pipe(reviewLoop(options({ work, review, revise })))).toBe('-----(o|)', {
        o: { artifact: 'A0', approved: true, rounds: [{ round: 0, artifact: 'A0', verdict: yes }] },
      });
      expectSubscriptions(work$.subscriptions).toBe('^--!');
      expectSubscriptions(review$.subscriptions).toBe('---^-!');
      expect(work).not.toHaveBeenCalled(); // nothing runs before subscription
    });
    expect(review.mock.calls).toEqual([[{ input: 'in', artifact: 'A0', round: 0 }]]);
    expect(revise).not.toHaveBeenCalled();
  });

  it('revises until a verdict approves, recording every round', () => {
    const review = jest.fn();
    const revise = jest.fn();
    testScheduler.run(({ cold, expectObservable }) => {
      review.mockImplementation(({ artifact }: { artifact: string }) => cold('-(v|)', { v: artifact === 'A2' ? yes : no }));
      revise.mockImplementation(({ round }: { round: number }) => cold('-(x|)', { x: `A${round}` }));
      const work = () => cold('-(a|)', { a: 'A0' });
      // work 0-1, review 1-2, revise 2-3, review 3-4, revise 4-5, review 5-6
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, revise, maxRounds: 5 })))).toBe('6ms (o|)', {
        o: {
          artifact: 'A2',
          approved: true,
          rounds: [
            { round: 0, artifact: 'A0', verdict: no },
            { round: 1, artifact: 'A1', verdict: no },
            { round: 2, artifact: 'A2', verdict: yes },
          ],
        },
      });
    });
    expect(review.mock.calls.map(([a]) => a)).toEqual([
      { input: 'in', artifact: 'A0', round: 0 },
      { input: 'in', artifact: 'A1', round: 1 },
      { input: 'in', artifact: 'A2', round: 2 },
    ]);
    expect(revise.mock.calls.map(([a]) => a)).toEqual([
      { input: 'in', artifact: 'A0', verdict: no, round: 1 },
      { input: 'in', artifact: 'A1', verdict: no, round: 2 },
    ]);
  });

  it('stops after maxRounds reviews with approved:false and the last artifact', () => {
    const review = jest.fn();
    const revise = jest.fn();
    testScheduler.run(({ cold, expectObservable }) => {
      review.mockImplementation(() => cold('-(v|)', { v: no }));
      revise.mockImplementation(({ round }: { round: number }) => cold('-(x|)', { x: `A${round}` }));
      const work = () => cold('-(a|)', { a: 'A0' });
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, revise, maxRounds: 2 })))).toBe('4ms (o|)', {
        o: {
          artifact: 'A1',
          approved: false,
          rounds: [
            { round: 0, artifact: 'A0', verdict: no },
            { round: 1, artifact: 'A1', verdict: no },
          ],
        },
      });
    });
    expect(review).toHaveBeenCalledTimes(2);
    expect(revise).toHaveBeenCalledTimes(1);
  });

  it('with maxRounds 1 reviews once and never revises', () => {
    const revise = jest.fn();
    testScheduler.run(({ cold, expectObservable }) => {
      const work = () => cold('-(a|)', { a: 'A0' });
      const review = () => cold('-(v|)', { v: no });
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, revise, maxRounds: 1 })))).toBe('--(o|)', {
        o: { artifact: 'A0', approved: false, rounds: [{ round: 0, artifact: 'A0', verdict: no }] },
      });
    });
    expect(revise).not.toHaveBeenCalled();
  });

  it('uses the last value of work, review and revise', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = () => cold('ab|', { a: 'draft', b: 'A0' });
      const review = ({ artifact }: { artifact: string }) => cold('xy|', { x: yes, y: artifact === 'A1' ? yes : no });
      const revise = () => cold('pq|', { p: 'partial', q: 'A1' });
      // work 0-2, review 2-4, revise 4-6, review 6-8
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, revise })))).toBe('8ms (o|)', {
        o: {
          artifact: 'A1',
          approved: true,
          rounds: [
            { round: 0, artifact: 'A0', verdict: no },
            { round: 1, artifact: 'A1', verdict: yes },
          ],
        },
      });
    });
  });

  it('processes inputs one at a time, each with its own rounds', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const works = { a: cold('-(a|)', { a: 'a0' }), b: cold('-(b|)', { b: 'b0' }) };
      const review = () => cold('-(v|)', { v: yes });
      expectObservable(cold('ab|', { a: 'a', b: 'b' }).pipe(reviewLoop(options({ work: (input) => works[input as keyof typeof works], review })))).toBe('--x-(y|)', {
        x: { artifact: 'a0', approved: true, rounds: [{ round: 0, artifact: 'a0', verdict: yes }] },
        y: { artifact: 'b0', approved: true, rounds: [{ round: 0, artifact: 'b0', verdict: yes }] },
      });
      expectSubscriptions(works.a.subscriptions).toBe('^!');
      expectSubscriptions(works.b.subscriptions).toBe('--^!');
    });
  });

  it.each([
    ['work', '-#', '-#'],
    ['review', '-#', '--#'],
    ['revise', '-#', '---#'],
  ])('an error in %s propagates', (which, failing, expected) => {
    const boom = new Error(which);
    testScheduler.run(({ cold, expectObservable }) => {
      const ok = {
        work: () => cold('-(a|)', { a: 'A0' }),
        review: () => cold('-(v|)', { v: no }),
        revise: () => cold('-(x|)', { x: 'A1' }),
      };
      const broken = { ...ok, [which]: () => cold(failing, undefined, boom) };
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options(broken)))).toBe(expected, undefined, boom);
    });
  });

  it('an error from approved() propagates', () => {
    const boom = new Error('approved');
    testScheduler.run(({ cold, expectObservable }) => {
      const work = () => cold('-(a|)', { a: 'A0' });
      const review = () => cold('-(v|)', { v: yes });
      const approved = () => {
        throw boom;
      };
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, until: approved })))).toBe('--#', undefined, boom);
    });
  });

  it('a work that completes empty errors with EmptyError', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = () => cold<string>('-|');
      expectObservable(cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work })))).toBe('-#', undefined, new EmptyError());
    });
  });

  it('unsubscription cancels the review in flight and starts nothing more', () => {
    const revise = jest.fn();
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const work$ = cold('-(a|)', { a: 'A0' });
      const review$ = cold('---(v|)', { v: no });
      const source = hot('i---', { i: 'in' });
      const result = source.pipe(reviewLoop(options({ work: () => work$, review: () => review$, revise })));
      expectObservable(result, '^--!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(review$.subscriptions).toBe('-^-!');
    });
    expect(revise).not.toHaveBeenCalled();
  });

  it('unsubscription cancels the revision in flight', () => {
    const review = jest.fn();
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const revise$ = cold('-----(x|)', { x: 'A1' });
      review.mockImplementation(() => cold('-(v|)', { v: no }));
      const work = () => cold('-(a|)', { a: 'A0' });
      const result = cold('(i|)', { i: 'in' }).pipe(reviewLoop(options({ work, review, revise: () => revise$ })));
      expectObservable(result, '^---!').toBe('----');
      expectSubscriptions(revise$.subscriptions).toBe('--^-!');
    });
    expect(review).toHaveBeenCalledTimes(1);
  });
});
