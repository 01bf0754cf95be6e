import { build } from 'hdr-histogram-js';

/** The percentiles every case reports, in ms (0.1 ms steps). */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Latencies of one case, in an HDR histogram (microseconds, 3 significant digits): the one
 * percentile implementation of every bench — openLoop, loadMix and measure() all record here, so
 * their p99s are computed the same way (autocannon's own histogram keeps whole milliseconds).
 */
export class Latencies {
  private readonly histogram = build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at `percentile` (0–100) in ms (µs resolution), 0 when nothing was recorded. */
  at(percentile: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  /** p50, p95 and p99 rounded to 0.1 ms, as the reports show them. */
  percentiles(): Percentiles {
    const rounded = (percentile: number) => Math.round(this.at(percentile) * 10) / 10;
    return { p50: rounded(50), p95: rounded(95), p99: rounded(99) };
  }
}
