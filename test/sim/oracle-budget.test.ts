/**
 * The hindsight oracle under a budget that refuses work (src/sim/oracle-budget.ts): the most
 * service the budget buys, then the least cost, worked out by hand; and the plan unchanged, to
 * the byte, when the budget never binds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { formatOracle } from '../../src/report/summary-table.js';
import { simulate } from '../../src/sim/run.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'imgsim-oracle-budget-'));
let runs = 0;

/**
 * Ten requests one second apart from 00:00:01, alternating a LoRA request ($0.02 + $0.03 =
 * $0.05) and a plain one ($0.02), at one provider that answers every request in 1 s.
 * @param budget - the scenario's budget section (YAML flow map)
 * @param projects - the project of each request, in order (default: all `app`)
 * @returns the report of `cheapest` over it
 */
async function run(budget: string, projects: readonly string[] = Array<string>(10).fill('app')) {
  const rows = projects.map((project, i) => JSON.stringify({ at: (i + 1) * 1000, features: i % 2 === 0 ? ['lora'] : [], project }));
  const name = `t${++runs}`;
  writeFileSync(path.join(DIR, `${name}.jsonl`), `${rows.join('\n')}\n`);
  const file = path.join(DIR, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
name: budget-oracle
seed: 1
start: 2026-06-01T00:00:00Z
duration: 1m
providers:
  - id: p
    pricing: { model: per-image, price: 0.02, features: { lora: { add: 0.03 } } }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    supports: { features: [lora] }
    capacity: { concurrency: 100, queue: 100 }
traffic:
  trace: { file: ${name}.jsonl }
slo:
  interactive: { p95: 10s }
budget: ${budget}
strategies:
  - cheapest
`,
  );
  return simulate(loadScenario(file));
}

describe('the oracle under a budget', () => {
  it('buys the most images within the limit, cheapest first: five plain ones for $0.10', async () => {
    const report = await run('{ limit: 0.10, onExhausted: reject }');
    // By hand: the plan books all ten ($0.35); $0.10 buys at most five, the five plain ones
    // ($0.02 each), and no other five cost less.
    expect(report.oracle?.cost).toBeCloseTo(0.1, 12);
    expect(report.oracle?.requests).toEqual({ total: 10, withinSlo: 5, late: 0, unserved: 5, overBudget: 5 });
    // cheapest, in arrival order: LoRA $0.05 (spend $0.05 at 2 s), plain (arrives at 2 s after
    // that bill: $0.07), LoRA (arrives at 3 s with $0.07 < $0.10 spent: $0.12); from 4 s on the
    // limit is reached and the other seven are refused. It paid $0.12 for three images.
    const s = report.strategies[0]!;
    expect(s.requests).toMatchObject({ succeeded: 3, rejected: 7 });
    expect(s.cost.total).toBeCloseTo(0.12, 12);
    expect(s.regret?.usd).toBeCloseTo(0.02, 10);
    // The bound ignores the budget: every request's cheapest image, $0.35.
    expect(formatOracle(report.oracle!)).toBe('oracle: $0.1 for 5 of 10 requests within SLO (5 unserved, 5 of them over the budget); lower bound $0.35');
  });

  it('keeps each project within its cap, inside the limit', async () => {
    // Requests 1-4 are `capped` (cap $0.05: LoRA, plain, LoRA, plain), the rest `open`.
    const projects = ['capped', 'capped', 'capped', 'capped', 'open', 'open', 'open', 'open', 'open', 'open'];
    const report = await run('{ limit: 0.16, perProject: { capped: 0.05 }, onExhausted: reject }', projects);
    // Cheapest first: the five plain ones ($0.02): capped's two ($0.04 of its $0.05), open's
    // three ($0.06), $0.10 in all; then LoRA ones ($0.05): capped's cannot fit its cap
    // ($0.04 + $0.05 > $0.05), open's first fits the limit ($0.15), the next does not ($0.20).
    expect(report.oracle?.cost).toBeCloseTo(0.15, 12);
    expect(report.oracle?.requests).toEqual({ total: 10, withinSlo: 6, late: 0, unserved: 4, overBudget: 4 });
  });

  it('changes nothing when the budget never binds, or only alerts', async () => {
    const loose = await run('{ limit: 100, onExhausted: reject }');
    const alertOnly = await run('{ limit: 0.10, onExhausted: allow }');
    expect(loose.oracle?.cost).toBe(alertOnly.oracle?.cost);
    expect(loose.oracle?.requests).toEqual({ total: 10, withinSlo: 10, late: 0, unserved: 0, overBudget: 0 });
    expect(alertOnly.oracle?.requests).toEqual({ total: 10, withinSlo: 10, late: 0, unserved: 0 });
    expect(loose.oracle?.cost).toBeCloseTo(0.35, 12);
  });
});
