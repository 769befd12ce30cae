/**
 * Latency distributions (docs/contract.md §2.4). Every value is in milliseconds; the schema has already
 * converted durations. A drawn value is the service time of the provider's `reference`
 * request; {@link serviceScale} scales it to other requests.
 */
import type { LatencySpec } from '../scenario/schema.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { Rng } from './random.js';

/** z(0.99), the standard normal 99th percentile (Φ⁻¹(0.99), to 17 significant digits). */
export const Z_99 = 2.3263478740408408;

/** ln(√(2π)), for normal densities. */
const LN_SQRT_2PI = 0.9189385332046728;
/** Tries before a truncated normal gives up resampling and clamps to 0 (acceptance is >= 1/2). */
const NORMAL_MAX_TRIES = 64;
/** Beyond this shape the gamma quantile uses Wilson–Hilferty directly (relative error < 1e-6 there). */
const GAMMA_WH_SHAPE = 1e4;
/** Beyond this shape (sd/mean < 1e-6) a gamma is treated as fixed at its mean. */
const GAMMA_FIXED_SHAPE = 1e12;

/** A latency distribution ready to draw from. */
export interface LatencySampler {
  /**
   * Draws one service time.
   * @param rng - the stream to draw from
   * @returns milliseconds, finite and >= 0
   */
  sample(rng: Rng): number;
  /** Median, ms. */
  readonly median: number;
  /** Mean, ms. */
  readonly mean: number;
  /**
   * The p-quantile; p <= 0 gives the lower bound, p >= 1 the upper bound (maybe Infinity).
   * @param p - probability
   * @returns milliseconds
   */
  quantile(p: number): number;
  /**
   * The distribution function P(X <= x) (used to judge fits, never on the engine's path).
   * @param x - milliseconds
   * @returns a probability in [0, 1]
   */
  cdf(x: number): number;
}

// ---------------------------------------------------------------------------------------------
// Normal distribution helpers

const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
const ACKLAM_P_LOW = 0.02425;

function acklamTail(q: number): number {
  const [c1, c2, c3, c4, c5, c6] = ACKLAM_C;
  const [d1, d2, d3, d4] = ACKLAM_D;
  return (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
}

/**
 * The standard normal quantile Φ⁻¹(p) by Peter Acklam's rational approximation
 * (relative error below 1.15e-9 over (0, 1)).
 * @param p - probability
 * @returns z with Φ(z) = p; -Infinity for p <= 0, Infinity for p >= 1
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < ACKLAM_P_LOW) return acklamTail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - ACKLAM_P_LOW) return -acklamTail(Math.sqrt(-2 * Math.log1p(-p)));
  const [a1, a2, a3, a4, a5, a6] = ACKLAM_A;
  const [b1, b2, b3, b4, b5] = ACKLAM_B;
  const q = p - 0.5;
  const r = q * q;
  return ((((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q) / (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1);
}

/**
 * The standard normal CDF Φ(x) by Marsaglia's Taylor series (2004); absolute error ~1e-15
 * (not relative: far-tail values below ~1e-12 lose digits).
 * @param x - z score
 * @returns Φ(x) in [0, 1]
 */
export function normalCdf(x: number): number {
  if (x < -8.5) return 0; // Φ(-8.5) ≈ 1e-17, below double resolution next to 0.5
  if (x > 8.5) return 1;
  const q = x * x;
  let s = x;
  let t = 0;
  let b = x;
  for (let i = 1; s !== t; ) {
    t = s;
    i += 2;
    b *= q / i;
    s = t + b;
  }
  return 0.5 + s * Math.exp(-0.5 * q - LN_SQRT_2PI);
}

function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LN_SQRT_2PI);
}

// ---------------------------------------------------------------------------------------------
// Gamma function helpers

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error ~1e-15). */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x); // reflection
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * Regularized lower incomplete gamma P(a, x) (Numerical Recipes §6.2: series or Lentz continued
 * fraction): the Gamma(a, 1) distribution function; 1 − P(k/2, x/2) is the chi-square tail.
 * @param a - shape, > 0
 * @param x - point, >= 0
 * @returns P(a, x) in [0, 1]
 */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const gln = lnGamma(a);
  const maxIter = 10_000 + Math.ceil(10 * Math.sqrt(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < maxIter; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(-x + a * Math.log(x) - gln));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < maxIter; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, 1 - Math.exp(-x + a * Math.log(x) - gln) * h);
}

/** Wilson–Hilferty: Gamma(a, 1) quantile ≈ a (1 − 1/(9a) + z √(1/(9a)))³. */
function wilsonHilferty(a: number, p: number): number {
  const v = 1 / (9 * a);
  const w = 1 - v + normalQuantile(p) * Math.sqrt(v);
  return w <= 0 ? 0 : a * w * w * w;
}

/**
 * Inverse of P(a, ·): Halley iteration from an initial guess (Numerical Recipes 3rd ed.
 * `invgammp`), relative error below 1e-8; Wilson–Hilferty alone for very large shapes.
 */
