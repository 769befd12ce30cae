// `--steps` and `--size` of `imgsim quote` and `imgsim explain` get the same limits as scenarios
// and live requests (docs/scenario-reference.md "Limits"): a clear exit 2, never an Infinity price.
import { describe, expect, it } from 'vitest';
import { cli } from './_cli.js';

const SCENARIO = 'scenarios/replay-litellm.yaml';

describe('quote and explain arguments beyond the limits', () => {
  it.each([
    [['--size', '1024x1024', '--steps', '1e308'], '--steps: expected a whole number from 1 to 10000, got "1e308"'],
    [['--size', '1024x1024', '--steps', '10001'], '--steps: expected a whole number from 1 to 10000, got "10001"'],
    [['--size', '999999x999999', '--steps', '4'], '--size: expected a size WIDTHxHEIGHT with each side at most 16384 px, got "999999x999999"'],
  ])('quote %j exits 2 with a message', async (args, message) => {
    const { code, err } = await cli('quote', SCENARIO, ...args);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('quotes the largest request allowed at a finite price', async () => {
    const { code, out } = await cli('quote', SCENARIO, '--size', '16384x16384', '--steps', '10000', '--provider', 'flux-schnell', '--json');
    expect(code).toBe(0);
    // 0.0027 per megapixel for 4 steps: 0.0027 × 268.435456 × 10000 / 4
    expect(JSON.parse(out).quotes[0].quote.totalUsd).toBeCloseTo(0.0027 * 268.435456 * 2500, 6);
  });
});
