import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, halfOpenTrials: 1, now: () => now });
  beforeEach(() => (now = 0));

  it('opens after consecutive failures, half-opens after the cooldown, closes on a successful trial', () => {
    const b = breaker();
    b.failure();
    expect(b.state).toBe('closed');
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
    now = 100;
    expect(b.state).toBe('halfOpen');
    expect(b.allows()).toBe(true);
    b.onDispatch();
    expect(b.allows()).toBe(false); // one trial at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(b.openings).toBe(1);
  });

  it('opens again when a half-open trial fails, and at once on trip()', () => {
    const b = breaker();
    b.trip();
    now = 150;
    b.onDispatch();
    b.failure();
    expect(b.state).toBe('open');
    expect(b.retryAt).toBe(250);
    expect(b.openings).toBe(2);
  });
});
