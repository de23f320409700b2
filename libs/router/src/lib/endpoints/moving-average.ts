/** An exponentially weighted moving average; undefined until the first sample. */
export class MovingAverage {
  private current: number | undefined;
  private samples = 0;

  /** @param alpha weight of a new sample (0..1). @default 0.3 */
  constructor(private readonly alpha = 0.3) {}

  add(sample: number): void {
    if (!Number.isFinite(sample)) return;
    this.samples++;
    // The first few samples are averaged plainly so one outlier does not set the value.
    const a = Math.max(this.alpha, 1 / this.samples);
    this.current = this.current === undefined ? sample : this.current + a * (sample - this.current);
  }

  get value(): number | undefined {
    return this.current;
  }

  get count(): number {
    return this.samples;
  }
}
