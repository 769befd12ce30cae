import { describe, expect, it } from 'vitest';
import { LiveLedger } from '../../src/live/ledger.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { assertFiniteAmount } from '../../src/scenario/limits.js';

function record(ledger: LiveLedger, costUsd: number): void {
  ledger.record({ id: 'r1', wallEpochMs: 0, simEpochMs: 0, provider: 'lumen', project: 'default', body: {}, tier: 'standard', outcome: 'success', code: undefined, costUsd, status: 200, latencyMs: 5, simLatencyMs: 5 });
}

describe('the ledger holds finite numbers only', () => {
  it.each([Infinity, -Infinity, NaN, -0.5])('refuses to add %s and keeps its totals', (cost) => {
    const ledger = new LiveLedger(['lumen'], 10);
    record(ledger, 0.04);
    let thrown: unknown;
    try {
      record(ledger, cost);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ImgsimError);
    expect((thrown as ImgsimError).code).toBe('internal');
    expect((thrown as ImgsimError).message).toMatch(/lumen.*finite/);
    const snap = ledger.snapshot();
    expect(snap.totals.costUsd).toBe(0.04);
    expect(snap.totals.requests).toBe(1);
  });

  it('adds finite amounts as before', () => {
    const ledger = new LiveLedger(['lumen'], 10);
    record(ledger, 0.04);
    record(ledger, 0);
    record(ledger, 0.02);
    // 0.04 + 0.02
    expect(ledger.snapshot().totals.costUsd).toBeCloseTo(0.06, 12);
  });

  it('writes money without float noise: 0.05 + 0.01 is 0.06, not 0.060000000000000005', () => {
    expect(0.05 + 0.01).toBe(0.060000000000000005);
    const ledger = new LiveLedger(['lumen'], 10);
    record(ledger, 0.05);
    record(ledger, 0.01);
    const snap = ledger.snapshot();
    expect(snap.totals.costUsd).toBe(0.06);
    expect(snap.providers.lumen!.costUsd).toBe(0.06);
    expect(snap.providers.lumen!.costByProject).toEqual({ default: 0.06 });
    expect(ledger.metrics([])).toContain('imgsim_cost_usd_total{provider="lumen",project="default"} 0.06\n');
  });

  it('names what was added in the error', () => {
    expect(() => {
      assertFiniteAmount(Infinity, 'cost of a request to lumen');
    }).toThrow(/cost of a request to lumen: refusing to add Infinity/);
    expect(() => {
      assertFiniteAmount(1e300, 'x');
    }).not.toThrow();
  });
});
