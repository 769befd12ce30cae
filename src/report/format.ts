/**
 * Number and table formatting shared by the report writers and the terminal: plain text, no
 * colours, deterministic.
 */
import type { PriceLine } from '../model/pricing/types.js';

/**
 * A price's lines as a table a person can check by hand: factor, op, arithmetic, running total.
 * @param lines - a quote's lines
 * @returns the table text
 */
export function priceLineTable(lines: readonly PriceLine[]): string {
  const rows = lines.map((l) => [l.factor, l.op === 'base' ? '' : l.op === 'add' ? '+' : '×', l.label, String(+l.subtotal.toPrecision(10))]);
  return table(['factor', 'op', 'arithmetic', 'running total'], rows, ['l', 'l', 'l', 'r']);
}

/**
 * Renders rows as an aligned plain-text table.
 * @param header - column titles
 * @param rows - cells, already formatted
 * @param align - per column, 'l' or 'r' (default: first column left, others right)
 * @returns the table text, lines joined with newlines
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((c, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/**
 * Formats USD for tables: enough digits to check arithmetic by hand; the one money format of
 * every report, table and forecast (a negative amount with a minus sign before the dollar).
 * @param usd - amount
 * @returns e.g. `$0.0441`, `$1,234.56`, `−$31,180.18`; `n/a` when not finite
 */
export function usd(usd: number): string {
  if (!Number.isFinite(usd)) return 'n/a';
  if (usd < 0) return `${MINUS}${unsignedUsd(-usd)}`;
  return unsignedUsd(usd);
}

/** The minus sign of signed figures (U+2212, as wide as `+`). */
export const MINUS = '−';

function unsignedUsd(usd: number): string {
  if (usd !== 0 && usd < 1) return `$${+usd.toPrecision(6)}`;
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/**
 * Formats a count with thousands separators.
 * @param n - a count
 * @returns e.g. `12,345`; `n/a` when not finite
 */
export function count(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 0 }) : 'n/a';
}

/**
 * Formats a fraction as a percentage with at most two decimals, never rounding a value that is
 * not 0 or 1 to `0%` or `100%` (a 99.999% success rate is not 100%).
 * @param fraction - e.g. 0.995
 * @returns e.g. `99.5%`, `>99.99%`, `<0.01%`; `n/a` when not finite
 */
export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  const shown = +(fraction * 100).toFixed(2);
  if (shown === 100 && fraction < 1) return '>99.99%';
  if (shown === 0 && fraction > 0) return '<0.01%';
  return `${shown}%`;
}

/**
 * Formats a number compactly: `sig` significant digits below 10^sig, whole with thousands
 * separators above.
 * @param x - a number
 * @param sig - significant digits (default 3)
 * @returns e.g. `0.00231`, `12.3`, `12,345`; `n/a` when not finite
 */
export function decimal(x: number, sig = 3): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 10 ** sig) return x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return x.toLocaleString('en-US', { maximumSignificantDigits: sig });
}
