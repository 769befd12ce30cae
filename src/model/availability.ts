/**
 * GPU availability a(t) ∈ [0, 1] of one provider (docs/contract.md §2.2):
 *
 *   a(t) = clip(base − amplitude · cos(2π · (h(t) − trough) / 24 h) + noise(t), 0, 1)
 *
 * and a(t) = 0 inside any scheduled or random outage, where
 * - h(t) is the local time of day in the diurnal `tz`, so the minimum, base − amplitude,
 *   falls at the `trough` and the maximum, base + amplitude, twelve hours later;
 * - noise(t) is an Ornstein–Uhlenbeck process with stationary standard deviation `sd` and
 *   half-life `halfLife` (its autocorrelation at lag τ is 2^(−τ / halfLife)). It is computed on
 *   a fixed grid from the start of the run, step = clamp(halfLife / 10, 1 s, 5 min), by the
 *   exact discretisation x[n+1] = φ·x[n] + sd·√(1 − φ²)·z[n], φ = 2^(−step / halfLife), with
 *   x[0] drawn from the stationary distribution N(0, sd²) and z[n] standard normals from the
 *   stream `availability-noise/<provider id>`; between grid points it is linearly interpolated;
 * - random outages form an alternating renewal process that starts "up" at the start of the
 *   run: up times ~ Exp(mean mtbf), down times ~ Exp(mean mttr), drawn in turn from the stream
 *   `availability-outages/<provider id>`.
 *
 * a(t) depends only on (seed, provider id, t): the noise grid and the outage schedule are
 * generated forward on demand and cached, so the order of queries never changes an answer.
 * The stochastic parts (noise, random outages) do not exist before the start of the run and
 * hold their value at the start for earlier t; the diurnal term and scheduled outages are
 * evaluated at t itself.
 */
import type { ResolvedProvider, ResolvedScenario, Span } from '../scenario/resolve.js';
import { localMsOfDay, tzOffsetMs } from './time.js';
import { rngFor, type Rng } from './random.js';

/** A provider's availability settings, as resolved (times in ms, outages absolute). */
export type AvailabilitySpec = ResolvedProvider['availability'];

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Zone offsets are constant within a UTC quarter-hour (see time.ts). */
const QUARTER_HOUR_MS = 900_000;
/** Bounds of the noise grid step: fine enough to follow the process, coarse enough to stay small. */
const MIN_NOISE_STEP_MS = 1_000;
const MAX_NOISE_STEP_MS = 300_000;
/** First allocation of the growable caches (doubled when full). */
const INITIAL_CAPACITY = 1_024;
/** Noise grid points per block of {@link AvailabilityCurve.upperBound}'s block maxima (a power of two). */
const NOISE_BLOCK = 64;
/** log2(NOISE_BLOCK). */
const NOISE_BLOCK_BITS = 6;
/**
 * Slack added to a span's length in local time when looking for the diurnal peak in it: a
 * daylight-saving change inside the span shifts local time by up to an hour.
 */
const DST_SLACK_MS = 3_600_000;

/**
 * How long after the window's end a(t) keeps its noise and random outages: in-flight work drains
 * well within it; work ending later (a valid but years-long service time) sees them held/stopped,
 * so computing a(t) then costs nothing (see {@link AvailabilityCurve}).
 */
const STOCHASTIC_TAIL_MS = 30 * DAY_MS;

/**
 * Creates a scenario's availability curves, one per provider, shared by every strategy's run and
 * the oracle (a(t) is the same for all).
 * @param scenario - the resolved scenario
 * @returns the curves, in provider order
 */
export function availabilityCurves(scenario: ResolvedScenario): AvailabilityCurve[] {
  return scenario.providers.map((p) => new AvailabilityCurve(p.availability, scenario.seed, p.id, scenario.startMs, scenario.endMs + STOCHASTIC_TAIL_MS));
}

/** The availability curve a(t) of one provider; see the module comment for the definition. */
export class AvailabilityCurve {
  private readonly startMs: number;
  /** Offset from the start after which noise holds and random outages stop. */
  private readonly horizonMs: number;
  private readonly base: number;
  private readonly amplitude: number;
  private readonly troughMs: number;
  private readonly tz: string;
  private readonly outages: readonly Span[];

