/**
 * Fitting the latency families of docs/contract.md §2.4 to observed service times, and choosing among them.
 * Each family is fitted by maximum likelihood where it has a closed form or a quick Newton
 * solve, and by order statistics where that is the better estimator:
 * - fixed: the mean, only when every sample is the same (to 1e-9 relative);
 * - uniform: the minimum-variance unbiased ends, min − r/(n − 1) and max + r/(n − 1), r = max − min;
 * - exponential: the mean (MLE);
 * - normal: mean and sd (MLE of the normal; the truncation at 0 is ignored, which is exact
 *   while mean/sd is above 3 and is judged by the KS distance otherwise);
 * - lognormal: μ and σ of ln x (MLE), written as median e^μ and p99 e^(μ + z₀.₉₉σ);
 * - gamma: shape k by Newton's method on ln k − ψ(k) = ln x̄ − mean(ln x) (MLE, from Minka's
 *   starting point), scale x̄/k, written as mean and sd.
 * Every fit becomes a `LatencySpec` and is judged through `makeSampler`, so the distribution
 * judged is exactly the one the engine would draw from.
 */
import { Z_99, makeSampler, type LatencySampler } from '../model/latency.js';
import type { LatencySpec } from '../scenario/schema.js';
import { ksDistance } from './ks.js';
import { meanSd, sampleQuantile, type SortedSamples } from './samples.js';

/** The latency families, in the order they are tried. */
export const FAMILIES = ['fixed', 'exponential', 'uniform', 'normal', 'lognormal', 'gamma'] as const;
/** A latency family. */
export type Family = (typeof FAMILIES)[number];

/** Free parameters of each family: extra ones must earn their place. */
export const FAMILY_PARAMETERS: Readonly<Record<Family, number>> = { fixed: 1, exponential: 1, uniform: 2, normal: 2, lognormal: 2, gamma: 2 };

/**
 * How much closer (in KS distance) a family with more parameters must come before it is
 * preferred: SELECTION_SLACK / √n. The KS distance of a correct fit is of order 0.87/√n (the
 * mean of the Kolmogorov distribution), so half of that is a difference the sample shows.
 */
export const SELECTION_SLACK = 0.5;

/** Relative spread below which samples count as one fixed value. */
const FIXED_TOLERANCE = 1e-9;
/** Newton iterations for the gamma shape (quadratic convergence from Minka's start). */
const GAMMA_NEWTON_STEPS = 50;

/**
 * The digamma function ψ(x) = d/dx ln Γ(x), x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x up
 * to x >= 10, then the asymptotic series (error below 1e-13 there).
 * @param x - argument, > 0
 * @returns ψ(x)
 */
export function digamma(x: number): number {
  let acc = 0;
  let z = x;
  while (z < 10) {
    acc -= 1 / z;
    z += 1;
  }
  const r = 1 / (z * z);
  return acc + Math.log(z) - 0.5 / z - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r / 132))));
}

/**
 * The trigamma function ψ′(x), x > 0: the recurrence ψ′(x) = ψ′(x + 1) + 1/x², then the
 * asymptotic series.
 * @param x - argument, > 0
 * @returns ψ′(x)
 */
export function trigamma(x: number): number {
  let acc = 0;
  let z = x;
  while (z < 10) {
    acc += 1 / (z * z);
    z += 1;
  }
  const r = 1 / (z * z);
  return acc + 1 / z + r / 2 + (r / z) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r / 30)));
}

/**
 * Fits one family to samples.
 * @param family - the family
 * @param xs - sorted samples (ms), at least two
 * @returns the fitted spec, or undefined when the family cannot describe the samples
 *   (fixed for spread samples, lognormal and gamma for values <= 0, a zero spread)
 */
