/**
 * Float noise out of figures people read: sums of prices drift by ulps (0.05 + 0.01 →
 * 0.060000000000000005), which report.json, forecasts and serve's ledger write rounded.
 */

/**
 * Rounds to 10 significant digits, hiding float noise (0.1 + 0.2 → 0.3); integers and
 * non-finite numbers pass through unchanged.
 * @param x - a number
 * @returns the rounded number
 */
export function round10(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(10));
}
