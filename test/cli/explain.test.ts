import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './_cli.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * cheapo: $0.02, slow (median 9 s, p99 20 s → p95 ≈ 15.8 s at the reference, ×1.75 at
 * 1792x1024); swift: $0.04, a fixed 2 s; square: $0.01 but 1024x1024 only; flaky: $0.005 and
 * fails every attempt fast (a breaker opens after 3 failures in 30 s).
 */
const SCENARIO = `version: 1
name: explain-demo
seed: 5
start: 2026-06-01T00:00:00Z
duration: 1h
providers:
  - id: cheapo
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: lognormal, median: 9s, p99: 20s } } }
  - id: swift
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
  - id: square
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    supports: { sizes: [1024x1024] }
  - id: flaky
    pricing: { model: per-image, price: 0.005 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    failures: { serverError: 1, errorLatency: { dist: fixed, value: 50ms } }
traffic:
  arrivals: { process: uniform, rate: 1/s }
  mix: [{ name: interactive, size: 1024x1024, steps: 30, project: app }]
strategies:
  - cheapest
  - slo-aware
  - { use: failover, order: [flaky, swift] }
  - { use: openrouter, name: or-default }
policy: { circuitBreaker: { failures: 3, window: 30s, cooldown: 5m } }
slo: { interactive: { p95: 10s } }
budget: { limit: 100, perProject: { app: 5 } }
`;

function scenarioFile(text = SCENARIO): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'imgsim-explain-')), 'demo.yaml');
  writeFileSync(file, text);
  return file;
}

