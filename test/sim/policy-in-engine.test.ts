import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

/**
 * A scenario whose single strategy is a file that always returns the same decision, so the
 * policy executor's own rules can be observed.
 */
function scenarioWith(decision: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-policy-'));
  writeFileSync(path.join(dir, 'fixed.mjs'), `export default () => ({ name: 'fixed', route: () => (${decision}) });\n`);
  const file = path.join(dir, 's.yaml');
  writeFileSync(
    file,
    `version: 1
name: policy
start: 2026-06-01T00:00:00Z
duration: 100s
providers:
  - id: a
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 5s } } }
  - id: small
    pricing: { model: per-image, price: 0.01 }
    supports: { sizes: [512x512] }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
traffic:
  arrivals: { process: uniform, rate: 1/s }
  mix: [{ name: i, size: 1024x1024 }]
strategies:
  - { file: ./fixed.mjs }
`,
  );
  return file;
}

describe('the policy executor', () => {
  it('never sends a request to a candidate that cannot serve it', async () => {
    // `small` only offers 512x512; every request is 1024x1024, so all 100 go to `a`.
    const file = scenarioWith("{ candidates: [{ provider: 'small' }, { provider: 'a' }] }");
    const report = await simulate(loadScenario(file));
    const s = report.strategies[0]!;
    expect(s.providers.small!.attempts).toBe(0);
    expect(s.providers.a!.attempts).toBe(100);
    expect(s.requests.succeeded).toBe(100);
    // 100 × $0.04, and no failover was counted for skipping `small`
    expect(s.cost.total).toBeCloseTo(4, 12);
    expect(s.attempts.failovers).toBe(0);
  });

  it('hedges only at another provider: with none able to serve, no hedge is sent', async () => {
    // The first attempt at `a` takes 5 s; after 1 s a hedge would go to `small`, which cannot
    // serve 1024x1024, and the only other choice is `a` again, which is not a hedge.
    const file = scenarioWith("{ candidates: [{ provider: 'a' }, { provider: 'small' }], hedgeAfterMs: 1000 }");
    const report = await simulate(loadScenario(file));
    const s = report.strategies[0]!;
    expect(s.attempts.hedges).toBe(0);
    expect(s.attempts.total).toBe(100);
    expect(s.latencyMs.max).toBe(5_000);
    expect(s.cost.total).toBeCloseTo(4, 12);
  });
});

describe('billing fast failures', () => {
  it('charges a billed server error its own price, not a stale one from a reused record', async () => {
    // Two providers at different prices; server errors at `cheap` are billed (billing.serverError),
    // answered fast, and fail over to `dear`. Every attempt's charge must be its provider's price.
    const { scenarioFromObject } = await import('../../src/scenario/load.js');
    const scenario = scenarioFromObject({
      version: 1,
      name: 'fast-billing',
      start: '2026-06-01T00:00:00Z',
      duration: '200s',
      providers: [
        {
          id: 'cheap',
          pricing: { model: 'per-image', price: 0.01, billing: { serverError: true } },
          tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } },
          failures: { serverError: 0.5 },
        },
        { id: 'dear', pricing: { model: 'per-image', price: 0.05 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } },
      ],
      traffic: { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'i' }] },
      strategies: [{ use: 'failover', order: ['cheap', 'dear'] }],
    });
    const s = (await simulate(scenario)).strategies[0]!;
    const cheap = s.providers.cheap!;
    const dear = s.providers.dear!;
    // every attempt at cheap is billed $0.01 (success or server error), every one at dear $0.05
    expect(cheap.attempts).toBe(200);
    expect(cheap.cost).toBeCloseTo(cheap.attempts * 0.01, 10);
    expect(dear.cost).toBeCloseTo(dear.attempts * 0.05, 10);
    expect(dear.attempts).toBe(cheap.outcomes['server-error']);
    expect(s.cost.wasted).toBeCloseTo(cheap.outcomes['server-error']! * 0.01, 10);
  });
});
