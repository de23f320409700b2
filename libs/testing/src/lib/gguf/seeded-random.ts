/**
 * Deterministic PRNG (mulberry32) for synthetic weights: the same seed gives the same
 * file on every platform and Node version (Math.random cannot be seeded).
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.imul(seed | 0, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [-a, a); its standard deviation is a / sqrt(3). */
  symmetric(a: number): number {
    return (this.next() * 2 - 1) * a;
  }
}
