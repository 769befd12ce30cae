/**
 * Regret in forecasts: every run's figures are exactly those `imgsim run` reports for the run's
 * seed and horizon (the same oracle, on the same draws), the spreads are spreads of them, and the
 * per-strategy bound never exceeds what the strategy paid. `--no-oracle` removes them and changes
 * nothing else.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forecast } from '../../src/forecast/forecast.js';
import { runSeed } from '../../src/forecast/parameters.js';
import { spread } from '../../src/forecast/stats.js';
import { oracleText, renderForecastTable } from '../../src/forecast/table.js';
import { loadScenario } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

const MINIMAL = path.join(import.meta.dirname, '../fixtures/minimal.yaml');
const RUNS = 3;
const HORIZON_MS = 20 * 60_000;

describe('forecast regret', () => {
  it('spreads, over the runs, the oracle and regret that run reports for each run’s seed', async () => {
    const scenario = loadScenario(MINIMAL);
    const f = await forecast(scenario, { runs: RUNS, horizonMs: HORIZON_MS, seed: 3 });
    const reports = await Promise.all(Array.from({ length: RUNS }, (_, i) => simulate(scenario, { seed: runSeed(3, i), durationMs: HORIZON_MS })));
    expect(f.oracle).toEqual({
      cost: spread(reports.map((r) => r.oracle!.cost)),
      unconstrainedCost: spread(reports.map((r) => r.oracle!.unconstrainedCost)),
    });
    f.strategies.forEach((s, k) => {
      const per = reports.map((r) => r.strategies[k]!);
      expect(per.every((p) => p.name === s.name)).toBe(true);
      expect(s.regret).not.toBeNull();
      expect(s.regret!.regretUsd).toEqual(spread(per.map((p) => p.regret!.usd)));
      expect(s.regret!.lowerBoundUsd).toEqual(spread(per.map((p) => p.regret!.lowerBound)));
      expect(s.regret!.oracleCostUsd).toEqual(f.oracle!.cost);
      // Regret is cost − plan in every run, so the means differ by exactly that.
      expect(s.regret!.regretUsd.mean).toBeCloseTo(s.cost.mean - f.oracle!.cost.mean, 9);
      expect(s.regret!.meanRatio).toBeCloseTo(s.regret!.regretUsd.mean / f.oracle!.cost.mean, 12);
      // The least any router could pay for the service a strategy gave never exceeds what it paid.
      per.forEach((p) => expect(p.regret!.lowerBound).toBeLessThanOrEqual(p.cost.total));
      expect(s.regret!.lowerBoundUsd.max).toBeLessThanOrEqual(s.cost.max);
    });
  });

  it('leaves regret and oracle out with oracle: false and changes nothing else', async () => {
    const scenario = loadScenario(MINIMAL);
    const withOracle = await forecast(scenario, { runs: 2, horizonMs: HORIZON_MS });
    const without = await forecast(scenario, { runs: 2, horizonMs: HORIZON_MS, oracle: false });
    expect(without.oracle).toBeNull();
    expect(without.strategies.every((s) => s.regret === null)).toBe(true);
    expect({ ...without, oracle: withOracle.oracle, strategies: without.strategies.map((s, i) => ({ ...s, regret: withOracle.strategies[i]!.regret })) }).toEqual(withOracle);
  });

  it('prints the oracle line, and explains a negative median regret only when there is one', async () => {
    const f = await forecast(loadScenario(MINIMAL), { runs: 2, horizonMs: HORIZON_MS });
    const table = renderForecastTable(f);
    expect(table).toMatch(/^strategy +cost mean +P50 +P90 +P99 +regret P50 /m);
    expect(table).toContain('Hindsight oracle (the cheapest routing on each run');
    const negative = f.strategies.some((s) => s.regret!.regretUsd.p50 < 0);
    expect(oracleText(f, f.oracle!).includes('A negative regret is a strategy that paid less')).toBe(negative);
    const below = { ...f, strategies: f.strategies.map((s) => ({ ...s, regret: { ...s.regret!, regretUsd: { ...s.regret!.regretUsd, p50: -1 } } })) };
    expect(oracleText(below, f.oracle!)).toContain('A negative regret is a strategy that paid less');
    const above = { ...f, strategies: f.strategies.map((s) => ({ ...s, regret: { ...s.regret!, regretUsd: { ...s.regret!.regretUsd, p50: 1 } } })) };
    expect(oracleText(above, f.oracle!)).not.toContain('negative');
  });
});
