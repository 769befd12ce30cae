/**
 * Internal: number formatting for price-line labels. Not exported from the package.
 */

/**
 * Formats a number for a label: at most 10 significant digits, so float noise
 * (0.30000000000000004) does not reach the user, and no trailing zeros.
 * @param n - the number
 * @returns a short decimal string
 */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(10)));
}

/**
 * Lists names for a message: `a, b, c`, or `none` when empty.
 * @param names - the names
 * @returns the list
 */
export function list(names: Iterable<string>): string {
  const out = [...names].join(', ');
  return out === '' ? 'none' : out;
}
