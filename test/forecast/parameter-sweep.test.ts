/**
 * The parameter sweep (`--sweep providers.<id>.reserved.slots=...`) on the deterministic trace of
 * test/_reserved.ts: one request every 10 s for an hour (360), each served in exactly 25 s, so at
 * most 3 run at once and the figures do not depend on the seed. Worked out by hand:
 * - 0 slots: 360 on demand × $0.04 = $14.40;
 * - 2 slots: every third request overflows (120); fee 2 × $100 / 720 = $0.2778, marginal 240 ×
 *   $0.005 = $1.20, overflow 120 × $0.04 = $4.80: $6.2778; reserved slot time 240 × 25 s less
 *   5 s after the end = 5,995 s of 7,200;
 * - 4 slots: all 360 reserved; fee 4 × $100 / 720 = $0.5556, marginal 360 × $0.005 = $1.80:
 *   $2.3556; slot time 360 × 25 s less 5 s and 15 s after the end = 8,980 s of 14,400.
 */
import { describe, expect, it } from 'vitest';
import { inlineExecutor } from '../../src/forecast/monte-carlo.js';
import { sweepParameter } from '../../src/forecast/parameter-sweep.js';
import { parameterSweepRows } from '../../src/forecast/parameter-sweep-table.js';
import { isParameterSweep, parseParameterSweep, withParameter } from '../../src/forecast/sweep-parameters.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { reservedTrace } from '../_reserved.js';

const HOUR_MS = 3_600_000;

