/**
 * A latency histogram over integer milliseconds, HdrHistogram-style: exact 1 ms buckets up to
 * 16,383 ms, then log-linear buckets (8,192 per power of two) up to 2^27 ms (about 37 hours),
 * then one overflow bucket. Recording is O(1) and allocation-free; memory is one typed array of
 * 122,881 counts (about 480 KB).
 */
import type { LatencySummary } from './report-types.js';

/** Values below this many ms get a bucket each (1 ms resolution): 2^14. */
const LINEAR_LIMIT_MS = 16_384;
/** Sub-buckets per power-of-two range above the linear part: 2^13, so relative error < 1/8192. */
const SUB_BUCKET_BITS = 13;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
/** log2 of {@link LINEAR_LIMIT_MS}: the first log-linear range is [2^14, 2^15). */
const FIRST_EXPONENT = 14;
/**
 * The top of the tracked range, 2^27 ms ≈ 37.3 h. Latency includes deferral, so batch work that
 * waits for an off-peak window can take hours (docs/contract.md §2.6's example deadline is 12 h); the brief
 * asked for at least one hour. Values at or above go to the overflow bucket.
 */
const TOP_EXPONENT = 27;
const TOP_MS = 2 ** TOP_EXPONENT;
/** Index of the overflow bucket; also the number of regular buckets. */
const OVERFLOW_INDEX = LINEAR_LIMIT_MS + (TOP_EXPONENT - FIRST_EXPONENT) * SUB_BUCKETS;
/** Every bucket including the overflow one: 122,881. */
const BUCKET_COUNT = OVERFLOW_INDEX + 1;

/** Quantile steps of {@link LatencyHistogram.cdf}: a point every 1/64 of the values. */
const CDF_STEPS = 64;
/** Tail percentiles {@link LatencyHistogram.cdf} always includes, where the curve matters most. */
const CDF_TAIL_PERCENTILES = [99, 99.5, 99.9] as const;

/**
 * The bucket a value (ms, already clamped to >= 0) falls into.
 * @param ms - a non-negative latency
 * @returns the bucket index
 */
function bucketIndex(ms: number): number {
  // One path for every value, without branches: optimized code that has only seen short
  // latencies would otherwise be thrown away at the first one past 16 s.
  // v <= 2^27 fits in 32 bits, so clz32 gives the exponent e of its leading bit (e = -1 for 0);
  // for e >= 14, v >>> (e - 13) is in [8192, 16384): the sub-bucket plus 8192, and range e
  // starts at index 16384 + (e - 14) × 8192 = (e - 13) × 8192. Below 2^14 the shift is 0 and
  // the index is v itself; 2^27 and above give (27 - 13) × 8192 + 8192 = OVERFLOW_INDEX.
  const v = Math.min(Math.round(ms), TOP_MS);
  const shift = Math.max(0, 31 - Math.clz32(v) - SUB_BUCKET_BITS);
  return (shift << SUB_BUCKET_BITS) + (v >>> shift);
}

/**
 * The lowest value (ms) of a bucket: the value itself in the linear part.
 * @param index - a bucket index
 * @returns the bucket's lowest value
 */
function bucketLowMs(index: number): number {
  if (index < LINEAR_LIMIT_MS) return index;
  if (index >= OVERFLOW_INDEX) return TOP_MS;
  const r = index - LINEAR_LIMIT_MS;
  const exponent = FIRST_EXPONENT + (r >>> SUB_BUCKET_BITS);
  return 2 ** exponent + (r & (SUB_BUCKETS - 1)) * 2 ** (exponent - SUB_BUCKET_BITS);
}

/**
 * The 1-based nearest rank of percentile `p` among `count` values: ⌈p/100 × count⌉, at least 1.
 * A product within a few ulps above an integer counts as that integer, so float noise in `p`
 * (2.2 × 1500 / 100 = 33.00000000000001) does not push the rank up by one.
 */
function nearestRank(p: number, count: number): number {
  const x = (p * count) / 100;
  const rank = Math.ceil(x - x * 64 * Number.EPSILON);
  return Math.min(count, Math.max(1, rank));
}