function gammaPInv(a: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return Infinity;
  if (a >= GAMMA_WH_SHAPE) return wilsonHilferty(a, p);
  const gln = lnGamma(a);
  const a1 = a - 1;
  let lna1 = 0;
  let afac = 0;
  let x: number;
  if (a > 1) {
    lna1 = Math.log(a1);
    afac = Math.exp(a1 * (lna1 - 1) - gln);
    x = Math.max(1e-3, wilsonHilferty(a, p));
  } else {
    const t = 1 - a * (0.253 + a * 0.12);
    x = p < t ? Math.pow(p / t, 1 / a) : 1 - Math.log(1 - (p - t) / (1 - t));
  }
  for (let j = 0; j < 20; j++) {
    if (x <= 0) return 0;
    const err = gammaP(a, x) - p;
    const density = a > 1 ? afac * Math.exp(-(x - a1) + a1 * (Math.log(x) - lna1)) : Math.exp(-x + a1 * Math.log(x) - gln);
    if (density === 0 || !Number.isFinite(density)) break;
    const u = err / density;
    const step = u / (1 - 0.5 * Math.min(1, u * (a1 / x - 1))); // Halley
    x -= step;
    if (x <= 0) x = 0.5 * (x + step);
    if (Math.abs(step) < 1e-12 * x) break;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// The samplers

class FixedSampler implements LatencySampler {
  readonly median: number;
  readonly mean: number;
  constructor(private readonly valueMs: number) {
    this.median = valueMs;
    this.mean = valueMs;
  }
  sample(): number {
    return this.valueMs;
  }
  quantile(): number {
    return this.valueMs;
  }
  cdf(x: number): number {
    return x >= this.valueMs ? 1 : 0;
  }
}

class UniformSampler implements LatencySampler {
  readonly median: number;
  readonly mean: number;
  private readonly widthMs: number;
  constructor(private readonly minMs: number, maxMs: number) {
    this.widthMs = maxMs - minMs;
    this.median = minMs + this.widthMs / 2;
    this.mean = this.median;
  }
  sample(rng: Rng): number {
    return this.minMs + this.widthMs * rng.next();
  }
  quantile(p: number): number {
    return this.minMs + this.widthMs * clamp01(p);
  }
  cdf(x: number): number {
    if (this.widthMs === 0) return x >= this.minMs ? 1 : 0;
    return clamp01((x - this.minMs) / this.widthMs);
  }
}

class ExponentialSampler implements LatencySampler {
  readonly median: number;
  constructor(readonly mean: number) {
    this.median = mean * Math.LN2;
  }
  sample(rng: Rng): number {
    return rng.exponential(this.mean);
  }
  quantile(p: number): number {
    if (p <= 0) return 0;
    return p >= 1 ? Infinity : -this.mean * Math.log1p(-p);
  }
  cdf(x: number): number {
    return x <= 0 ? 0 : -Math.expm1(-x / this.mean);
  }
}

/** N(mu, sd) conditioned on X >= 0. */
class TruncatedNormalSampler implements LatencySampler {
  readonly median: number;
  readonly mean: number;
  /** Φ(−mu/sd): the probability mass cut off below 0. */
  private readonly cutMass: number;
  constructor(
    private readonly muMs: number,
    private readonly sdMs: number,
  ) {
    const alpha = -muMs / sdMs;
    this.cutMass = normalCdf(alpha);
    // Mean of a normal truncated below at alpha: mu + sd φ(α) / (1 − Φ(α)).
    this.mean = muMs + (sdMs * normalPdf(alpha)) / (1 - this.cutMass);
    this.median = this.quantile(0.5);
  }
  sample(rng: Rng): number {
    for (let i = 0; i < NORMAL_MAX_TRIES; i++) {
      const x = this.muMs + this.sdMs * rng.normal();
      if (x >= 0) return x;
    }
    return 0;
  }
  quantile(p: number): number {
    if (p <= 0) return 0;
    if (p >= 1) return Infinity;
    // F(x) = (Φ((x − mu)/sd) − Φ(α)) / (1 − Φ(α)), inverted.
    return Math.max(0, this.muMs + this.sdMs * normalQuantile(this.cutMass + p * (1 - this.cutMass)));
  }
  cdf(x: number): number {
    if (x <= 0) return 0;
    return clamp01((normalCdf((x - this.muMs) / this.sdMs) - this.cutMass) / (1 - this.cutMass));
  }
}

/** exp(N(ln median, sigma)); written as median × exp(sigma z) so quantile(0.5) is exactly the median. */
class LognormalSampler implements LatencySampler {
  readonly mean: number;
  constructor(
    readonly median: number,
    private readonly sigma: number,
  ) {
    this.mean = median * Math.exp((sigma * sigma) / 2);
  }
  sample(rng: Rng): number {
    return this.median * Math.exp(this.sigma * rng.normal());
  }
  quantile(p: number): number {
    if (p <= 0) return 0;
    if (p >= 1) return this.sigma === 0 ? this.median : Infinity;
    return this.median * Math.exp(this.sigma * normalQuantile(p));
  }
  cdf(x: number): number {
    if (x <= 0) return 0;
    if (this.sigma === 0) return x >= this.median ? 1 : 0;
    return normalCdf(Math.log(x / this.median) / this.sigma);
  }
}

/** Gamma(shape k, scale theta), drawn by Marsaglia–Tsang (2000). */
class GammaSampler implements LatencySampler {
  readonly median: number;
  readonly mean: number;
  /** Marsaglia–Tsang runs at shape >= 1; k < 1 is boosted to k + 1 and scaled by U^(1/k). */
  private readonly boosted: boolean;
  private readonly d: number;
  private readonly c: number;
  private readonly invShape: number;
  constructor(
    private readonly shape: number,
    private readonly scaleMs: number,
  ) {
    this.mean = shape * scaleMs;
    this.boosted = shape < 1;
    const k = this.boosted ? shape + 1 : shape;
    this.d = k - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
    this.invShape = 1 / shape;
    this.median = this.quantile(0.5);
  }
  sample(rng: Rng): number {
    const { d, c } = this;
    let g: number;
    for (;;) {
      const x = rng.normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = rng.next();
      const x2 = x * x;
      // Squeeze first, then the exact log test; acceptance is above 95% for every shape.
      if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) {
        g = d * v;
        break;
      }
    }
    if (this.boosted) g *= Math.exp(Math.log(1 - rng.next()) * this.invShape); // U^(1/k), U in (0, 1]
    return g * this.scaleMs;
  }
  quantile(p: number): number {
    return gammaPInv(this.shape, p) * this.scaleMs;
  }
  cdf(x: number): number {
    return x <= 0 ? 0 : gammaP(this.shape, x / this.scaleMs);
  }
}

function clamp01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/**
 * Builds a sampler for a latency spec (docs/contract.md §2.4). Degenerate parameters fall back to a fixed
 * value: sd = 0 (normal, gamma) gives the mean; a lognormal with p99 <= median has sigma 0;
 * a uniform with min > max is read as [max, min]; a gamma with sd/mean < 1e-6 (or parameters
 * whose shape or scale overflow a double) is fixed at its mean.
 * Quantile accuracy: fixed, uniform and exponential exact; lognormal and truncated normal via
 * Acklam's Φ⁻¹ (relative error < 1.15e-9); gamma by Halley iteration on the regularized
 * incomplete gamma function (relative error < 1e-8; Wilson–Hilferty for shapes >= 10,000).
 * @param spec - parsed latency spec, in ms
 * @returns the sampler
 */
export function makeSampler(spec: LatencySpec): LatencySampler {
  switch (spec.dist) {
    case 'fixed':
      return new FixedSampler(spec.value);
    case 'uniform':
      return new UniformSampler(Math.min(spec.min, spec.max), Math.max(spec.min, spec.max));
    case 'exponential':
      return spec.mean > 0 ? new ExponentialSampler(spec.mean) : new FixedSampler(0);
    case 'normal':
      return spec.sd > 0 ? new TruncatedNormalSampler(spec.mean, spec.sd) : new FixedSampler(spec.mean);
    case 'lognormal': {
      if (spec.median <= 0) return new FixedSampler(0);
      const sigma = spec.p99 > spec.median ? Math.log(spec.p99 / spec.median) / Z_99 : 0;
      return new LognormalSampler(spec.median, sigma);
    }
    case 'gamma': {
      if (spec.mean <= 0) return new FixedSampler(0);
      if (spec.sd <= 0) return new FixedSampler(spec.mean);
      // shape k = (mean/sd)², scale theta = sd²/mean, so k·theta = mean and k·theta² = sd².
      const shape = (spec.mean / spec.sd) ** 2;
      const scaleMs = (spec.sd * spec.sd) / spec.mean;
      // sd/mean below 1e-6, or parameters beyond the range of doubles: effectively fixed.
      if (!(shape < GAMMA_FIXED_SHAPE) || !(scaleMs > 0 && scaleMs < Infinity)) return new FixedSampler(spec.mean);
      return new GammaSampler(shape, scaleMs);
    }
  }
}

/**
 * How much longer (or shorter) a request takes than the provider's reference request.
 * `linear`: (steps × width × height) / (reference steps × reference pixels); `none`: 1.
 * @param provider - the provider (its `latencyScaling`, `reference.steps` and `referenceSize`)
 * @param steps - diffusion steps of the request
 * @param width - image width, px
 * @param height - image height, px
 * @returns the factor to multiply a drawn service time by
 */
export function serviceScale(
  provider: Pick<ResolvedProvider, 'latencyScaling' | 'reference' | 'referenceSize'>,
  steps: number,
  width: number,
  height: number,
): number {
  if (provider.latencyScaling === 'none') return 1;
  const ref = provider.referenceSize;
  return (steps * width * height) / (provider.reference.steps * ref.width * ref.height);
}