  // Ornstein–Uhlenbeck noise on a grid
  private readonly noiseSd: number;
  private readonly noiseStepMs: number;
  private readonly phi: number;
  private readonly innovationSd: number;
  private readonly noiseRng: Rng | undefined;
  private noise: Float64Array = new Float64Array(0);
  private noiseCount = 0;

  // Random outages: edges[0] = first failure, edges[1] = its repair, edges[2] = next failure, ...
  private readonly mtbfMs: number;
  private readonly mttrMs: number;
  private readonly outageRng: Rng | undefined;
  private edges: Float64Array = new Float64Array(0);
  private edgeCount = 0;
  private edgeCursor = 0;

  /**
   * @param spec - the provider's resolved availability settings
   * @param seed - the scenario seed
   * @param providerId - the provider id, which names its random streams
   * @param startMs - start of the run, epoch ms (noise and random outages begin here)
   * @param stochasticUntilMs - when the stochastic parts end, epoch ms (default never): after it
   *   the noise holds its value and random outages stop, so that a(t) at an instant years on
   *   (work of a huge service time ending) costs nothing to compute, where drawing the noise grid
   *   and the outage schedule that far would take memory and time in proportion
   */
  constructor(spec: AvailabilitySpec, seed: number, providerId: string, startMs: number, stochasticUntilMs = Infinity) {
    this.startMs = startMs;
    this.horizonMs = Math.max(0, stochasticUntilMs - startMs);
    this.base = spec.base;
    this.amplitude = spec.diurnal?.amplitude ?? 0;
    this.troughMs = (spec.diurnal?.trough ?? 0) * MINUTE_MS;
    this.tz = spec.diurnal?.tz ?? 'UTC';
    this.outages = spec.outages;

    const sd = spec.noise?.sd ?? 0;
    const halfLifeMs = spec.noise?.halfLife ?? 0;
    this.noiseSd = sd;
    this.noiseStepMs = Math.min(MAX_NOISE_STEP_MS, Math.max(MIN_NOISE_STEP_MS, halfLifeMs / 10));
    // A zero half-life makes phi 0: independent draws at every grid point.
    this.phi = halfLifeMs > 0 ? Math.pow(2, -this.noiseStepMs / halfLifeMs) : 0;
    this.innovationSd = sd * Math.sqrt(1 - this.phi * this.phi);
    this.noiseRng = sd > 0 ? rngFor(seed, `availability-noise/${providerId}`) : undefined;

    this.mtbfMs = spec.randomOutages?.mtbf ?? 0;
    this.mttrMs = spec.randomOutages?.mttr ?? 0;
    // With mttr 0 an outage lasts no time, so there is no process to run.
    this.outageRng = spec.randomOutages !== undefined && this.mttrMs > 0 ? rngFor(seed, `availability-outages/${providerId}`) : undefined;
  }

  /**
   * Availability at an instant.
   * @param tMs - epoch ms
   * @returns a(t) in [0, 1]
   */
  at(tMs: number): number {
    // The engine and the provider views ask several times at one instant. `lastA` is read on
    // every call: a caller optimized before its first repeat had no type feedback for it and was
    // thrown away at that repeat.
    const last = this.lastA;
    if (tMs === this.lastAtMs) return last;
    const a = this.compute(tMs);
    this.lastAtMs = tMs;
    this.lastA = a;
    return a;
  }

  private lastAtMs = Number.NaN;
  private lastA = 0;

  private compute(tMs: number): number {
    for (let i = 0; i < this.outages.length; i++) {
      const o = this.outages[i]!;
      if (tMs >= o.startMs && tMs < o.endMs) return 0;
    }
    const sinceStartMs = tMs > this.startMs ? tMs - this.startMs : 0;
    if (this.outageRng !== undefined && sinceStartMs < this.horizonMs && this.inRandomOutage(sinceStartMs)) return 0;
    let a = this.diurnalAt(tMs);
    if (this.noiseRng !== undefined) a += this.noiseAt(Math.min(sinceStartMs, this.horizonMs));
    return a <= 0 ? 0 : a >= 1 ? 1 : a;
  }

