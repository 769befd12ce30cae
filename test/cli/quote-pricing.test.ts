import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './_cli.js';

/** Writes a scenario with one provider of the given pricing (YAML flow text). */
function scenario(pricing: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'imgsim-quote-')), 'q.yaml');
  writeFileSync(
    file,
    `version: 1
name: q
start: 2026-06-01T00:00:00Z
providers:
  - id: lumen
    pricing: ${pricing}
    tiers: { standard: { latency: { dist: fixed, value: 8s } } }
traffic: { arrivals: { rate: 1/s }, mix: [{ name: a }] }
`,
  );
  return file;
}

const BATCH_NIGHT = '{ model: per-step, base: 0.002, perStep: 0.001, offPeak: [{ from: "02:00", to: "06:00", discount: 0.3, appliesTo: batch }] }';

describe('imgsim quote --urgency', () => {
  it('applies a batch-only window to batch work: 0.042 × 0.7 = 0.0294', async () => {
    const { code, out } = await cli('quote', scenario(BATCH_NIGHT), '--size', '1024x1024', '--steps', '40', '--at', '2026-06-01T03:00:00Z', '--urgency', 'batch', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.request.urgency).toBe('batch');
    expect(json.quotes[0].quote.totalUsd).toBeCloseTo(0.0294, 12);
  });

  it('shows the window skipped for interactive work (the default), at 0.042', async () => {
    const { code, out } = await cli('quote', scenario(BATCH_NIGHT), '--size', '1024x1024', '--steps', '40', '--at', '2026-06-01T03:00:00Z');
    expect(code).toBe(0);
    expect(out).toContain('1024x1024, 40 steps, interactive, at 2026-06-01T03:00:00.000Z');
    expect(out).toContain('off-peak 02:00–06:00 UTC −30% is for batch work only: not applied to an interactive request (×1)');
    expect(out).toContain('total $0.042');
  });

  it('refuses an unknown urgency with exit 2', async () => {
    const { code, err } = await cli('quote', scenario(BATCH_NIGHT), '--size', '1024x1024', '--steps', '40', '--urgency', 'bulk');
    expect(code).toBe(2);
    expect(err).toContain('--urgency: expected interactive or batch, got "bulk"');
  });
});

describe('imgsim quote with credits rounded as sold', () => {
  it('itemises the rounding: 1.5 credits → ⌈1.5⌉ = 2 credits × $0.02 = $0.04', async () => {
    const { out } = await cli('quote', scenario('{ model: credits, perImage: 1.5, rounding: up, bundles: [{ credits: 1000, price: 20 }] }'), '--size', '1024x1024', '--steps', '30');
    expect(out).toContain('rounding up: ⌈1.5⌉ = 2 whole credits');
    expect(out).toContain('total $0.04 (2 credits)');
  });
});

describe('imgsim quote --at with a price schedule', () => {
  const LIST = `
      - { model: per-image, price: 0.04 }
      - { model: per-image, price: 0.05, from: "2026-07-01T00:00:00Z", schedule: [{ from: "2026-08-01T00:00:00Z", multiply: 1.2 }] }`;

  it('quotes the pricing in force and says which: $0.05 × 1.2 = $0.06 in August', async () => {
    const { code, out } = await cli('quote', scenario(LIST), '--size', '1024x1024', '--steps', '30', '--at', '2026-08-15T00:00:00Z');
    expect(code).toBe(0);
    expect(out).toContain('price in force: pricing[1] from 2026-07-01T00:00:00.000Z, schedule[0] ×1.2 from 2026-08-01T00:00:00.000Z');
    expect(out).toContain('total $0.06');
    const june = JSON.parse((await cli('quote', scenario(LIST), '--size', '1024x1024', '--steps', '30', '--json')).out);
    expect(june.quotes[0].quote.totalUsd).toBe(0.04);
    expect(june.quotes[0].quote.schedule).toBe('pricing[0] from the start');
  });

  it('explain --at prices with it too and says what is in force', async () => {
    const { code, out } = await cli('explain', scenario(LIST), '--size', '1024x1024', '--steps', '30', '--at', '2026-08-15T00:00:00Z', '--json');
    expect(code).toBe(0);
    const first = JSON.parse(out).strategies[0].candidates[0];
    expect(first.priceUsd).toBeCloseTo(0.06, 12);
    expect(first.quote.schedule).toBe('pricing[1] from 2026-07-01T00:00:00.000Z, schedule[0] ×1.2 from 2026-08-01T00:00:00.000Z');
  });
});