/**
 * A log-linear histogram of latencies in ms. Counts are a Uint32Array: a bucket wraps past
 * 2^32 - 1 (about 4.3 billion) values, far beyond one run; merge at most that many in total.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKET_COUNT);
  private total = 0;
  // Neumaier-compensated running sum of the unrounded values, for an accurate mean.
  private sumMs = 0;
  private sumCompensationMs = 0;
  private minMs = Infinity;
  private maxMs = -Infinity;

  /**
   * Records one latency: O(1), no allocation.
   * @param ms - milliseconds (finite); negative values and NaN count as 0
   */
  record(ms: number): void {
    // `ms > 0` is false for NaN too, which would otherwise poison the sum.
    const v = ms > 0 ? ms : 0;
    this.counts[bucketIndex(v)]! += 1;
    this.total += 1;
    this.addToSum(v);
    // Stored every time: a store taken only now and then has no type feedback when the code
    // is optimized (v is never NaN here, so Math.min/max are the comparisons).
    this.minMs = Math.min(this.minMs, v);
    this.maxMs = Math.max(this.maxMs, v);
  }

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Mean of the recorded values (unrounded), ms; 0 when empty. */
  get mean(): number {
    return this.total === 0 ? 0 : (this.sumMs + this.sumCompensationMs) / this.total;
  }

  /** Smallest recorded value, exact, ms; 0 when empty. */
  get min(): number {
    return this.total === 0 ? 0 : this.minMs;
  }

  /** Largest recorded value, exact, ms; 0 when empty. */
  get max(): number {
    return this.total === 0 ? 0 : this.maxMs;
  }

  /**
   * The nearest-rank percentile: the smallest recorded value v with at least p% of the values
   * <= v, as its bucket reports it (exact below 16,384 ms after rounding to the ms, the bucket's
   * lowest value above), kept within [min, max]; p = 100 is the exact max.
   * @param p - percentile in [0, 100]
   * @returns ms; 0 when empty
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
    if (this.total === 0) return 0;
    if (p === 100) return this.maxMs;
    return this.valueAtRank(nearestRank(p, this.total));
  }

  /**
   * The summary a report holds.
   * @returns mean, p50, p90, p95, p99 and max in ms; all 0 when empty
   */
  summary(): LatencySummary {
    if (this.total === 0) return { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    const [p50, p90, p95, p99] = this.valuesAtRanks([50, 90, 95, 99].map((p) => nearestRank(p, this.total)));
    return { mean: this.mean, p50: p50!, p90: p90!, p95: p95!, p99: p99!, max: this.maxMs };
  }

  /**
   * A compact, deterministic sample of the cumulative distribution for plotting: one point at
   * the smallest value, one at each ⌈k/steps × count⌉-th value (k = 1..steps), at the 99th,
   * 99.5th and 99.9th percentiles, and the exact max with fraction 1. Each point is
   * [value ms as its bucket reports it (as {@link percentile} does), fraction of values in that
   * bucket or below]; points falling into the same bucket are written once, so values and
   * fractions both increase.
   * @param steps - quantile steps (default 64: a point every 1/64 of the values)
   * @returns [ms, fraction] pairs in increasing order; empty when nothing was recorded
   */
  cdf(steps = CDF_STEPS): [number, number][] {
    const out: [number, number][] = [];
    const n = this.total;
    if (n === 0) return out;
    const ranks = new Set<number>([1]);
    for (let k = 1; k <= steps; k++) ranks.add(nearestRank((100 * k) / steps, n));
    for (const p of CDF_TAIL_PERCENTILES) ranks.add(nearestRank(p, n));
    const sorted = [...ranks].sort((a, b) => a - b);
    const last = bucketIndex(this.maxMs);
    let i = bucketIndex(this.minMs);
    let seen = this.counts[i]!;
    let emitted = -1;
    for (const rank of sorted) {
      while (i < last && seen < rank) {
        i++;
        seen += this.counts[i]!;
      }
      if (i === emitted) continue;
      emitted = i;
      // The max's bucket is written as the exact max (fraction 1) below.
      if (i === last) break;
      out.push([Math.min(this.maxMs, Math.max(this.minMs, bucketLowMs(i))), seen / n]);
    }
    out.push([this.maxMs, 1]);
    return out;
  }

  /**
   * Adds every value of another histogram to this one, as if recorded here.
   * @param other - the histogram to add; left unchanged
   */
  merge(other: LatencyHistogram): void {
    if (other.total === 0) return;
    const from = bucketIndex(other.minMs);
    const to = bucketIndex(other.maxMs);
    for (let i = from; i <= to; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.addToSum(other.sumMs);
    this.addToSum(other.sumCompensationMs);
    if (other.minMs < this.minMs) this.minMs = other.minMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /**
   * A copy holding the same values, sums included to the bit (not a {@link merge} into an empty
   * histogram, which would add the sums again).
   * @returns the copy
   */
  copy(): LatencyHistogram {
    const c = new LatencyHistogram();
    c.counts.set(this.counts);
    c.total = this.total;
    c.sumMs = this.sumMs;
    c.sumCompensationMs = this.sumCompensationMs;
    c.minMs = this.minMs;
    c.maxMs = this.maxMs;
    return c;
  }

  /** Forgets every recorded value. */
  reset(): void {
    if (this.total > 0) this.counts.fill(0, bucketIndex(this.minMs), bucketIndex(this.maxMs) + 1);
    this.total = 0;
    this.sumMs = 0;
    this.sumCompensationMs = 0;
    this.minMs = Infinity;
    this.maxMs = -Infinity;
  }

  private addToSum(x: number): void {
    // Neumaier's variant of Kahan summation: keeps the low-order bits a plain sum drops.
    // Both corrections are computed every time and one is kept: the second is needed only while
    // the sum is small (a new histogram's first values), so optimized code would rarely have
    // seen it run, and would be thrown away when it does (a run's first record in a new group).
    const t = this.sumMs + x;
    const whenSumLarger = this.sumMs - t + x;
    const whenValueLarger = x - t + this.sumMs;
    this.sumCompensationMs += Math.abs(this.sumMs) >= Math.abs(x) ? whenSumLarger : whenValueLarger;
    this.sumMs = t;
  }

  private valueAtRank(rank: number): number {
    return this.valuesAtRanks([rank])[0]!;
  }

  /** One pass over the occupied buckets for ascending ranks; each value kept within [min, max]. */
  private valuesAtRanks(ranks: readonly number[]): number[] {
    const out: number[] = [];
    const to = bucketIndex(this.maxMs);
    let seen = 0;
    let i = bucketIndex(this.minMs);
    for (const rank of ranks) {
      while (i < to && seen + this.counts[i]! < rank) {
        seen += this.counts[i]!;
        i++;
      }
      out.push(Math.min(this.maxMs, Math.max(this.minMs, bucketLowMs(i))));
    }
    return out;
  }
}
