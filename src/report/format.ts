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
  return `$${grouped(usd, 2)}`;
}

/**
 * `x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })`,
 * the same characters without ICU: its first call costs ~25 ms and each one ~30 µs, a report
 * makes hundreds. Like ICU, it rounds the shortest decimal that reads back as `x` (what
 * `String(x)` prints), half away from zero. Numbers it does not cover (negative or -0, from 2^53, or
 * printed with an exponent) go to `toLocaleString`.
 * @param x - a finite number
 * @param digits - decimals shown
 * @returns e.g. `1,234.50`
 */
function grouped(x: number, digits: 0 | 2): string {
  const s = String(x);
  if (!(x >= 0) || Object.is(x, -0) || x > Number.MAX_SAFE_INTEGER || s.includes('e')) return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const dot = s.indexOf('.');
  const whole = dot < 0 ? s : s.slice(0, dot);
  const fraction = (dot < 0 ? '' : s.slice(dot + 1)).padEnd(digits + 1, '0');
  // Kept digits, then one more up where the first dropped digit is 5 or more.
  let kept = whole + fraction.slice(0, digits);
  if (fraction.charCodeAt(digits) >= 53) kept = incremented(kept);
  const intPart = kept.slice(0, kept.length - digits);
  let out = intPart.slice(0, ((intPart.length - 1) % 3) + 1);
  for (let i = out.length; i < intPart.length; i += 3) out += `,${intPart.slice(i, i + 3)}`;
  return digits === 0 ? out : `${out}.${kept.slice(kept.length - digits)}`;
}

/** A string of decimal digits plus one (`'199'` → `'200'`, `'99'` → `'100'`). */
function incremented(d: string): string {
  let i = d.length - 1;
  while (i >= 0 && d[i] === '9') i--;
  return i < 0 ? `1${'0'.repeat(d.length)}` : `${d.slice(0, i)}${String.fromCharCode(d.charCodeAt(i) + 1)}${'0'.repeat(d.length - i - 1)}`;
}

/**
 * Formats a count with thousands separators.
 * @param n - a count
 * @returns e.g. `12,345`; `n/a` when not finite
 */
export function count(n: number): string {
  return Number.isFinite(n) ? grouped(n, 0) : 'n/a';
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
  if (Math.abs(x) >= 10 ** sig) return grouped(x, 0);
  let f = significant.get(sig);
  if (f === undefined) significant.set(sig, (f = new Intl.NumberFormat('en-US', { maximumSignificantDigits: sig })));
  return f.format(x);
}

/** `decimal`'s formats by significant digits, made once (`toLocaleString` makes one a call). */
const significant = new Map<number, Intl.NumberFormat>();
