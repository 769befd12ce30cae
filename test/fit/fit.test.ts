import { describe, expect, it } from 'vitest';
import { fitProviders, toId } from '../../src/fit/fit.js';
import type { LogAttempt } from '../../src/fit/read.js';
import { fitSummary, flow, formatMs, renderFitReport, renderProvidersYaml } from '../../src/fit/render.js';
import { rngFor } from '../../src/model/random.js';
import { parseScenarioText } from '../../src/scenario/load.js';

const T0 = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;

/**
 * Two days at one provider, an attempt every 5 s: 2% server errors; turned away (overloaded)
 * with probability 0.1 + 0.08·cos(2π(h − 15)/24), most at 15:00 UTC, and always from 14:00 to
 * 14:30 on the first day; a turbo tier at 1.5× the price and a fifth of the latency.
 */
function twoDays(): LogAttempt[] {
  const rng = rngFor(5, 'fit-test');
  const out: LogAttempt[] = [];
  for (let t = 0; t < 48 * HOUR; t += 5_000) {
    const startMs = T0 + t;
    const h = (t / HOUR) % 24;
    const turbo = rng.next() < 0.2;
    const outage = t >= 14 * HOUR && t < 14.5 * HOUR;
    const overloaded = outage || rng.next() < 0.1 + 0.08 * Math.cos((2 * Math.PI * (h - 15)) / 24);
    const failed = !overloaded && rng.next() < 0.02;
    const service = 6_000 * Math.exp(0.4 * rng.normal()) * (turbo ? 0.2 : 1);
    out.push({
      provider: 'Acme Images',
      tier: turbo ? 'turbo' : undefined,
      startMs,
      latencyMs: overloaded || failed ? 150 : service,
      outcome: overloaded ? 'overloaded' : failed ? 'server-error' : 'success',
      costUsd: overloaded || failed ? 0 : turbo ? 0.06 : 0.04,
      size: '1024x1024',
      width: 1024,
      height: 1024,
      steps: 30,
      quality: undefined,
      features: [],
    });
  }
  return out;
}

describe('fitting a provider over two days', () => {
  const fit = fitProviders(twoDays());
  const p = fit.providers[0]!;

  it('names it with a valid id and keeps the log’s name as its model', () => {
    expect([p.id, p.name]).toEqual(['acme-images', 'Acme Images']);
    expect(toId('black-forest-labs/FLUX.1-schnell', 'x')).toBe('black-forest-labs-flux-1-schnell');
    expect(toId('***', 'provider')).toBe('provider');
  });

  it('finds the outage', () => {
    expect(p.outages).toHaveLength(1);
    const o = p.outages[0]!;
    expect(Math.abs(o.startMs - (T0 + 14 * HOUR))).toBeLessThanOrEqual(5_000);
    expect(Math.abs(o.endMs - (T0 + 14.5 * HOUR))).toBeLessThanOrEqual(5_000);
  });

  it('finds the hour-of-day pattern of overload and shapes availability after it', () => {
    expect(p.capacityTest!.pValue).toBeLessThan(1e-6);
    const d = p.diurnal!;
    expect(Math.abs(d.troughHours - 15)).toBeLessThan(1);
    expect(d.amplitude).toBeCloseTo(0.08, 1);
    expect(d.base).toBeCloseTo(0.9, 1);
    expect(p.hourly).toEqual([]); // server errors do not vary by hour
  });

  it('puts the busiest tier first and prices the other relative to it', () => {
    expect(p.tiers.map((t) => [t.name, t.priceMultiplier])).toEqual([
      ['standard', undefined],
      ['turbo', 1.5],
    ]);
    expect(p.price?.pricing).toEqual({ model: 'per-image', price: 0.04 });
    // server errors are counted per attempt that was not turned away
    expect(p.failures.map((f) => f.key)).toEqual(['serverError']);
    expect(p.failures[0]!.rate).toBeCloseTo(0.02, 2);
  });

  it('writes YAML that validates, with the outage, the diurnal profile, the tier multiplier and billing', () => {
    const yaml = renderProvidersYaml(fit, 'two-days.jsonl');
    expect(yaml).toMatch(/availability: \{ base: 0\.\d+, diurnal: \{ amplitude: 0\.\d+, trough: "1[45]:\d\d", tz: UTC \}, outages: \[\{ at: "2026-06-01T14:00:\d\d\.000Z", duration: \d+(m|s) \}\] \}/);
    expect(yaml).toContain('priceMultiplier: 1.5');
    expect(yaml).not.toContain('billing:'); // server errors are not billed: the default, so no billing block
    const s = parseScenarioText(`version: 1\nname: t\nstart: 2026-06-01T00:00:00Z\n${yaml}traffic:\n  arrivals: { rate: 1/s }\n  mix: [{ name: a }]\n`, 't.yaml');
    const acme = s.providers[0]!;
    expect(acme.model).toBe('Acme Images');
    expect(acme.availability.diurnal?.trough).toBeGreaterThan(14 * 60);
    expect(acme.availability.outages).toHaveLength(1);
    expect(acme.tierList.map((t) => t.name)).toEqual(['standard', 'turbo']);
  });

  it('prints a report and a JSON summary', () => {
    const report = renderFitReport(fit);
    expect(report).toMatch(/^provider\s+tier\s+samples\s+family\s+KS/m);
    expect(report).toMatch(/acme-images: outage 2026-06-01T14:00/);
    const summary = fitSummary(fit) as { providers: { tiers: { latency: { dist: string } }[] }[] };
    expect(summary.providers[0]!.tiers[0]!.latency.dist).toBe('lognormal');
  });
});

describe('writing YAML', () => {
  it.each([
    [{ a: 1, b: 'x y', c: { d: [1, 'two'] } }, '{ a: 1, b: "x y", c: { d: [1, two] } }'],
    [{ size: '1024x1024', at: '2026-06-01T00:00:00Z', t: '15:00', yes: 'no' }, '{ size: 1024x1024, at: "2026-06-01T00:00:00Z", t: "15:00", "yes": "no" }'],
  ])('writes %j as flow YAML', (value, text) => {
    expect(flow(value)).toBe(text);
  });

  it.each([
    [200, '200ms'],
    [250.34, '250.3ms'],
    [6011.4, '6.011s'],
    [60_000, '60s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});
