/**
 * GPU availability a(t) ∈ [0, 1] of one provider (SPEC 2.2):
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
import type { ResolvedProvider, Span } from '../scenario/resolve.js';
import { tzOffsetMs } from './time.js';
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

/** The availability curve a(t) of one provider; see the module comment for the definition. */
export class AvailabilityCurve {
  private readonly startMs: number;
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
   */
  constructor(spec: AvailabilitySpec, seed: number, providerId: string, startMs: number) {
    this.startMs = startMs;
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
    // The engine and the provider views ask several times at one instant.
    if (tMs === this.lastAtMs) return this.lastA;
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
    if (this.outageRng !== undefined && this.inRandomOutage(sinceStartMs)) return 0;
    let a = this.diurnalAt(tMs);
    if (this.noiseRng !== undefined) a += this.noiseAt(sinceStartMs);
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
