/**
 * Statistics over the runs of a forecast: the spread of one quantity (mean, percentiles) and
 * percentiles of a sorted sample. Plain loops over plain arrays; the inputs come in run order,
 * so every sum is taken in the same order whatever thread produced the values.
 */

/** A standard deviation below this fraction of the mean is float noise (1e-12: ~4,000 ulps). */
const SD_NOISE = 1e-12;

/** The distribution of one quantity over the runs. */
export interface Spread {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** Extension: the lower tail (a success rate's bad runs sit here). */
  readonly p10: number;
  readonly min: number;
  readonly max: number;
  /** Extension: sample standard deviation (n − 1), 0 for a single run. */
  readonly sd: number;
}

/** Values sorted ascending (see {@link sortSamples}). */
export type SortedSamples = readonly number[] & { readonly __sorted: true };

/**
 * Sorts a copy of the samples ascending.
 * @param samples - values in any order
 * @returns the sorted copy
 */
export function sortSamples(samples: readonly number[]): SortedSamples {
  return [...samples].sort((a, b) => a - b) as unknown as SortedSamples;
}

/**
 * A percentile by linear interpolation between order statistics (Hyndman & Fan type 7, the
 * default of R and NumPy): position h = (n − 1) × p / 100, value x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
 * @param sorted - samples sorted ascending, at least one
 * @param p - percentile in [0, 100]
 * @returns the percentile, NaN for no samples
 */
export function percentile(sorted: SortedSamples, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const x = sorted[lo]!;
  return x + (h - lo) * (sorted[hi]! - x);
}

/**
 * Mean of samples, summed in the order given.
 * @param samples - values
 * @returns the mean, NaN for none
 */
export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of samples) sum += x;
  return sum / samples.length;
}

/**
 * The spread of a quantity over the runs.
 * @param samples - one value per run, in run order
 * @returns mean, percentiles, extremes and standard deviation (all NaN for no samples)
 */
export function spread(samples: readonly number[]): Spread {
  const sorted = sortSamples(samples);
  const m = mean(samples);
  let squares = 0;
  for (const x of samples) squares += (x - m) * (x - m);
  const n = samples.length;
  let sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  // Equal values whose float sums differ in the last bits are not spread out.
  if (sd <= SD_NOISE * Math.abs(m)) sd = 0;
  return {
    mean: m,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p10: percentile(sorted, 10),
    min: n === 0 ? Number.NaN : sorted[0]!,
    max: n === 0 ? Number.NaN : sorted[n - 1]!,
    sd,
  };
}
