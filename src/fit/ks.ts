/**
 * The Kolmogorov–Smirnov distance between a sample and a distribution: how far apart, at
 * worst, the empirical and the fitted distribution functions are.
 */
import type { SortedSamples } from './samples.js';

/**
 * D = sup |Fₙ(x) − F(x)| = maxᵢ max(i/n − F(xᵢ), F(xᵢ) − (i − 1)/n) over sorted samples
 * x₁ ≤ … ≤ xₙ. Ties need no care: the last of a run of ties gives the right i/n and the first
 * the right (i − 1)/n, and the others can only be smaller.
 * @param xs - sorted samples, at least one
 * @param cdf - the distribution function
 * @returns D in [0, 1]
 */
export function ksDistance(xs: SortedSamples, cdf: (x: number) => number): number {
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]!);
    const above = (i + 1) / n - f;
    const below = f - i / n;
    if (above > d) d = above;
    if (below > d) d = below;
  }
  return d;
}
