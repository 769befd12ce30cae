/**
 * Samples for fitting: plain Float64Arrays, with the sorted ones marked by type (tinybench's
 * `Samples` vs `SortedSamples`), and the sample quantiles reported beside fitted ones.
 */

/** Observed values, in no particular order. */
export type Samples = Float64Array;
/** Observed values in ascending order. */
export type SortedSamples = Float64Array & { readonly __sorted: true };

/**
 * Asserts that samples are sorted (checked in O(n)).
 * @param xs - the samples
 */
export function assertSorted(xs: Float64Array): asserts xs is SortedSamples {
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) throw new Error('samples are not sorted');
}

/**
 * Copies and sorts samples.
 * @param xs - the samples
 * @returns a sorted copy
 */
export function sortSamples(xs: ArrayLike<number>): SortedSamples {
  const out = Float64Array.from(xs).sort();
  assertSorted(out);
  return out;
}

/**
 * The p-quantile of sorted samples by linear interpolation between order statistics
 * (Hyndman–Fan type 7, the default of R and NumPy).
 * @param xs - sorted samples, at least one
 * @param p - probability in [0, 1]
 * @returns the quantile
 */
export function sampleQuantile(xs: SortedSamples, p: number): number {
  const h = (xs.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(xs.length - 1, lo + 1);
  return xs[lo]! + (h - lo) * (xs[hi]! - xs[lo]!);
}

/**
 * Mean and standard deviation (n − 1 in the denominator).
 * @param xs - samples, at least two for a finite sd
 * @returns mean and sd
 */
export function meanSd(xs: ArrayLike<number>): { mean: number; sd: number } {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    ss += d * d;
  }
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}
