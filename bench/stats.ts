/**
 * Small pure statistics helpers for the bench: percentiles of a latency
 * sample and the median with min–max of repeated runs.
 *
 * @module
 */

/** The median and range of one metric over repeated runs. */
export interface Spread {
  /** Median of the runs (mean of the middle two for an even count). */
  median: number;
  /** Smallest run. */
  min: number;
  /** Largest run. */
  max: number;
}

/** The value at fraction `p` (0–1) of an ascending-sorted sample, nearest-rank; 0 for an empty sample. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Median, min and max of `values`; all `NaN` for none. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}
