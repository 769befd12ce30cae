/**
 * The one money format (src/report/format.ts `usd`): every report, table and forecast writes
 * amounts the same way, a negative one with the minus before the dollar sign.
 */
import { describe, expect, it } from 'vitest';
import { MINUS, usd } from '../../src/report/format.js';

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