describe('imgsim explain', () => {
  it('shows cheapest choosing the lowest quote, slo-aware rejecting a provider whose p95 misses the SLO, and a refused size', async () => {
    const { code, out } = await cli('explain', scenarioFile(), '--size', '1792x1024', '--steps', '30', '--strategy', 'cheapest', '--strategy', 'slo-aware');
    expect(code).toBe(0);
    expect(out).toContain('explain-demo: 1792x1024, 30 steps, interactive, project default at 2026-06-01T00:00:00.000Z');
    expect(out).toContain('cold start: no traffic before this instant');
    expect(out).toContain('cheapest → flaky (standard)');
    expect(out).toContain('why: flaky (standard) has the lowest quote now: $0.005');
    expect(out).toMatch(/ 2 {2}cheapo +standard +\$0\.02 .* \$0\.02, \+\$0\.015 over the first/);
    expect(out).toContain('cannot serve: square (standard): square does not offer 1792x1024; sizes: 1024x1024');
    // cheapo's p95 at 1792x1024: 9 s × exp(1.645 × ln(20/9) / 2.326) × 1.75 ≈ 27.7 s > 10 s
    expect(out).toContain('slo-aware → flaky (standard)');
    expect(out).toMatch(/cheapo +standard .*misses the SLO: predicted p95 27\.\d+s > 10s; ranked after those that meet it/);
    expect(out).toContain('meets the SLO: predicted p95 3.5s ≤ 10s; price $0.04');
    expect(out).toContain('budget: $0.00 of $100.00 this period (2026-06-01T00:00 → 2026-07-01T00:00), onExhausted reject');
    expect(out).toContain('price breakdowns:');
  });

  it('prints a stable JSON form with --json', async () => {
    const { code, out } = await cli('explain', scenarioFile(), '--size', '1792x1024', '--steps', '30', '--project', 'app', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown> & { strategies: Record<string, unknown>[] };
    expect(Object.keys(json)).toEqual(['explain', 'scenario', 'seed', 'at', 'request', 'warm', 'strategies']);
    expect(json).toMatchObject({
      explain: 1,
      scenario: 'explain-demo',
      seed: 5,
      at: '2026-06-01T00:00:00.000Z',
      request: { size: '1792x1024', steps: 30, quality: null, features: [], urgency: 'interactive', deadline: null, project: 'app', tier: null },
      warm: null,
    });
    expect(json.strategies.map((s) => s.name)).toEqual(['cheapest', 'slo-aware', 'failover', 'or-default']);
    const cheapest = json.strategies[0]!;
    expect(Object.keys(cheapest)).toEqual(['name', 'decision', 'chosen', 'summary', 'gate', 'budget', 'candidates', 'excluded', 'refused']);
    expect(cheapest).toMatchObject({
      decision: { kind: 'candidates', hedgeAfterMs: null },
      chosen: { provider: 'flaky', tier: 'standard' },
      gate: null,
      budget: { limitUsd: 100, spentUsd: 0, periodStart: '2026-06-01T00:00:00.000Z', onExhausted: 'reject', project: { name: 'app', limitUsd: 5, spentUsd: 0 } },
      refused: [{ provider: 'square', tier: 'standard', code: 'size', reason: 'square does not offer 1792x1024; sizes: 1024x1024' }],
    });
    const first = (cheapest.candidates as Record<string, unknown>[])[0]!;
    expect(Object.keys(first)).toEqual(['rank', 'provider', 'tier', 'reason', 'terms', 'priceUsd', 'quote', 'latencyMs', 'breaker', 'stats']);
    expect(first).toMatchObject({
      rank: 1,
      provider: 'flaky',
      reason: 'lowest quote: $0.005',
      terms: { priceUsd: 0.005 },
      priceUsd: 0.005,
      quote: { ok: true, totalUsd: 0.005, lines: [{ factor: 'base', op: 'base', value: 0.005, subtotal: 0.005 }] },
      latencyMs: { p50: 3_500, p95: 3_500 },
      breaker: 'closed',
      // ewmaLatencyMs is NaN before any success: null in JSON
      stats: { inFlight: 0, queued: 0, ewmaLatencyMs: null, errorRate: 0, attempts: 0, creditsLeft: null },
    });
    expect(json.strategies[2]).toMatchObject({ excluded: [{ provider: 'cheapo', reason: 'not in `order` [flaky, swift]' }] });
  });

  it('with --warm, shows the moment as the traffic left it: an open breaker, a demoted provider, spend', async () => {
    const file = scenarioFile();
    const { code, out } = await cli('explain', file, '--size', '1024x1024', '--steps', '30', '--at', '2026-06-01T00:10:00Z', '--warm', '2m', '--strategy', 'failover', '--strategy', 'or-default', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out) as { warm: unknown; strategies: { name: string; summary: string; budget: { spentUsd: number }; candidates: { provider: string; breaker: string; reason: string; stats: { attempts: number } }[] }[] };
    expect(json.warm).toEqual({ from: '2026-06-01T00:08:00.000Z', to: '2026-06-01T00:10:00.000Z', requests: 120 });
    const failover = json.strategies[0]!;
    expect(failover.candidates.map((c) => [c.provider, c.breaker])).toEqual([
      ['flaky', 'open'],
      ['swift', 'closed'],
    ]);
    expect(failover.budget.spentUsd).toBeGreaterThan(0);
    const openrouter = json.strategies[1]!;
    const flaky = openrouter.candidates.find((c) => c.provider === 'flaky')!;
    expect(flaky.reason).toMatch(/demoted: server-error [\d.]+m?s ago, within the 30s outage window/);
    expect(openrouter.candidates.at(-1)!.provider).toBe('flaky');
    const text = await cli('explain', file, '--size', '1024x1024', '--steps', '30', '--at', '2026-06-01T00:10:00Z', '--warm', '2m', '--strategy', 'failover');
    expect(text.out).toContain("warm: each strategy ran the scenario's 120 requests from 2026-06-01T00:08:00.000Z to this instant first");
    expect(text.out).toMatch(/1 +flaky +standard .* open /);
  });

  it('reports the budget gate when the warm-up spent a project cap', async () => {
    const file = scenarioFile(SCENARIO.replace('perProject: { app: 5 }', 'perProject: { app: 0.05 }'));
    const args = ['explain', file, '--size', '1024x1024', '--steps', '30', '--at', '2026-06-01T00:05:00Z', '--warm', '1m', '--strategy', 'cheapest'];
    const app = await cli(...args, '--project', 'app');
    // cheapest pays square $0.01 per image: the $0.05 cap of project app is spent after 5 images.
    expect(app.out).toContain('gate: the budget rejects the request before routing (budget:app); the decision above applies once it allows');
    expect(app.out).toMatch(/project app: \$0\.0\d of \$0\.05/); // in-flight work bills past the cap
    const other = await cli(...args, '--project', 'web', '--json');
    expect(JSON.parse(other.out).strategies[0].gate).toBeNull();
  });

  it.each([
    [['--steps', '30'], 'explain: --size and --steps are required'],
    [['--size', 'big', '--steps', '30'], '--size: expected WIDTHxHEIGHT such as 1024x1024, got "big"'],
    [['--size', '1024x1024', '--steps', '0'], '--steps: expected a whole number >= 1, got "0"'],
    [['--size', '1024x1024', '--steps', '30', '--features', 'lasers'], '--features: unknown feature "lasers"'],
    [['--size', '1024x1024', '--steps', '30', '--at', 'noon'], '--at: expected an ISO time with a zone'],
    [['--size', '1024x1024', '--steps', '30', '--at', '2026-05-31T00:00:00Z'], '--at: 2026-05-31T00:00:00Z is before the scenario start 2026-06-01T00:00:00.000Z'],
    [['--size', '1024x1024', '--steps', '30', '--warm', 'a while'], '--warm: expected a duration such as 90s, 15m, 1h or 7d, got "a while"'],
    [['--size', '1024x1024', '--steps', '30', '--urgency', 'asap'], '--urgency: expected interactive or batch, got "asap"'],
    [['--size', '1024x1024', '--steps', '30', '--tier', 'turbo'], '--tier: no provider of'],
    [['--size', '1024x1024', '--steps', '30', '--strategy', 'Mine'], 'no strategy "Mine" in the scenario'],
    [['--size', '1024x1024', '--steps', '30', '--bogus'], "imgsim explain: Unknown option '--bogus'"],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const { code, out, err } = await cli('explain', scenarioFile(), ...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err).not.toMatch(/at .*\.ts:\d+/);
  });
});
