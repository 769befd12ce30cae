/**
 * The forecast's charts as data: the fan chart's bands and medians are the forecast's spend
 * percentiles, point for point; the sweep curve is the probes' binding attainment; the budget
 * line appears only when it can be compared with the bands. The PNG and browser tests check
 * that Chart.js draws these configurations.
 */
import { describe, expect, it } from 'vitest';
import { bindingAttainment, buildForecastCharts, spendFanChart, sweepChart } from '../../src/forecast/charts.js';
import type { Forecast, StrategyForecast, SweepProbe, SweepResult } from '../../src/forecast/forecast-types.js';
import { lineLegendLabels, type LegendChart } from '../../src/report/charts/hooks.js';
import { smallForecast } from './_forecast.js';

type Dataset = { label?: string; data: { x: number; y: number }[]; fill?: unknown; backgroundColor?: unknown; borderWidth?: unknown; showLine?: boolean };

function datasets(spec: ReturnType<typeof spendFanChart>): Dataset[] {
  if (spec.kind !== 'chart') throw new Error(`skipped: ${spec.reason}`);
  return spec.config.data.datasets as unknown as Dataset[];
}

function withBudget(f: Forecast, limit: number, period: string): Forecast {
  return { ...f, strategies: f.strategies.map((s): StrategyForecast => ({ ...s, budget: { limit, period, exceedProbability: 0, runsExceeding: 0, exceedDay: null } })) };
}

describe('spend fan chart', () => {
  it('draws each strategy as a P90 edge, a P10 edge filled up to it, and the median line, from day 0', async () => {
    const f = await smallForecast();
    const sets = datasets(spendFanChart(f));
    // minimal.yaml's two strategies over 3 days: 6 datasets, 3 days of spend each.
    expect(f.strategies.map((s) => s.spendByDay.p50.length)).toEqual([3, 3]);
    expect(sets).toHaveLength(6);
    f.strategies.forEach((s, i) => {
      const [hi, lo, mid] = sets.slice(3 * i, 3 * i + 3) as [Dataset, Dataset, Dataset];
      const expected = (v: readonly number[]) => [{ x: 0, y: 0 }, ...v.map((y, d) => ({ x: d + 1, y }))];
      expect(hi.data).toEqual(expected(s.spendByDay.p90));
      expect(lo.data).toEqual(expected(s.spendByDay.p10));
      expect(mid.data).toEqual(expected(s.spendByDay.p50));
      expect([hi.label, lo.label, mid.label]).toEqual(['', '', s.name]);
      expect(lo.fill).toBe('-1');
      expect(hi.borderWidth).toBe(0);
      // A translucent fill: the strategy's colour with an alpha byte.
      expect(lo.backgroundColor).toMatch(/^#[0-9A-Fa-f]{8}$/);
      // Percentiles are ordered, so the band has the median inside it.
      s.spendByDay.p50.forEach((m, d) => {
        expect(s.spendByDay.p10[d]!).toBeLessThanOrEqual(m);
        expect(m).toBeLessThanOrEqual(s.spendByDay.p90[d]!);
      });
    });
  });

  it('draws the budget only when the horizon fits in one period and some P90 reaches a quarter of it', async () => {
    const f = await smallForecast();
    const top = Math.max(...f.strategies.map((s) => s.spendByDay.p90.at(-1)!));
    const budgetLines = (g: Forecast) => datasets(spendFanChart(g)).filter((d) => d.label?.startsWith('budget'));
    const near = budgetLines(withBudget(f, top * 2, '30d'));
    expect(near).toHaveLength(1);
    expect(near[0]!.data.map((p) => p.y)).toEqual([top * 2, top * 2]);
    // Far above every band (P90 below 25% of it): left out so the bands are not flattened.
    expect(budgetLines(withBudget(f, top * 5, '30d'))).toHaveLength(0);
    // A budget period shorter than the horizon: cumulative spend is not comparable with it.
    expect(budgetLines(withBudget(f, top * 2, '1m'))).toHaveLength(0);
    expect(budgetLines(f)).toHaveLength(0);
  });

  it('gives legend entries to the labelled series only', async () => {
    const f = await smallForecast();
    const sets = datasets(spendFanChart(f));
    const chart: LegendChart = { options: { color: '#222' }, data: { datasets: sets }, isDatasetVisible: () => true };
    const items = lineLegendLabels(chart);
    expect(items.map((x) => x.text)).toEqual(f.strategies.map((s) => s.name));
    // Each entry still toggles its own dataset (the median, every third).
    expect(items.map((x) => x.datasetIndex)).toEqual(f.strategies.map((_, i) => 3 * i + 2));
  });
});

describe('sweep curve', () => {
  const probe = (ratePerSec: number, interactive: number | null, batch: number | null): SweepProbe => ({
    ratePerSec,
    meetsSlo: true,
    attainment: { interactive, batch },
    successRate: 1,
    providers: {},
  });
  const sweep: SweepResult = {
    fromPerSec: 1,
    toPerSec: 20,
    tolerancePerSec: 0.5,
    probeRuns: 2,
    probeHorizon: '1h',
    targets: { interactive: 0.95, batch: 0.95 },
    strategies: [
      // Probes in bisection order, not by rate.
      { name: 'a', sustainableRatePerSec: 10, aboveRange: false, saturates: null, probes: [probe(1, 0.99, 1), probe(20, 0.5, 0.9), probe(10.5, 0.97, 0.93), probe(5, 0.98, null)] },
      { name: 'b', sustainableRatePerSec: null, aboveRange: false, saturates: null, probes: [probe(1, null, null), probe(20, 0.2, 0.1)] },
    ],
  };

  it('plots the lower class attainment at each probed rate, by rate, with the target line', () => {
    const sets = datasets(sweepChart(sweep));
    expect(sets[0]!.data).toEqual([
      { x: 1, y: 99 },
      { x: 5, y: 98 },
      { x: 10.5, y: 93 },
      { x: 20, y: 50 },
    ]);
    // A probe without requests in any class has no attainment and no point.
    expect(sets[1]!.data.map((p) => p.x)).toEqual([20]);
    expect(sets[1]!.data[0]!.y).toBeCloseTo(10, 12);
    expect(sets[2]!.label).toBe('SLO target 95%');
    expect(sets[2]!.data).toEqual([
      { x: 1, y: 95 },
      { x: 20, y: 95 },
    ]);
    expect(bindingAttainment(probe(3, null, null))).toBeNaN();
    // Probed points only: no line joins rates the bisection never tried; the target is a line.
    expect(sets.slice(0, 2).map((d) => d.showLine)).toEqual([false, false]);
    expect(sets[2]!.showLine).not.toBe(false);
  });

  it('draws one target line per class when they differ', () => {
    const sets = datasets(sweepChart({ ...sweep, targets: { interactive: 0.95, batch: 0.9 } }));
    expect(sets.slice(2).map((d) => d.label)).toEqual(['interactive target 95%', 'batch target 90%']);
  });

  it('is skipped, with the reason, in a forecast without a sweep', async () => {
    const f = await smallForecast();
    const charts = buildForecastCharts(f);
    expect(charts.map((c) => c.id)).toEqual(['spend-fan', 'sweep']);
    expect(charts[1]).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('--sweep rate=A..B') });
    expect(buildForecastCharts({ ...f, sweep })[1]!.kind).toBe('chart');
  });
});
