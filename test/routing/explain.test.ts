import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStrategyFile } from '../../src/routing/load-strategy-file.js';
import type { RouteExplanation, Strategy } from '../../src/routing/strategy.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { BUILTIN_STRATEGIES, type StrategyRef } from '../../src/scenario/schema.js';
import { HOUR_MS, START_MS, ids, makeContext, makeRequest, type FakeContext, type FakeProviderInit } from './_context.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/strategies');

/** a $0.04 5 s, b $0.02 9 s, c $0.03 3 s. */
const THREE: FakeProviderInit[] = [
  { id: 'a', price: 0.04, latencyMs: 5_000 },
  { id: 'b', price: 0.02, latencyMs: 9_000 },
  { id: 'c', price: 0.03, latencyMs: 3_000 },
];

function build(ref: StrategyRef, ctx: FakeContext): Strategy {
  return buildStrategy(ref, { scenario: ctx.scenario, files: new Map() });
}

function explain(ref: StrategyRef, ctx: FakeContext, request = makeRequest()): RouteExplanation {
  const s = build(ref, ctx);
  expect(typeof s.explain).toBe('function');
  return s.explain!(request, ctx);
}

describe('Strategy.explain of the built-ins', () => {
  it.each(BUILTIN_STRATEGIES)('%s decides exactly as route does, with one reason per candidate', (name) => {
    // Two copies of the strategy over two identical contexts: explain must draw and decide alike.
    const one = makeContext({ providers: THREE, slo: { interactive: { p95: 6_000 } } });
    const two = makeContext({ providers: THREE, slo: { interactive: { p95: 6_000 } } });
    const routed = build(name, one);
    const explained = build(name, two);
    for (let i = 0; i < 5; i++) {
      const request = makeRequest({ id: i });
      const decision = routed.route(request, one);
      const why = explained.explain!(request, two);
      expect(why.decision).toEqual(decision);
      expect(why.summary.length).toBeGreaterThan(10);
      // A deferral or a rejection has no candidates to give reasons for.
      expect(why.candidates.map((c) => c.provider)).toEqual('candidates' in decision ? ids(decision) : []);
    }
  });

  it('cheapest: the lowest quote, and how much dearer each other is', () => {
    const why = explain('cheapest', makeContext({ providers: THREE }));
    expect(why.summary).toBe('b (standard) has the lowest quote now: $0.02');
    expect(why.candidates.map((c) => c.reason)).toEqual(['lowest quote: $0.02', '$0.03, +$0.01 over the first', '$0.04, +$0.02 over the first']);
    expect(why.candidates[0]!.terms).toEqual({ priceUsd: 0.02 });
  });

  it('slo-aware: predicted latency at the SLO percentile against the bound', () => {
    const ctx = makeContext({ providers: THREE, slo: { interactive: { p95: 6_000 } } });
    const why = explain('slo-aware', ctx);
    expect(ids(why.decision)).toEqual(['c', 'a', 'b']);
    expect(why.summary).toBe('c (standard) is the cheapest predicted to meet the SLO p95 6s: predicted p95 3s, price $0.03');
    expect(why.candidates[2]!.reason).toBe(
      'misses the SLO: predicted p95 9s > 6s; ranked after those that meet it, by predicted latency (fastest tier)',
    );
    expect(why.candidates[2]!.terms).toMatchObject({ predictedMs: 9_000, boundMs: 6_000, meetsSlo: 0 });
    expect(explain('slo-aware', ctx, makeRequest({ urgency: 'batch' })).summary).toBe('batch request: cheapest first; b quotes the lowest price, $0.02');
  });

  it('fastest: the observed EWMA, or the prediction before any success', () => {
    const ctx = makeContext({ providers: THREE });
    const s = build('fastest', ctx);
    s.observe!({ requestId: 0, provider: 'b', tier: 'standard', attempt: 1, kind: 'success', sentMs: START_MS, endedMs: START_MS + 1_000, latencyMs: 1_000, costUsd: 0, hedge: false }, ctx);
    const why = s.explain!(makeRequest(), ctx);
    expect(why.summary).toBe('b has the lowest expected latency: observed EWMA 1s (alpha 0.2)');
    expect(why.candidates[1]!.reason).toBe('no success seen yet: predicted 3s');
  });

  it('score: the weighted terms of the score', () => {
    const why = explain('score', makeContext({ providers: THREE }));
    // c: cost 0.03/0.02 = 1.5, latency 3/3 = 1, errors 0 → 2.5
    expect(why.candidates[0]).toMatchObject({ provider: 'c', reason: 'score 2.5 = cost 1.5 ($0.03) + latency 1 (3s) + errors 0 (0%)' });
  });

  it('least-loaded: in flight over concurrency', () => {
    const ctx = makeContext({ providers: THREE.map((p, i) => ({ ...p, stats: { inFlight: [8, 4, 16][i]! }, concurrency: 16 })) });
    expect(explain('least-loaded', ctx).summary).toBe('b is the least loaded: load 4/16 in flight = 0.25');
  });

  it('weighted, random and round-robin: the draw or the position', () => {
    const ctx = makeContext({ providers: THREE });
    expect(explain({ use: 'weighted', weights: { a: 3, b: 1 } }, ctx).summary).toMatch(/^[ab]: drawn first: weight [13] of 4 \(probability (75|25)%\), draw u = 0\.\d{4}$/);
    expect(explain('random', ctx).summary).toMatch(/came first in a seeded uniform shuffle of the 3 servable providers \(each first with probability 1\/3\)$/);
    const rr = build('round-robin', ctx);
    rr.route(makeRequest(), ctx);
    expect(rr.explain!(makeRequest(), ctx).summary).toBe('b has the turn: routing #2 starts at position 2 of the 3 servable providers in scenario order');
  });

  it('failover: the position in `order`, and the providers left out', () => {
    const why = explain({ use: 'failover', order: ['c', 'a'] }, makeContext({ providers: THREE }));
    expect(why.candidates.map((c) => c.reason)).toEqual(['primary: position 1 in `order`', 'backup: position 2 in `order`']);
    expect(why.excluded).toEqual([{ provider: 'b', reason: 'not in `order` [c, a]' }]);
  });

  it('deferral: the deadline and the cheaper window, or why not', () => {
    const offPeak = (t: number): number => (t >= START_MS + 2 * HOUR_MS ? 0.5 : 1);
    const ctx = makeContext({ providers: THREE.map((p) => ({ ...p, forecast: offPeak })) });
    const batch = makeRequest({ urgency: 'batch', deadlineMs: START_MS + 6 * HOUR_MS });
    const why = explain('deferral', ctx, batch);
    expect('deferUntil' in why.decision).toBe(true);
    expect(why.summary).toMatch(/^batch request deferred to 2026-06-01T0[2-5]:\d\d:00\.000Z \(in \d.*\): forecast \$0\.01 then vs \$0\.02 now \(−50%, minSaving 5%\)/);
    expect(why.candidates).toEqual([]);
    const now = explain('deferral', ctx);
    expect(now.summary).toBe('not deferred: interactive request; cheapest: b (standard) has the lowest quote now: $0.02');
  });

  it('hedged, budget-guard and conditional: their own rule around the wrapped reason', () => {
    const ctx = makeContext({ providers: THREE });
    expect(explain({ use: 'hedged', base: 'cheapest', delay: 1_500 }, ctx).summary).toBe(
      'cheapest: b (standard) has the lowest quote now: $0.02; hedge: if b has not answered 1.5s after routing, c is sent too (first answer wins)',
    );
    ctx.budget.limitUsd = 100;
    ctx.budget.spentUsd = 90;
    expect(explain('budget-guard', ctx).summary).toMatch(/^budget 90% used \(period \$90 of \$100\) ≥ downgradeAt 80%: cheapest's order in cheaper tiers: /);
    ctx.budget.spentUsd = 100;
    const rejected = explain('budget-guard', ctx);
    expect(rejected.decision).toEqual({ reject: 'budget' });
    expect(rejected.summary).toBe('budget 100% used (period $100 of $100) ≥ rejectAt 100%: rejected');
    const rules = { use: 'conditional', rules: [{ when: { urgency: 'batch' }, then: { use: 'failover', order: ['a'] } }], default: 'cheapest' } as unknown as StrategyRef;
    expect(explain(rules, ctx, makeRequest({ urgency: 'batch' })).summary).toBe(
      'rule 1 matched (when {"urgency":"batch"}) → failover: a is the first provider of `order` [a] that can serve the request',
    );
    expect(explain(rules, ctx).summary).toBe('none of the 1 rules matched → default cheapest: b (standard) has the lowest quote now: $0.02');
  });

  it('passes a strategy file’s own explain through, and says so when it has none', async () => {
    const ctx = makeContext({ providers: THREE });
    const factory = await loadStrategyFile(path.join(FIXTURES, 'first-servable.js'));
    const s = buildStrategy({ file: 'first-servable.js', name: 'mine', options: {} }, { scenario: ctx.scenario, files: new Map([['first-servable.js', factory]]) });
    expect('explain' in s).toBe(false);
    const withExplain = buildStrategy(
      { file: 'x.js', name: 'explained', options: {} },
      {
        scenario: ctx.scenario,
        files: new Map([
          [
            'x.js',
            () => ({
              name: 'x',
              route: () => ({ candidates: [{ provider: 'a' }] }),
              explain: () => ({ decision: { candidates: [{ provider: 'a' }] }, summary: 'a, always', candidates: [{ provider: 'a', reason: 'house rule' }] }),
            }),
          ],
        ]),
      },
    );
    expect(withExplain.name).toBe('explained');
    expect(withExplain.explain!(makeRequest(), ctx).summary).toBe('a, always');
  });
});