export function fitFamily(family: Family, xs: SortedSamples): LatencySpec | undefined {
  const n = xs.length;
  if (n < 2) return undefined;
  const min = xs[0]!;
  const max = xs[n - 1]!;
  const { mean, sd } = meanSd(xs);
  switch (family) {
    case 'fixed':
      return max - min <= FIXED_TOLERANCE * Math.max(1, Math.abs(mean)) ? { dist: 'fixed', value: mean } : undefined;
    case 'uniform': {
      if (!(max > min)) return undefined;
      const pad = (max - min) / (n - 1);
      return { dist: 'uniform', min: Math.max(0, min - pad), max: max + pad };
    }
    case 'exponential':
      return mean > 0 ? { dist: 'exponential', mean } : undefined;
    case 'normal':
      return sd > 0 ? { dist: 'normal', mean, sd } : undefined;
    case 'lognormal': {
      if (!(min > 0)) return undefined;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.log(xs[i]!);
      const mu = sum / n;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.log(xs[i]!) - mu;
        ss += d * d;
      }
      const sigma = Math.sqrt(ss / (n - 1));
      return sigma > 0 ? { dist: 'lognormal', median: Math.exp(mu), p99: Math.exp(mu + Z_99 * sigma) } : undefined;
    }
    case 'gamma': {
      if (!(min > 0) || !(sd > 0)) return undefined;
      let sumLog = 0;
      for (let i = 0; i < n; i++) sumLog += Math.log(xs[i]!);
      // s = ln(mean) − mean(ln x) > 0 by Jensen; the MLE shape solves ln k − ψ(k) = s.
      const s = Math.log(mean) - sumLog / n;
      if (!(s > 0)) return undefined;
      let k = (3 - s + Math.sqrt((s - 3) * (s - 3) + 24 * s)) / (12 * s); // Minka (2002)
      for (let i = 0; i < GAMMA_NEWTON_STEPS; i++) {
        const step = (Math.log(k) - digamma(k) - s) / (1 / k - trigamma(k));
        const next = k - step;
        k = next > 0 ? next : k / 2;
        if (Math.abs(step) < 1e-12 * k) break;
      }
      const scale = mean / k;
      return { dist: 'gamma', mean, sd: Math.sqrt(k) * scale };
    }
  }
}

/** One family's fit and how well it matches the samples. */
export interface FamilyFit {
  readonly family: Family;
  readonly spec: LatencySpec;
  readonly sampler: LatencySampler;
  /** Kolmogorov–Smirnov distance to the samples. */
  readonly ks: number;
  readonly parameters: number;
}

/** The quantiles reported for a fit. */
export const REPORTED_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** The result of choosing a latency distribution for samples. */
export interface LatencyFit {
  /** The chosen fit. */
  readonly best: FamilyFit;
  /** Every family that could be fitted, best KS distance first. */
  readonly candidates: readonly FamilyFit[];
  readonly samples: number;
  /** Sample quantiles at {@link REPORTED_QUANTILES}. */
  readonly observed: readonly number[];
}

/**
 * Fits every family and picks one: the families whose KS distance is within
 * SELECTION_SLACK/√n of the smallest are equally good for this sample, and of those the one
 * with the fewest parameters wins (then the smaller distance). So exponential data keep the
 * exponential although a gamma with shape ≈ 1 fits as well, and a fixed value needs no spread.
 * @param xs - sorted samples (ms), at least two
 * @param families - the families to consider (default all)
 * @returns the choice with every candidate, or undefined when no family fits
 */
export function fitLatency(xs: SortedSamples, families: readonly Family[] = FAMILIES): LatencyFit | undefined {
  const candidates: FamilyFit[] = [];
  for (const family of families) {
    const spec = fitFamily(family, xs);
    if (spec === undefined) continue;
    const sampler = makeSampler(spec);
    // A point mass on samples that all sit at it matches them exactly; the KS formula, written
    // for continuous distribution functions, would misread its jump as a distance of 1.
    const ks = family === 'fixed' ? 0 : ksDistance(xs, (x) => sampler.cdf(x));
    candidates.push({ family, spec, sampler, ks, parameters: FAMILY_PARAMETERS[family] });
  }
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => a.ks - b.ks);
  const threshold = candidates[0]!.ks + SELECTION_SLACK / Math.sqrt(xs.length);
  let best = candidates[0]!;
  for (const c of candidates) {
    if (c.ks > threshold) break;
    if (c.parameters < best.parameters) best = c;
  }
  return { best, candidates, samples: xs.length, observed: REPORTED_QUANTILES.map((p) => sampleQuantile(xs, p)) };
}
