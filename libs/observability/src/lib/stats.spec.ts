import { mannWhitneyU, normalCdf, quantile, twoProportionZ } from './stats';

describe('stats', () => {
  it('quantiles interpolate', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.95)).toBe(10);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 5);
  });

  it('Mann-Whitney U agrees with scipy.stats.mannwhitneyu(method="asymptotic"), ties included', () => {
    const a = [1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8];
    const b = [3.9, 9.1, 10.2, 11.3, 12.4, 13.5, 14.6, 15.7];
    const r = mannWhitneyU(a, b);
    expect(r.u).toBe(5);
    expect(r.p).toBeCloseTo(0.0053849, 5);
    const tied = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5, 9, 9], [2, 3, 3, 4, 6, 7, 7, 8, 9, 10]);
    expect(tied.u).toBe(31.5);
    expect(tied.p).toBeCloseTo(0.168734, 5);
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1]).p).toBe(1);
  });

  it('two-proportion z-test', () => {
    // 45/50 vs 30/50: pooled 0.75, z = 0.3 / sqrt(0.75 * 0.25 * 2 / 50) = 3.4641, p = 0.000532
    const r = twoProportionZ(45, 50, 30, 50);
    expect(r.z).toBeCloseTo(3.4641, 4);
    expect(r.p).toBeCloseTo(0.000532, 5);
    expect(r.valid).toBe(true);
    expect(twoProportionZ(10, 10, 9, 10).valid).toBe(false);
  });
});
