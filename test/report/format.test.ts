/**
 * The one money format (src/report/format.ts `usd`): every report, table and forecast writes
 * amounts the same way, a negative one with the minus before the dollar sign.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MINUS, count, decimal, usd } from '../../src/report/format.js';

describe('usd', () => {
  it.each([
    [0, '$0.00'],
    [0.0441, '$0.0441'],
    [0.1 + 0.2, '$0.3'],
    [1234.5, '$1,234.50'],
    [-5.04, '−$5.04'],
    [-31_180.18, '−$31,180.18'],
    [-0.0441, '−$0.0441'],
    [Number.NaN, 'n/a'],
    [Infinity, 'n/a'],
  ])('%d → %s', (amount, text) => {
    expect(usd(amount)).toBe(text);
  });
  it('uses U+2212 for the minus, as the comparisons do', () => {
    expect(MINUS).toBe('\u2212');
    expect(usd(-1).startsWith(MINUS)).toBe(true);
  });
});

/** What the formats wrote before they did without ICU (toLocaleString), for the same number. */
const icuUsd = (x: number): string => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const icuCount = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

describe('usd and count without ICU', () => {
  it.each([
    [1, '$1.00', '1'],
    [999.995, '$1,000.00', '1,000'],
    [1.005, '$1.01', '1'], // the double is 1.00499999999999989..., ICU rounds its shortest form, 1.005
    [2.675, '$2.68', '3'],
    [0.5, '$0.5', '1'], // below $1, usd shows significant digits; count rounds the half up
    [2.5, '$2.50', '3'],
    [1_234_567.891, '$1,234,567.89', '1,234,568'],
    [99_999.5, '$99,999.50', '100,000'],
    [Number.MAX_SAFE_INTEGER, '$9,007,199,254,740,991.00', '9,007,199,254,740,991'],
  ])('%d → %s, count %s', (x, money, n) => {
    expect(usd(x)).toBe(money);
    expect(count(x)).toBe(n);
    if (x >= 1) expect(usd(x)).toBe(icuUsd(x));
    expect(count(x)).toBe(icuCount(x));
  });
  it('writes what toLocaleString wrote for any amount, halves and integers included', () => {
    const amounts = fc.oneof(
      fc.double({ min: 1, max: 1e16, noNaN: true }),
      fc.double({ min: 0, max: 1e3, noNaN: true }),
      fc.integer({ min: 0, max: 10_000_000 }).map((k) => k / 1000 + 0.0005), // near a tie of the cents
      fc.integer({ min: 0, max: 10_000_000 }).map((k) => k / 200), // ties exactly: k.005, k.5
      fc.constantFrom(1e21, 2 ** 60, 1e-7, 0),
    );
    fc.assert(
      fc.property(amounts, (x) => {
        expect(count(x)).toBe(icuCount(x));
        expect(count(-x)).toBe(icuCount(-x));
        if (x >= 1) expect(usd(x)).toBe(icuUsd(x));
      }),
      { numRuns: 5_000 },
    );
  });
  it('decimal keeps its significant digits, and whole thousands above them', () => {
    expect(decimal(0.0023149)).toBe('0.00231');
    expect(decimal(12.34)).toBe('12.3');
    expect(decimal(12_345.6)).toBe('12,346');
    expect(decimal(-12_345.6)).toBe('-12,346');
    expect(decimal(1.23456, 6)).toBe('1.23456');
  });
});
