// The budget rule (src/model/rules/budget.ts) and the tracker that feeds it: refusal by committed
// spend (billed + held), holds let go exactly, alerts once per threshold per project and window.
import { describe, expect, it } from 'vitest';
import { budgetRefusal } from '../../src/model/rules/budget.js';
import { BudgetTracker, type BudgetSpec, type FiredAlert } from '../../src/routing/budget.js';

const START = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;

function spec(over: Partial<BudgetSpec> = {}): BudgetSpec {
  return { limit: 0.1, period: HOUR, perProject: { app: 0.03 }, alerts: [0.5, 0.8, 1], onExhausted: 'reject', ...over };
}

describe('budgetRefusal', () => {
  const open = { spentUsd: 0, heldUsd: 0, limitUsd: 1 };
  it('refuses by billed plus held spend, the overall limit first, then the project cap', () => {
    expect(budgetRefusal('reject', open, 'app', undefined)).toBeUndefined();
    expect(budgetRefusal('reject', { spentUsd: 0.6, heldUsd: 0.4, limitUsd: 1 }, 'app', undefined)).toBe('budget');
    expect(budgetRefusal('reject', { spentUsd: 0.6, heldUsd: 0.39, limitUsd: 1 }, 'app', undefined)).toBeUndefined();
    expect(budgetRefusal('reject', open, 'app', { spentUsd: 0.02, heldUsd: 0.01, limitUsd: 0.03 })).toBe('budget:app');
    expect(budgetRefusal('reject', { spentUsd: 1, heldUsd: 0, limitUsd: 1 }, 'app', { spentUsd: 1, heldUsd: 0, limitUsd: 0.03 })).toBe('budget');
  });

  it('counts a limit reached within a millionth of a cent (float sums drift) and never refuses under allow', () => {
    let spent = 0;
    for (let i = 0; i < 10; i++) spent += 0.01;
    expect(spent).toBeLessThan(0.1);
    expect(budgetRefusal('reject', { spentUsd: spent, heldUsd: 0, limitUsd: 0.1 }, 'x', undefined)).toBe('budget');
    expect(budgetRefusal('allow', { spentUsd: 5, heldUsd: 0, limitUsd: 0.1 }, 'x', undefined)).toBeUndefined();
    expect(budgetRefusal(undefined, { spentUsd: 5, heldUsd: 0, limitUsd: 0.1 }, 'x', undefined)).toBeUndefined();
  });
});

describe('BudgetTracker', () => {
  it('refuses while holds commit the limit and admits again when they are let go', () => {
    const t = new BudgetTracker(spec({ perProject: {} }), START);
    for (let i = 0; i < 9; i++) t.hold(0.01, 'web');
    expect(t.refusal('web', START)).toBeUndefined();
    t.hold(0.01, 'web');
    expect(t.refusal('web', START)).toBe('budget');
    // One answered unbilled (a failure): its hold goes, nothing is spent.
    t.release(0.01, 'web');
    expect(t.refusal('web', START)).toBeUndefined();
    for (let i = 0; i < 9; i++) t.release(0.01, 'web');
    // The last hold let go leaves exactly 0 (not a float residue).
    expect(t.heldUsd).toBe(0);
    expect(t.spentUsd).toBe(0);
  });

  it('refuses a capped project at its cap while other projects go on, until the overall limit', () => {
    const t = new BudgetTracker(spec(), START);
    const fired: FiredAlert[] = [];
    for (let i = 0; i < 3; i++) {
      expect(t.refusal('app', START + i)).toBeUndefined();
      t.spend(0.01, 'app', START + i, fired);
    }
    expect(t.refusal('app', START + 3)).toBe('budget:app');
    for (let i = 0; i < 7; i++) {
      expect(t.refusal('web', START + 10 + i)).toBeUndefined();
      t.spend(0.01, 'web', START + 10 + i, fired);
    }
    expect(t.refusal('web', START + 20)).toBe('budget');
    expect(t.refusal('app', START + 20)).toBe('budget');
    // Each threshold once: the project's at 0.015, 0.024 and 0.03; the overall at 0.05, 0.08 and 0.1.
    expect(fired.map((f) => [f.project ?? null, f.threshold, f.period])).toEqual([
      ['app', 0.5, 0],
      ['app', 0.8, 0],
      ['app', 1, 0],
      [null, 0.5, 0],
      [null, 0.8, 0],
      [null, 1, 0],
    ]);
  });

  it('admits again in the next window, where each threshold fires once more; holds outlive the window', () => {
    const t = new BudgetTracker(spec({ perProject: {} }), START);
    const fired: FiredAlert[] = [];
    for (let i = 0; i < 10; i++) t.spend(0.01, 'web', START + i, fired);
    t.hold(0.05, 'web');
    expect(t.refusal('web', START + HOUR - 1)).toBe('budget');
    // Next window: spend starts over, the request still in flight keeps its hold.
    expect(t.refusal('web', START + HOUR)).toBeUndefined();
    expect(t.spentUsd).toBe(0);
    expect(t.heldUsd).toBe(0.05);
    t.release(0.05, 'web');
    for (let i = 0; i < 10; i++) t.spend(0.01, 'web', START + HOUR + i, fired);
    expect(t.refusal('web', START + HOUR + 10)).toBe('budget');
    expect(fired.map((f) => [f.threshold, f.period])).toEqual([
      [0.5, 0],
      [0.8, 0],
      [1, 0],
      [0.5, 1],
      [0.8, 1],
      [1, 1],
    ]);
  });
});
