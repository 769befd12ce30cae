/**
 * Reserved capacity in simulated time, on a deterministic trace: one request every 10 s for an
 * hour (360), each served in exactly 25 s, at a provider with 2 reserved slots. Worked out by hand:
 * request i arrives at 10i s. Request 0 and 1 take the two reserved slots; request 2 (20 s) finds
 * both busy (they end at 25 s and 35 s) and overflows; request 3 (30 s) finds one free (0 ended
 * at 25 s); and so on: from then on every third request (i ≡ 2 mod 3) overflows, so 240 run on
 * reserved slots and 120 on demand.
 */
import { describe, expect, it } from 'vitest';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSummaryTable } from '../../src/report/summary-table.js';
import { simulate } from '../../src/sim/run.js';
import { reservedTrace as scenario } from '../_reserved.js';

describe('reserved capacity in the simulator', () => {
  it('bills the prorated fee, the marginal price on reserved slots and on-demand prices for overflow', async () => {
    const report = await simulate(scenarioFromObject(scenario({ slots: 2, feePerSlot: 100, period: '30d', perImage: 0.005 })), { oracle: false });
    const s = report.strategies[0]!;
    const p = s.providers.gpu!;
    expect(s.requests.succeeded).toBe(360);
    // Fee: 2 slots × $100 × (1 h / 720 h) = $0.2777…; marginal: 240 × $0.005 = $1.20;
    // overflow: 120 × $0.04 = $4.80.
    const fee = (2 * 100) / 720;
    expect(p.reserved!.periods).toBe(1);
    expect(p.reserved!.fee).toBeCloseTo(fee, 12);
    expect(p.reserved!.marginal).toBeCloseTo(1.2, 12);
    expect(p.reserved!.overflow).toBeCloseTo(4.8, 12);
    expect(p.reserved!.attempts).toEqual({ reserved: 240, overflow: 120, refused: 0 });
    // The provider's and the run's cost hold all three.
    expect(p.cost).toBeCloseTo(fee + 1.2 + 4.8, 12);
    expect(s.cost.total).toBeCloseTo(fee + 1.2 + 4.8, 12);
    // Reserved slot time in the window: 240 × 25 s, less the 5 s of request 358 (3,580 s →
    // 3,605 s) after the end: 5,995 s over 2 slots × 3,600 s.
    expect(p.reserved!.busySlotMs).toBe(5_995_000);
    expect(p.reserved!.utilisation).toBeCloseTo(5995 / 7200, 12);
    expect(p.reserved!.images).toBe(360);
    expect(p.reserved!.costPerImage).toBeCloseTo((fee + 1.2 + 4.8) / 360, 12);
    // The fee is a commitment, not metered spend: the budget does not see it; no oracle runs.
    expect(s.budget.spent).toBeCloseTo(1.2 + 4.8, 12);
    expect(report.oracle).toBeUndefined();
    // report.md: 5,995 / 7,200 = 83.26%; $6.2777… / 360 = $0.0174383.
    const md = renderMarkdown(report);
    expect(md).toContain('## Reserved capacity');
    expect(md).toMatch(/\| cheapest \| gpu +\| +2 \| +83\.26% \| +240 \/ 120 \/ 0 \| \$0\.277778 \| +\$1\.20 \| +\$4\.80 \| +360 \| +\$0\.0174383 \|/);
    // The terminal: one line per reservation, and why there is no oracle line.
    const terminal = renderSummaryTable(report).split('\n');
    expect(terminal).toContain('reserved gpu (cheapest): 2 slots 83.26% busy; fees $0.277778 + marginal $1.20 + overflow $4.80 = $0.0174383 per image');
    expect(terminal).toContain('oracle: not run (it prices every attempt on demand, so it has no plan against reserved slots)');
  });

  it('gates on the reserved figures with thresholds', async () => {
    const report = await simulate(
      scenarioFromObject({
        ...scenario({ slots: 2, feePerSlot: 100, perImage: 0.005 }),
        thresholds: [
          { metric: 'providers.gpu.reserved.utilisation', min: 0.8 },
          { metric: 'providers.gpu.reserved.costPerImage', max: 0.017 },
        ],
      }),
      { oracle: false },
    );
    expect(report.strategies[0]!.thresholds.map((t) => t.ok)).toEqual([true, false]);
  });

  it('bills a started period whole with partial: whole', async () => {
    const report = await simulate(scenarioFromObject(scenario({ slots: 2, feePerSlot: 100, partial: 'whole' })), { oracle: false });
    const p = report.strategies[0]!.providers.gpu!;
    // $200 for the month the hour starts; no marginal price: overflow only, 120 × $0.04.
    expect(p.reserved!.fee).toBe(200);
    expect(p.reserved!.marginal).toBe(0);
    expect(p.cost).toBeCloseTo(204.8, 9);
    expect(p.reserved!.costPerImage).toBeCloseTo(204.8 / 360, 12);
  });

  it('refuses what does not fit with overflow: none (a self-hosted cluster)', async () => {
    const report = await simulate(scenarioFromObject(scenario({ slots: 2, feePerSlot: 100, overflow: 'none' }, 1)), { oracle: false });
    const s = report.strategies[0]!;
    const p = s.providers.gpu!;
    // The same 120 requests find both slots busy; one attempt each, refused 503.
    expect(p.reserved!.attempts).toEqual({ reserved: 240, overflow: 0, refused: 120 });
    expect(p.outcomes).toEqual({ overloaded: 120, success: 240 });
    expect(s.requests.failed).toBe(120);
    expect(p.reserved!.overflow).toBe(0);
    expect(p.reserved!.costPerImage).toBeCloseTo((200 / 720) / 240, 12);
  });

  it('runs everything on demand with 0 slots, with no fee', async () => {
    const report = await simulate(scenarioFromObject(scenario({ slots: 0, feePerSlot: 100 })), { oracle: false });
    const p = report.strategies[0]!.providers.gpu!;
    expect(p.reserved).toMatchObject({ slots: 0, fee: 0, utilisation: 0, attempts: { reserved: 0, overflow: 360, refused: 0 } });
    expect(p.reserved!.overflow).toBeCloseTo(360 * 0.04, 9);
    expect(p.cost).toBeCloseTo(14.4, 9);
  });

  it('reports no reserved section without a reservation', async () => {
    const report = await simulate(scenarioFromObject(scenario(undefined)), { oracle: false });
    expect(report.strategies[0]!.providers.gpu!.reserved).toBeUndefined();
    expect(renderMarkdown(report)).not.toContain('Reserved capacity');
    expect(renderSummaryTable(report)).not.toContain('reserved');
    expect(report.strategies[0]!.cost.total).toBeCloseTo(14.4, 9);
  });
});

describe('reserved capacity: bad input', () => {
  it('is a located error: a period under an hour, a credits provider, a fractional slot count', () => {
    expect(() => scenarioFromObject(scenario({ slots: 2, feePerSlot: 100, period: '1ms' }))).toThrow(/providers\[0\]\.reserved\.period: expected a period of at least 1h/);
    expect(() => scenarioFromObject(scenario({ slots: 2.5, feePerSlot: 100 }))).toThrow(/providers\[0\]\.reserved\.slots: expected a whole number >= 0/);
    const credits = scenario({ slots: 2, feePerSlot: 100 });
    credits.providers[0]!.pricing = { model: 'credits', perImage: 1, creditPrice: 0.01 };
    expect(() => scenarioFromObject(credits)).toThrow(/providers\[0\]\.reserved: reserved capacity overflows at on-demand prices in USD/);
  });
});