  /**
   * The availability to expect at an instant without knowing the luck: base and diurnal curve
   * only, no noise and no outages (what a published forecast would show). Draws nothing.
   * @param tMs - epoch ms
   * @returns clip(base − amplitude · cos(2π · (h(t) − trough) / 24 h), 0, 1)
   */
  expectedAt(tMs: number): number {
    const a = this.diurnalAt(tMs);
    return a <= 0 ? 0 : a >= 1 ? 1 : a;
  }

  /**
   * An upper bound of a(t) over the span [fromMs, toMs] (toMs may be Infinity), for bounds that
   * must hold whenever in the span something happens: the largest diurnal term in the span plus
   * the largest noise in it (noise is linear between grid points, so its largest value is at an
   * end or a grid point inside), clipped to [0, 1]. Outages are ignored (they only lower a(t));
   * an unbounded span with noise gives 1. Draws noise forward as far as `toMs` if not yet drawn.
   * @param fromMs - start of the span, epoch ms
   * @param toMs - end of the span, epoch ms, at least fromMs
   * @returns an upper bound of a(t) on the span, in [0, 1]
   */
  upperBound(fromMs: number, toMs: number): number {
    if (this.noiseRng !== undefined && toMs === Infinity) return 1;
    let a = this.diurnalMax(fromMs, toMs);
    if (this.noiseRng !== undefined) {
      const s0 = fromMs > this.startMs ? fromMs - this.startMs : 0;
      const s1 = toMs > this.startMs ? toMs - this.startMs : 0;
      a += this.noiseMax(Math.min(s0, this.horizonMs), Math.min(s1, this.horizonMs));
    }
    return a <= 0 ? 0 : a >= 1 ? 1 : a;
  }

  /** The largest diurnal term (unclipped) over [fromMs, toMs]: at the peak if the span's local times reach it, else at an end. */
  private diurnalMax(fromMs: number, toMs: number): number {
    if (this.amplitude === 0) return this.base;
    const peakMs = this.base + this.amplitude;
    if (!(toMs - fromMs < DAY_MS - DST_SLACK_MS)) return peakMs;
    // The peak is twelve hours after the trough, in local time.
    const peakLocalMs = (this.troughMs + DAY_MS / 2) % DAY_MS;
    const toPeakMs = (((peakLocalMs - localMsOfDay(this.tz, fromMs)) % DAY_MS) + DAY_MS) % DAY_MS;
    if (toPeakMs <= toMs - fromMs + DST_SLACK_MS) return peakMs;
    return Math.max(this.diurnalAt(fromMs), this.diurnalAt(toMs));
  }

  /** The largest noise value over [s0, s1], offsets from the start. */
  private noiseMax(s0: number, s1: number): number {
    const pos0 = s0 / this.noiseStepMs;
    const pos1 = s1 / this.noiseStepMs;
    let max = Math.max(this.noiseAt(s0), this.noiseAt(s1));
    // Grid points strictly after s0's cell start up to s1's cell start.
    let n = Math.floor(pos0) + 1;
    const last = Math.floor(pos1);
    if (last + 1 >= this.noiseCount) this.growNoise(last + 2);
    const grid = this.noise;
    while (n <= last && (n & (NOISE_BLOCK - 1)) !== 0) max = Math.max(max, grid[n++]!);
    while (n + NOISE_BLOCK - 1 <= last) {
      max = Math.max(max, this.noiseBlockMax(n >> NOISE_BLOCK_BITS));
      n += NOISE_BLOCK;
    }
    while (n <= last) max = Math.max(max, grid[n++]!);
    return max;
  }

  private noiseBlocks: Float64Array = new Float64Array(0);

  /** The largest of grid points [b·64, b·64 + 63] (drawn already), computed once. */
  private noiseBlockMax(b: number): number {
    if (b >= this.noiseBlocks.length) {
      const next = new Float64Array(Math.max(b + 1, this.noiseBlocks.length * 2, 64)).fill(Number.NaN);
      next.set(this.noiseBlocks);
      this.noiseBlocks = next;
    }
    let m = this.noiseBlocks[b]!;
    if (Number.isNaN(m)) {
      m = -Infinity;
      const grid = this.noise;
      for (let i = b << NOISE_BLOCK_BITS, end = i + NOISE_BLOCK; i < end; i++) m = Math.max(m, grid[i]!);
      this.noiseBlocks[b] = m;
    }
    return m;
  }