function reservedScenario(overflow: 'on-demand' | 'none' = 'on-demand') {
  const base = reservedTrace({ slots: 1, feePerSlot: 100, period: '30d', perImage: 0.005, overflow }, 1);
  return scenarioFromObject({
    ...base,
    providers: [...base.providers, { id: 'other', pricing: { model: 'per-image', price: 0.05 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }],
    strategies: [{ use: 'failover', name: 'gpu-only', order: ['gpu'] }],
    slo: { interactive: { p95: '30s' } },
  });
}

describe('parameter sweep', () => {
  it('runs every value on the same seeds and pools cost, utilisation and cost per image', async () => {
    const s = reservedScenario();
    const spec = parseParameterSweep('providers.gpu.reserved.slots=0,2,4', s);
    const result = await sweepParameter(s, inlineExecutor(s), { spec, runsPerValue: 2, horizonMs: HOUR_MS, seed: s.seed, strategies: ['gpu-only'] });
    expect(result).toMatchObject({ parameter: 'providers.gpu.reserved.slots', values: [0, 2, 4], runsPerValue: 2, horizon: '1h' });
    const [zero, two, four] = result.strategies[0]!.points;
    expect(zero!.cost).toBeCloseTo(14.4, 9);
    expect(zero!.costPerImage).toBeCloseTo(0.04, 12);
    expect(zero!.reserved).toMatchObject({ slots: 0, utilisation: 0, fee: 0, marginal: 0 });
    const fee2 = (2 * 100) / 720;
    expect(two!.cost).toBeCloseTo(fee2 + 1.2 + 4.8, 9);
    expect(two!.reserved!.utilisation).toBeCloseTo(5995 / 7200, 12);
    expect(two!.reserved!.fee).toBeCloseTo(fee2, 12);
    expect(two!.reserved!.overflow).toBeCloseTo(4.8, 9);
    expect(two!.reserved!.costPerImage).toBeCloseTo((fee2 + 6) / 360, 12);
    const fee4 = (4 * 100) / 720;
    expect(four!.cost).toBeCloseTo(fee4 + 1.8, 9);
    expect(four!.reserved!.utilisation).toBeCloseTo(8980 / 14400, 12);
    expect(four!.reserved!.overflow).toBe(0);
    expect(four!.latencyP95Ms).toBe(25_000);
    // Every value meets the SLO (25 s < 30 s); 4 slots is the cheapest.
    expect(result.strategies[0]!.points.map((p) => p.meetsSlo)).toEqual([true, true, true]);
    expect(result.strategies[0]!.best).toBe(4);
    const rows = parameterSweepRows(result);
    expect(rows.header.slice(0, 5)).toEqual(['strategy', 'reserved.slots', 'cost (mean)', 'cost per image', 'reserved utilisation']);
    expect(rows.rows.map((r) => r[1])).toEqual(['0', '2', '4 (best)']);
    expect(rows.rows[1]![4]).toBe('83.26%');
  });

  it('picks the cheapest value that meets the SLO, not the cheapest', async () => {
    // Without overflow, 2 slots refuse the 120 requests that find both busy: attainment
    // 240 / 360 = 66.7% misses 95%, though it costs less ($0.2778 + $1.20) than 4 slots ($2.3556).
    const s = reservedScenario('none');
    const spec = parseParameterSweep('providers.gpu.reserved.slots=2,4', s);
    const result = await sweepParameter(s, inlineExecutor(s), { spec, runsPerValue: 1, horizonMs: HOUR_MS, seed: s.seed, strategies: ['gpu-only'] });
    const [two, four] = result.strategies[0]!.points;
    expect(two!.attainment.interactive).toBeCloseTo(240 / 360, 12);
    expect(two!.meetsSlo).toBe(false);
    expect(two!.cost).toBeCloseTo(200 / 720 + 1.2, 9);
    expect(four!.meetsSlo).toBe(true);
    expect(result.strategies[0]!.best).toBe(4);
    expect(parameterSweepRows(result).rows[0]![9]).toBe('66.67% interactive (misses)');
  });

  it('parses the sweepable paths and says what is wrong with the others', () => {
    const s = reservedScenario();
    expect(isParameterSweep('providers.gpu.reserved.slots=0,4')).toBe(true);
    expect(isParameterSweep('rate=1/s..10/s')).toBe(false);
    expect(parseParameterSweep(' providers.gpu.reserved.feePerSlot = 50, 99.5 ', s)).toEqual({
      path: 'providers.gpu.reserved.feePerSlot',
      provider: 'gpu',
      key: 'reserved.feePerSlot',
      values: [50, 99.5],
    });
    expect(parseParameterSweep('providers.other.capacity.concurrency=8,16', s).values).toEqual([8, 16]);
    expect(() => parseParameterSweep('providers.gpu.reserved.slotz=1', s)).toThrow(/sweepable: providers.<id>.reserved.slots/);
    expect(() => parseParameterSweep('providers.gpx.reserved.slots=1', s)).toThrow(/no provider "gpx".*providers are gpu, other/);
    expect(() => parseParameterSweep('providers.other.reserved.slots=1,2', s)).toThrow(/"other" has no `reserved` block/);
    expect(() => parseParameterSweep('providers.gpu.reserved.slots=0,2.5', s)).toThrow(/whole numbers >= 0; got "2.5"/);
    expect(() => parseParameterSweep('providers.gpu.capacity.concurrency=0', s)).toThrow(/whole numbers >= 1; got "0"/);
    expect(() => parseParameterSweep('providers.gpu.reserved.slots=4,,8', s)).toThrow(/got ""/);
    expect(() => parseParameterSweep('providers.gpu.reserved.slots=4,4', s)).toThrow(/listed twice/);
  });

  it('sets the value on a copy of the provider only', () => {
    const s = reservedScenario();
    const t = withParameter(s, { path: 'providers.gpu.reserved.slots', value: 8 });
    expect(t.providers[0]!.reserved).toMatchObject({ slots: 8, feePerSlot: 100 });
    expect(s.providers[0]!.reserved!.slots).toBe(1);
    expect(t.providers[1]).toBe(s.providers[1]);
    expect(withParameter(s, { path: 'providers.gpu.capacity.concurrency', value: 3 }).providers[0]!.capacity).toEqual({ concurrency: 3, queue: 64 });
  });
});
