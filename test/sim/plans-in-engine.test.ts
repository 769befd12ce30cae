/**
 * The `plan` extension of RouteDecision (docs/strategies.md#attempt-plans), end to end in the
 * simulator: a strategy file whose plan is scripted, fixed latencies, and the report read back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

/**
 * A scenario of 10 requests, 10 s apart, whose strategy plays `steps` in order (each a plan step;
 * the strings `success` mark where the script expects a success).
 */
function scenarioWith(steps: string, policy = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-plan-'));
  writeFileSync(
    path.join(dir, 'plan.mjs'),
    `const STEPS = ${steps};
export default () => ({
  name: 'plan',
  route: () => {
    let i = 0;
    return { candidates: [{ provider: 'a' }], plan: { next: () => STEPS[i++] ?? { stop: 'exhausted' } } };
  },
});
`,
  );
  const file = path.join(dir, 's.yaml');
  writeFileSync(
    file,
    `version: 1
name: plans
start: 2026-06-01T00:00:00Z
duration: 100s
providers:
  - id: bad
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 10s } } }
    failures: { serverError: 1, errorLatency: { dist: fixed, value: 100ms } }
  - id: good
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
  - id: small
    pricing: { model: per-image, price: 0.01 }
    supports: { sizes: [512x512] }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
  - id: slow
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 10s } } }
traffic:
  arrivals: { process: uniform, rate: 0.1/s }
  mix: [{ name: i, size: 1024x1024 }]
strategies:
  - { file: ./plan.mjs }
${policy}
`,
  );
  return file;
}

describe('attempt plans in the simulator', () => {
  it('sends, waits and retries as the plan says, whatever the policy allows', async () => {
    // bad answers 500 after 100 ms; a 2 s wait; bad again (a retry); then good (a failover), 1 s.
    const file = scenarioWith("[{ provider: 'bad' }, { waitMs: 2000 }, { provider: 'bad' }, { provider: 'good' }]", 'policy: { maxAttempts: 1, retryOn: [] }');
    const s = (await simulate(loadScenario(file))).strategies[0]!;
    expect(s.requests.succeeded).toBe(10);
    expect(s.attempts).toMatchObject({ total: 30, retries: 10, failovers: 10, recovered: 10, exhausted: 0 });
    // 100 ms + 2,000 ms + 100 ms + 1,000 ms
    expect(s.latencyMs.p50).toBe(3200);
    expect(s.cost.total).toBeCloseTo(10 * 0.02, 12);
  });

  it('gives an attempt the timeout its step sets, and ends the request when the plan stops', async () => {
    const file = scenarioWith("[{ provider: 'slow', timeoutMs: 1500 }, { stop: 'exhausted' }]");
    const s = (await simulate(loadScenario(file))).strategies[0]!;
    expect(s.requests.failed).toBe(10);
    expect(s.failures).toMatchObject({ timeout: 10 });
    expect(s.attempts.exhausted).toBe(10);
    expect(s.providers.slow!.outcomes.timeout).toBe(10);
  });

  it('answers an attempt at a provider that cannot serve the request with an unbilled 400 at once', async () => {
    const file = scenarioWith("[{ provider: 'small' }, { provider: 'good' }]");
    const s = (await simulate(loadScenario(file))).strategies[0]!;
    expect(s.requests.succeeded).toBe(10);
    expect(s.providers.small).toMatchObject({ attempts: 10, cost: 0, outcomes: { filtered: 10 } });
    // the 400 takes no time: 1 s at good
    expect(s.latencyMs.p50).toBe(1000);
  });

  it('fails a request whose plan stops before any attempt as `no-candidate`', async () => {
    const file = scenarioWith("[{ stop: 'final' }]");
    const s = (await simulate(loadScenario(file))).strategies[0]!;
    expect(s.requests.failed).toBe(10);
    expect(s.failures).toMatchObject({ 'no-candidate': 10 });
    expect(s.attempts.total).toBe(0);
  });
});