  /** base − amplitude · cos(2π · (h(t) − trough) / 24 h), unclipped. */
  private diurnalAt(tMs: number): number {
    if (this.amplitude === 0) return this.base;
    // The zone offset of the current quarter-hour is kept here: a(t) is read for nearly every
    // attempt, and this spares the shared cache's look-ups (the result is localMsOfDay's).
    if (tMs < this.offsetFromMs || tMs >= this.offsetToMs) {
      this.offsetFromMs = Math.floor(tMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      this.offsetToMs = this.offsetFromMs + QUARTER_HOUR_MS;
      this.offsetMs = tzOffsetMs(this.tz, tMs);
    }
    const local = tMs + this.offsetMs;
    const msOfDay = ((local % DAY_MS) + DAY_MS) % DAY_MS;
    return this.base - this.amplitude * Math.cos((2 * Math.PI * (msOfDay - this.troughMs)) / DAY_MS);
  }

  private offsetFromMs = Infinity;
  private offsetToMs = -Infinity;
  private offsetMs = 0;

  /** OU noise at an offset from the start, interpolated between grid points. */
  private noiseAt(sinceStartMs: number): number {
    const pos = sinceStartMs / this.noiseStepMs;
    const n = Math.floor(pos);
    if (n + 1 >= this.noiseCount) this.growNoise(n + 2);
    const x0 = this.noise[n]!;
    return x0 + (pos - n) * (this.noise[n + 1]! - x0);
  }

  /** Extends the noise grid forward until it holds `count` points. */
  private growNoise(count: number): void {
    const rng = this.noiseRng!;
    if (count > this.noise.length) {
      const next = new Float64Array(Math.max(count, this.noise.length * 2, INITIAL_CAPACITY));
      next.set(this.noise.subarray(0, this.noiseCount));
      this.noise = next;
    }
    const grid = this.noise;
    let i = this.noiseCount;
    if (i === 0) {
      grid[0] = this.noiseSd * rng.normal(); // x[0] from the stationary distribution
      i = 1;
    }
    for (; i < count; i++) {
      grid[i] = this.phi * grid[i - 1]! + this.innovationSd * rng.normal(); // Ornstein–Uhlenbeck step
    }
    this.noiseCount = count;
  }

  /** Whether an offset from the start lies in a random outage. */
  private inRandomOutage(sinceStartMs: number): boolean {
    if (this.mtbfMs <= 0) return true; // failures with no time between them: always down
    while (this.edgeCount === 0 || this.edges[this.edgeCount - 1]! <= sinceStartMs) this.growEdges();
    const edges = this.edges;
    // Find i with edges[i-1] <= t < edges[i]; the cursor makes increasing queries O(1).
    let i = this.edgeCursor;
    if (!(edges[i]! > sinceStartMs && (i === 0 || edges[i - 1]! <= sinceStartMs))) {
      let lo = 0;
      let hi = this.edgeCount - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (edges[mid]! > sinceStartMs) hi = mid;
        else lo = mid + 1;
      }
      i = lo;
      this.edgeCursor = i;
    }
    // Before edges[0] the provider is up; between edges[2k] and edges[2k+1] it is down.
    return (i & 1) === 1;
  }

  /** Appends one up period and one down period to the outage schedule. */
  private growEdges(): void {
    const rng = this.outageRng!;
    if (this.edgeCount + 2 > this.edges.length) {
      const next = new Float64Array(Math.max(this.edges.length * 2, INITIAL_CAPACITY));
      next.set(this.edges.subarray(0, this.edgeCount));
      this.edges = next;
    }
    const last = this.edgeCount === 0 ? 0 : this.edges[this.edgeCount - 1]!;
    const failAt = last + rng.exponential(this.mtbfMs);
    this.edges[this.edgeCount] = failAt;
    this.edges[this.edgeCount + 1] = failAt + rng.exponential(this.mttrMs);
    this.edgeCount += 2;
  }
}

/**
 * Concurrency slots available at availability a: ⌊concurrency × a⌋, at least 1 while a > 0.
 * @param concurrency - the provider's configured concurrency
 * @param a - availability in [0, 1]
 * @returns usable slots (0 only when a <= 0)
 */
export function effectiveConcurrency(concurrency: number, a: number): number {
  return a <= 0 ? 0 : Math.max(1, Math.floor(concurrency * a));
}
