import { NEVER } from 'rxjs';
import { EndpointSchema } from '../config/router-config.schema';
import { EndpointState } from '../endpoints/endpoint-state';
import { EndpointScorer, type ScoreContext } from './endpoint-scorer';

const M = 'qwen3:4b';
const client = { name: 'fake', chat: () => NEVER };
function endpoint(name: string, extra: Record<string, unknown> = {}): EndpointState {
  return new EndpointState(EndpointSchema.parse({ name, kind: 'fixture', cassettes: ['x'], ...extra }), client);
}
function warm(e: EndpointState, model: string, serviceMs: number, loadMs?: number): EndpointState {
  e.markUsed(model, 0);
  for (let i = 0; i < 3; i++) e.statsFor(model).serviceMs.add(serviceMs);
  if (loadMs !== undefined) e.statsFor(model).loadMs.add(loadMs);
  return e;
}
const ctx = (over: Partial<ScoreContext> = {}): ScoreContext => ({ model: M, labels: [], queued: 1, demand: () => 0, defaultLoadMs: 3_000, now: 0, ...over });
const picked = (s: EndpointScorer, c: ScoreContext) => {
  const d = s.decide(c);
  return d.kind === 'dispatch' ? d.endpoint.name : d.kind;
};

describe('EndpointScorer (scored)', () => {
  it('takes the fastest warm endpoint with a free slot', () => {
    const a = warm(endpoint('a'), M, 900);
    const b = warm(endpoint('b'), M, 300);
    expect(picked(new EndpointScorer([a, b]), ctx())).toBe('b');
  });

  it('prefers a warm slower endpoint over a cold faster one when the load costs more than the difference', () => {
    const slowWarm = warm(endpoint('warm'), M, 800);
    const fastCold = endpoint('cold');
    fastCold.statsFor(M).serviceMs.add(200);
    expect(picked(new EndpointScorer([slowWarm, fastCold]), ctx({ defaultLoadMs: 3_000 }))).toBe('warm');
    expect(picked(new EndpointScorer([slowWarm, fastCold]), ctx({ defaultLoadMs: 100 }))).toBe('cold');
  });

  it('waits for a busy fast endpoint rather than a much slower free one, until the queue is long', () => {
    const fast = warm(endpoint('fast', { slots: 2 }), M, 100);
    fast.acquire(M, 0, 0);
    fast.acquire(M, 0, 0);
    const slow = warm(endpoint('slow'), M, 2_000);
    const s = new EndpointScorer([fast, slow]);
    expect(picked(s, ctx({ queued: 1 }))).toBe('wait');
    expect(picked(s, ctx({ queued: 60 }))).toBe('slow');
  });

  it('charges an eviction, more when the evicted model has queued work', () => {
    const full = warm(endpoint('full', { maxLoadedModels: 1 }), 'other:1b', 500, 1_000);
    const empty = endpoint('empty');
    full.statsFor(M).loadMs.add(1_000);
    empty.statsFor(M).loadMs.add(1_300); // idle victim: 1000 + 250 < 1300; busy victim: 1000 + 2000 > 1300
    expect(picked(new EndpointScorer([full, empty]), ctx({ demand: () => 0 }))).toBe('full');
    expect(picked(new EndpointScorer([full, empty]), ctx({ demand: (m) => (m === 'other:1b' ? 3 : 0) }))).toBe('empty');
  });

  it('does not place a model where every loaded model is busy and the server is full', () => {
    const full = warm(endpoint('full', { maxLoadedModels: 1 }), 'other:1b', 500);
    full.acquire('other:1b', 0, 0);
    expect(picked(new EndpointScorer([full]), ctx())).toBe('wait');
  });

  it('keeps a conversation on its endpoint unless another is more than 1.5x faster', () => {
    const a = warm(endpoint('a'), M, 400);
    const b = warm(endpoint('b'), M, 300);
    const s = new EndpointScorer([a, b]);
    expect(picked(s, ctx({ affinity: 'a' }))).toBe('a');
    warm(b, M, 100); // the averages move towards 100 ms
    expect(picked(s, ctx({ affinity: 'a' }))).toBe('b');
  });

  it('filters by labels, allow-list and circuit; says none when nothing can serve', () => {
    const small = warm(endpoint('small', { labels: ['small'] }), M, 100);
    const large = warm(endpoint('large', { labels: ['large'] }), M, 900);
    const listed = warm(endpoint('listed', { models: ['other:1b'] }), M, 50);
    const s = new EndpointScorer([small, large, listed]);
    expect(picked(s, ctx({ labels: ['large'] }))).toBe('large');
    expect(picked(s, ctx())).toBe('small');
    small.breaker.trip();
    large.breaker.trip();
    expect(picked(s, ctx())).toBe('none');
  });
});

describe('EndpointScorer baselines', () => {
  it('round-robin rotates and least-connections takes the least busy, both ignoring slots', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const rr = new EndpointScorer([a, b], 'round-robin');
    expect([1, 2, 3].map(() => picked(rr, ctx()))).toEqual(['a', 'b', 'a']);
    a.acquire(M, 0, 0);
    expect(picked(new EndpointScorer([a, b], 'least-connections'), ctx())).toBe('b');
    b.acquire(M, 0, 0);
    b.acquire(M, 0, 0);
    expect(picked(new EndpointScorer([a, b], 'least-connections'), ctx())).toBe('a'); // a has no free slot: ignored
  });
});
