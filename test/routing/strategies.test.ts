import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome, RouteDecision, Strategy } from '../../src/routing/strategy.js';
import { budgetGuardStrategy } from '../../src/routing/strategies/budget-guard.js';
import { cheapestStrategy } from '../../src/routing/strategies/cheapest.js';
import { failoverStrategy } from '../../src/routing/strategies/failover.js';
import { fastestStrategy } from '../../src/routing/strategies/fastest.js';
import { leastLoadedStrategy } from '../../src/routing/strategies/least-loaded.js';
import { randomStrategy } from '../../src/routing/strategies/random.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { roundRobinStrategy } from '../../src/routing/strategies/round-robin.js';
import { scoreStrategy } from '../../src/routing/strategies/score.js';
import { sloAwareStrategy } from '../../src/routing/strategies/slo-aware.js';
import { weightedStrategy } from '../../src/routing/strategies/weighted.js';
import { BUILTINS, BUILTIN_STRATEGIES, type StrategyRef } from '../../src/scenario/schema.js';
import { HOUR_MS, START_MS, ids, makeContext, makeRequest, pairs, type FakeContext, type FakeProviderInit } from './_context.js';

/** Three providers: a $0.04 5 s, b $0.02 9 s, c $0.03 3 s. */
const THREE: FakeProviderInit[] = [
  { id: 'a', price: 0.04, latencyMs: 5_000 },
  { id: 'b', price: 0.02, latencyMs: 9_000 },
  { id: 'c', price: 0.03, latencyMs: 3_000 },
];

/** Builds a strategy from a scenario reference against a context's scenario. */
function build(ref: StrategyRef, ctx: FakeContext): Strategy {
  return buildStrategy(ref, { scenario: ctx.scenario, files: new Map() });
}

/** A successful attempt at `provider` that took `latencyMs`. */
function success(provider: string, latencyMs: number): AttemptOutcome {
  return { requestId: 0, provider, tier: 'standard', attempt: 1, kind: 'success', sentMs: START_MS, endedMs: START_MS + latencyMs, latencyMs, costUsd: 0.02, hedge: false };
}

function firstOf(decision: RouteDecision): string {
  return ids(decision)[0]!;
}

describe('cheapest', () => {
  it('orders every servable provider by price now, cheapest first', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(cheapestStrategy().route(makeRequest(), ctx))).toEqual(['b', 'c', 'a']);
  });

  it('breaks price ties by provider order and follows price changes', () => {
    const ctx = makeContext({ providers: THREE });
    const s = cheapestStrategy();
    ctx.fakes.a!.price = 0.02;
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
    ctx.fakes.c!.price = 0.01;
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
  });

  it('prices in the request tier where a provider has it, else its default tier', () => {
    const ctx = makeContext({
      providers: [
        { id: 'a', price: 0.02, tiers: { standard: {}, turbo: { priceMultiplier: 2 } } },
        { id: 'b', price: 0.03 },
      ],
    });
    // a/turbo = 0.02 × 2 = 0.04 > b/standard 0.03
    expect(pairs(cheapestStrategy().route(makeRequest({ tier: 'turbo' }), ctx))).toEqual(['b/standard', 'a/turbo']);
  });

  it('uses only providers with its own `tier` when one is set', () => {
    const ctx = makeContext({
      providers: [
        { id: 'a', price: 0.02, tiers: { standard: {}, turbo: { priceMultiplier: 2 } } },
        { id: 'b', price: 0.01 },
      ],
    });
    expect(pairs(cheapestStrategy({ tier: 'turbo' }).route(makeRequest(), ctx))).toEqual(['a/turbo']);
  });

  it('drops providers that cannot serve the request', () => {
    const ctx = makeContext({ providers: [{ id: 'a', price: 0.01, features: [] }, { id: 'b', price: 0.05, features: ['controlnet'] }] });
    expect(ids(cheapestStrategy().route(makeRequest({ features: ['controlnet'] }), ctx))).toEqual(['b']);
  });
});

describe('failover', () => {
  it('keeps the configured order and never uses providers outside it', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(failoverStrategy({ order: ['c', 'a'] }).route(makeRequest(), ctx))).toEqual(['c', 'a']);
  });

  it('drops unknown, repeated and unservable providers', () => {
    const ctx = makeContext({ providers: [...THREE.slice(0, 2), { id: 'c', features: [] }] });
    const s = failoverStrategy({ order: ['c', 'nope', 'b', 'a', 'b'] });
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'b', 'a']);
    expect(ids(s.route(makeRequest({ features: ['lora'] }), ctx))).toEqual(['b', 'a']);
  });
});

describe('round-robin', () => {
  it('rotates the first provider request by request and keeps the rest as fallbacks', () => {
    const ctx = makeContext({ providers: THREE });
    const s = roundRobinStrategy();
    const lists = [1, 2, 3, 4].map(() => ids(s.route(makeRequest(), ctx)));
    expect(lists).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });

  it('rotates among the providers that can serve each request', () => {
    const ctx = makeContext({ providers: [THREE[0]!, { ...THREE[1]!, features: [] }, THREE[2]!] });
    const s = roundRobinStrategy();
    const firsts = [1, 2, 3, 4].map(() => firstOf(s.route(makeRequest({ features: ['lora'] }), ctx)));
    expect(firsts).toEqual(['a', 'c', 'a', 'c']);
  });
});

describe('random', () => {
  it('puts each provider first about equally often, reproducibly for a seed', () => {
    const run = (seed: number): Record<string, number> => {
      const ctx = makeContext({ providers: THREE, seed });
      const s = randomStrategy();
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      const request = makeRequest();
      let complete = true;
      for (let i = 0; i < 9_000; i++) {
        const list = ids(s.route(request, ctx));
        complete &&= list.length === 3 && new Set(list).size === 3;
        counts[list[0]!]! += 1;
      }
      expect(complete).toBe(true);
      return counts;
    };
    const counts = run(7);
    // 3,000 expected each; sd = sqrt(9000 · 1/3 · 2/3) ≈ 45, so ±250 is > 5 sd.
    for (const n of Object.values(counts)) expect(Math.abs(n - 3_000)).toBeLessThan(250);
    expect(run(7)).toEqual(counts);
    expect(run(8)).not.toEqual(counts);
  });
});

describe('weighted', () => {
  it('draws the first provider in proportion to the weights (seeded)', () => {
    const ctx = makeContext({ providers: THREE, seed: 3 });
    const s = weightedStrategy({ weights: { a: 3, b: 1 } });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[firstOf(s.route(makeRequest(), ctx))]! += 1;
    // a: 3/4, b: 1/4, c (no weight): never first. sd of a's share ≈ sqrt(.75·.25/20000) ≈ 0.003.
    expect(counts.a! / n).toBeCloseTo(0.75, 1);
    expect(Math.abs(counts.a! / n - 0.75)).toBeLessThan(0.02);
    expect(counts.c).toBe(0);
  });

  it('lists the rest by weight, highest first, with unweighted providers as the last fallbacks', () => {
    const ctx = makeContext({ providers: THREE });
    const s = weightedStrategy({ weights: { b: 1, c: 5 } });
    for (let i = 0; i < 50; i++) {
      const list = ids(s.route(makeRequest(), ctx));
      expect(list).toEqual(list[0] === 'c' ? ['c', 'b', 'a'] : ['b', 'c', 'a']);
    }
  });

  it('falls back to unweighted providers when no weighted one can serve', () => {
    const ctx = makeContext({ providers: [{ id: 'a' }, { id: 'b', features: [] }] });
    expect(ids(weightedStrategy({ weights: { b: 1 } }).route(makeRequest({ features: ['lora'] }), ctx))).toEqual(['a']);
  });
});

describe('fastest', () => {
  it('starts from predicted latency and switches after observing slow answers', () => {
    const ctx = makeContext({ providers: THREE });
    const s = fastestStrategy({ alpha: 0.5 });
    // predictions: c 3 s, a 5 s, b 9 s
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
    s.observe!(success('c', 20_000), ctx); // first sample seeds the EWMA: c = 20 s
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
    s.observe!(success('c', 2_000), ctx); // 0.5 · 2 s + 0.5 · 20 s = 11 s, still slower than b's 9 s
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
    s.observe!(success('c', 2_000), ctx); // 0.5 · 2 s + 0.5 · 11 s = 6.5 s: between a and b
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'c', 'b']);
  });

  it('learns only from successful attempts', () => {
    const ctx = makeContext({ providers: THREE });
    const s = fastestStrategy({ alpha: 0.2 });
    s.observe!({ ...success('c', 60_000), kind: 'timeout' }, ctx);
    expect(firstOf(s.route(makeRequest(), ctx))).toBe('c');
  });
});

describe('least-loaded', () => {
  it('orders by (in-flight + queued) / concurrency, ties by price', () => {
    const ctx = makeContext({
      providers: [
        { id: 'a', price: 0.04, concurrency: 64, stats: { inFlight: 16 } }, // 16/64 = 0.25
        { id: 'b', price: 0.02, concurrency: 16, stats: { inFlight: 16, queued: 16 } }, // 32/16 = 2
        { id: 'c', price: 0.03, concurrency: 8, stats: { inFlight: 2 } }, // 2/8 = 0.25, cheaper than a
        { id: 'd', price: 0.05, concurrency: 4 }, // 0
      ],
    });
    expect(ids(leastLoadedStrategy().route(makeRequest(), ctx))).toEqual(['d', 'c', 'a', 'b']);
  });
});

describe('score', () => {
  it('blends price, predicted latency and error rate, each relative to the best', () => {
    const ctx = makeContext({ providers: THREE });
    const s = scoreStrategy({ weights: { cost: 1, latency: 1, errors: 1 } });
    // min price 0.02, min latency 3 s
    // a: 0.04/0.02 + 5/3 = 3.67; b: 1 + 9/3 = 4; c: 1.5 + 1 = 2.5
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
    // c with a 20% error rate: 2.5 + 0.2 · 10 = 4.5
    ctx.fakes.c!.stats.errorRate = 0.2;
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
  });

  it('with only a cost weight ranks like cheapest', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(scoreStrategy({ weights: { cost: 1, latency: 0, errors: 0 } }).route(makeRequest(), ctx))).toEqual(['b', 'c', 'a']);
  });

  it('copes with a free provider', () => {
    const ctx = makeContext({ providers: [{ id: 'a', price: 0 }, { id: 'b', price: 0.01 }] });
    expect(ids(scoreStrategy({ weights: { cost: 1, latency: 1, errors: 1 } }).route(makeRequest(), ctx))).toEqual(['a', 'b']);
  });
});

describe('slo-aware', () => {
  const providers: FakeProviderInit[] = [
    { id: 'cheap', price: 0.02, tiers: { standard: { latencyMs: 12_000 }, turbo: { latencyMs: 1_500, priceMultiplier: 2 } } },
    { id: 'mid', price: 0.03, latencyMs: 8_000 },
    { id: 'quick', price: 0.05, latencyMs: 2_000 },
  ];
  const slo = { interactive: { p95: 10_000 } };

  it('picks the cheapest (provider, tier) predicted to meet the interactive bound', () => {
    const ctx = makeContext({ providers, slo });
    // fitting: mid/standard $0.03 (8 s), cheap/turbo $0.04 (1.5 s), quick/standard $0.05 (2 s)
    expect(pairs(sloAwareStrategy({ margin: 1 }).route(makeRequest(), ctx))).toEqual(['mid/standard', 'cheap/turbo', 'quick/standard']);
  });

  it('applies the margin and lists the misses last, fastest first', () => {
    const ctx = makeContext({ providers, slo });
    // margin 1.5: mid 8 s × 1.5 = 12 s > 10 s misses
    expect(pairs(sloAwareStrategy({ margin: 1.5 }).route(makeRequest(), ctx))).toEqual(['cheap/turbo', 'quick/standard', 'mid/standard']);
    const tight = makeContext({ providers, slo: { interactive: { p99: 1_000 } } });
    expect(pairs(sloAwareStrategy({ margin: 1 }).route(makeRequest(), tight))).toEqual(['cheap/turbo', 'quick/standard', 'mid/standard']);
  });

  it('routes batch work, and interactive work without an SLO, cheapest first', () => {
    const ctx = makeContext({ providers, slo });
    const s = sloAwareStrategy({ margin: 1 });
    expect(pairs(s.route(makeRequest({ urgency: 'batch' }), ctx))).toEqual(['cheap/standard', 'mid/standard', 'quick/standard']);
    const noSlo = makeContext({ providers });
    expect(pairs(s.route(makeRequest(), noSlo))).toEqual(['cheap/standard', 'mid/standard', 'quick/standard']);
  });
});

describe('deferral', () => {
  /** a: 30% off from 02:00 to 06:00 UTC; b: dearer, flat. */
  const offPeak = (atMs: number): number => {
    const hour = new Date(atMs).getUTCHours();
    return hour >= 2 && hour < 6 ? 0.7 : 1;
  };
  const providers: FakeProviderInit[] = [
    { id: 'a', price: 0.04, latencyMs: 5_000, forecast: offPeak },
    { id: 'b', price: 0.05, latencyMs: 5_000 },
  ];
  const batch = (deadlineMs = START_MS + 12 * HOUR_MS) => makeRequest({ urgency: 'batch', deadlineMs });

  it('defers a batch request into a cheaper window before its deadline, then routes it there', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    const decision = s.route(batch(), ctx);
    // Some 15-minute instant of the 02:00-06:00 window (deferred work is spread over it by id).
    expect(decision).toEqual({ deferUntil: expect.any(Number) });
    const at = (decision as { deferUntil: number }).deferUntil;
    expect(at).toBeGreaterThanOrEqual(START_MS + 2 * HOUR_MS);
    expect(at).toBeLessThan(START_MS + 6 * HOUR_MS);
    expect((at - START_MS) % (15 * 60_000)).toBe(0);
    ctx.now = at; // the request re-enters routing: now is the cheapest
    expect(ids(s.route(batch(), ctx))).toEqual(['a', 'b']);
  });

  it('spreads deferred requests over the instants at the lowest forecast instead of the first', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    const times = new Set<number>();
    for (let i = 0; i < 32; i++) times.add((s.route(batch(), ctx) as { deferUntil: number }).deferUntil);
    // 02:00 to 06:00 in 15-minute steps holds 16 instants; 32 consecutive ids use each of them.
    expect(times.size).toBe(16);
    expect(Math.min(...times)).toBe(START_MS + 2 * HOUR_MS);
    expect(Math.max(...times)).toBe(START_MS + 6 * HOUR_MS - 15 * 60_000);
  });

  it('waits for a time at the lowest forecast of a dynamic price', () => {
    // falls 10% an hour until 03:00, then flat
    const ctx = makeContext({ providers: [{ id: 'a', price: 0.04, forecast: (t) => 1 - 0.1 * Math.min(3, Math.floor((t - START_MS) / HOUR_MS)) }] });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    const at = (s.route(batch(), ctx) as { deferUntil: number }).deferUntil;
    expect(at).toBeGreaterThanOrEqual(START_MS + 3 * HOUR_MS);
  });

  it('does not defer interactive requests or requests without a deadline', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    expect(ids(s.route(makeRequest({ deadlineMs: START_MS + 12 * HOUR_MS }), ctx))).toEqual(['a', 'b']);
    expect(ids(s.route(makeRequest({ urgency: 'batch' }), ctx))).toEqual(['a', 'b']);
  });

  it('does not defer when the saving is below minSaving', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.35, checkEvery: 15 * 60_000 }, ctx);
    expect(ids(s.route(batch(), ctx))).toEqual(['a', 'b']);
  });

  it('does not defer when the deadline is too close for the cheap window', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    // latest start = 02:00:05 − 2 × 5 s = 01:59:55, before the window opens
    expect(ids(s.route(batch(START_MS + 2 * HOUR_MS + 5_000), ctx))).toEqual(['a', 'b']);
    // a deadline of 02:00:10 leaves exactly 02:00:00
    expect(s.route(batch(START_MS + 2 * HOUR_MS + 10_000), ctx)).toEqual({ deferUntil: START_MS + 2 * HOUR_MS });
  });

  it('never defers past the end of the simulated window', () => {
    const ctx = makeContext({ providers, now: START_MS + 20 * HOUR_MS });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0.05, checkEvery: 15 * 60_000 }, ctx);
    // the next off-peak window starts at 26:00, after the 24 h scenario ends
    expect(ids(s.route(batch(START_MS + 40 * HOUR_MS), ctx))).toEqual(['a', 'b']);
  });

  it('terminates: repeated routing at each deferUntil ends in candidates', () => {
    const ctx = makeContext({ providers });
    const s = build({ use: 'deferral', base: 'cheapest', minSaving: 0, checkEvery: 60_000 }, ctx);
    let decision = s.route(batch(), ctx);
    let hops = 0;
    while ('deferUntil' in decision) {
      expect(decision.deferUntil).toBeGreaterThan(ctx.now);
      ctx.now = decision.deferUntil;
      decision = s.route(batch(), ctx);
      hops++;
    }
    expect(hops).toBe(1);
    expect(ctx.now).toBeGreaterThanOrEqual(START_MS + 2 * HOUR_MS);
    expect(ctx.now).toBeLessThan(START_MS + 6 * HOUR_MS);
  });
});

describe('hedged', () => {
  it('adds hedgeAfterMs to the base candidates', () => {
    const ctx = makeContext({ providers: THREE });
    const decision = build({ use: 'hedged', base: 'cheapest', delay: 1_500 }, ctx).route(makeRequest(), ctx);
    expect(decision).toEqual({ candidates: [expect.objectContaining({ provider: 'b' }), expect.anything(), expect.anything()], hedgeAfterMs: 1_500 });
  });

  it('does not hedge a single candidate', () => {
    const ctx = makeContext({ providers: THREE });
    const decision = build({ use: 'hedged', base: { use: 'failover', order: ['c'] }, delay: 1_500 }, ctx).route(makeRequest(), ctx);
    expect(decision).toEqual({ candidates: [{ provider: 'c', tier: 'standard' }] });
  });
});

describe('budget-guard', () => {
  const providers: FakeProviderInit[] = [
    { id: 'a', price: 0.02, tiers: { turbo: { priceMultiplier: 1.5 }, standard: {}, relaxed: { priceMultiplier: 0.7 } } },
    { id: 'b', price: 0.03, tiers: { turbo: { priceMultiplier: 2 }, standard: {} } },
  ];
  const guard = (ctx: FakeContext, downgradeTier?: string): Strategy =>
    budgetGuardStrategy({ base: 'cheapest', downgradeAt: 0.8, rejectAt: 1, ...(downgradeTier ? { downgradeTier } : {}) }, {
      scenario: ctx.scenario,
      build: (ref) => build(ref, ctx),
    });

  it('passes the base decision through below the downgrade threshold', () => {
    const ctx = makeContext({ providers });
    ctx.budget.limitUsd = 100;
    ctx.budget.spentUsd = 79;
    expect(pairs(guard(ctx).route(makeRequest(), ctx))).toEqual(['a/turbo', 'b/turbo']);
  });

  it('moves candidates to the cheapest tier at 80% and rejects at 100%', () => {
    const ctx = makeContext({ providers });
    ctx.budget.limitUsd = 100;
    ctx.budget.spentUsd = 80;
    const s = guard(ctx);
    expect(pairs(s.route(makeRequest(), ctx))).toEqual(['a/relaxed', 'b/standard']);
    ctx.budget.spentUsd = 100;
    expect(s.route(makeRequest(), ctx)).toEqual({ reject: 'budget' });
  });

  it('prefers downgradeTier where a provider has it', () => {
    const ctx = makeContext({ providers: [providers[0]!, { id: 'b', price: 0.03, tiers: { turbo: { priceMultiplier: 2 }, eco: { priceMultiplier: 0.5 } } }] });
    ctx.budget.limitUsd = 100;
    ctx.budget.spentUsd = 90;
    expect(pairs(guard(ctx, 'standard').route(makeRequest(), ctx))).toEqual(['a/standard', 'b/eco']);
  });

  it('applies per-project caps to that project only', () => {
    const ctx = makeContext({ providers });
    ctx.budget.limitUsd = 1_000;
    ctx.budget.spentUsd = 10;
    ctx.budget.projects.catalog = { limitUsd: 200, spentUsd: 170 }; // 85%
    const s = guard(ctx);
    expect(pairs(s.route(makeRequest({ project: 'catalog' }), ctx))).toEqual(['a/relaxed', 'b/standard']);
    expect(pairs(s.route(makeRequest({ project: 'app' }), ctx))).toEqual(['a/turbo', 'b/turbo']);
    ctx.budget.projects.catalog.spentUsd = 200;
    expect(s.route(makeRequest({ project: 'catalog' }), ctx)).toEqual({ reject: 'budget' });
    expect(pairs(s.route(makeRequest({ project: 'app' }), ctx))).toEqual(['a/turbo', 'b/turbo']);
  });

  it('forwards observe to the strategy it wraps', () => {
    const ctx = makeContext({ providers: THREE });
    const s = build({ use: 'budget-guard', base: { use: 'fastest', alpha: 1 }, downgradeAt: 0.8, rejectAt: 1 }, ctx);
    expect(firstOf(s.route(makeRequest(), ctx))).toBe('c');
    s.observe!(success('c', 30_000), ctx);
    expect(firstOf(s.route(makeRequest(), ctx))).toBe('a');
  });
});

describe('conditional', () => {
  const ref: StrategyRef = {
    use: 'conditional',
    rules: [
      { when: { urgency: 'batch' }, then: { use: 'failover', order: ['b'] } },
      { when: { project: ['catalog', 'ads'] }, then: { use: 'failover', order: ['c'] } },
      { when: { feature: 'lora', minSteps: 40 }, then: { use: 'failover', order: ['a'] } },
    ],
    default: { use: 'failover', order: ['a', 'b', 'c'] },
  };

  it('routes by the first matching rule, else the default', () => {
    const ctx = makeContext({ providers: THREE });
    const s = build(ref, ctx);
    expect(ids(s.route(makeRequest({ urgency: 'batch', project: 'catalog' }), ctx))).toEqual(['b']);
    expect(ids(s.route(makeRequest({ project: 'ads' }), ctx))).toEqual(['c']);
    expect(ids(s.route(makeRequest({ features: ['lora'], steps: 50 }), ctx))).toEqual(['a']);
    expect(ids(s.route(makeRequest({ features: ['lora'], steps: 30 }), ctx))).toEqual(['a', 'b', 'c']);
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
  });

  it('matches size, quality, validate and tier', () => {
    const ctx = makeContext({ providers: THREE });
    const s = build(
      {
        use: 'conditional',
        rules: [{ when: { size: ['512x512', '768x768'], quality: 'hd', validate: true, tier: 'standard' }, then: { use: 'failover', order: ['c'] } }],
        default: { use: 'failover', order: ['a'] },
      },
      ctx,
    );
    const hit = { size: '768x768', width: 768, height: 768, quality: 'hd', validate: true, tier: 'standard' };
    expect(ids(s.route(makeRequest(hit), ctx))).toEqual(['c']);
    expect(ids(s.route(makeRequest({ ...hit, validate: false }), ctx))).toEqual(['a']);
    expect(ids(s.route(makeRequest({ ...hit, size: '1024x1024' }), ctx))).toEqual(['a']);
  });

  it('forwards observe to every sub-strategy', () => {
    const ctx = makeContext({ providers: THREE });
    const s = build({ use: 'conditional', rules: [{ when: { urgency: 'batch' }, then: { use: 'fastest', alpha: 1 } }], default: { use: 'fastest', alpha: 1 } }, ctx);
    s.observe!(success('c', 30_000), ctx);
    expect(firstOf(s.route(makeRequest({ urgency: 'batch' }), ctx))).toBe('a');
    expect(firstOf(s.route(makeRequest(), ctx))).toBe('a');
  });
});

describe('every built-in', () => {
  // Every built-in usable by its bare name, from the list of descriptors (gateways need a config).
  const allRefs: StrategyRef[] = [...BUILTIN_STRATEGIES];

  it('covers every bare built-in, openrouter included', () => {
    expect(allRefs).toContain('openrouter');
    expect(allRefs.length).toBe(BUILTINS.filter((b) => b.gatewayConfig === undefined).length);
  });

  it.each(allRefs)('%s rejects a request no provider can serve, naming it', (ref) => {
    const ctx = makeContext({ providers: THREE.map((p) => ({ ...p, features: [] })), slo: { interactive: { p95: 10_000 } } });
    const s = build(ref, ctx);
    for (const urgency of ['interactive', 'batch'] as const) {
      const request = makeRequest({ urgency, features: ['controlnet', 'lora'], deadlineMs: START_MS + 12 * HOUR_MS });
      expect(s.route(request, ctx)).toEqual({ reject: 'no provider can serve 1024x1024/30 steps/controlnet,lora' });
    }
  });

  it.each(allRefs)('%s lists every servable provider exactly once', (ref) => {
    const ctx = makeContext({ providers: THREE, slo: { interactive: { p95: 4_000 } } });
    const s = build(ref, ctx);
    for (let i = 0; i < 20; i++) expect([...ids(s.route(makeRequest(), ctx))].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('invariants (property)', () => {
  const providerArb = fc.record({
    price: fc.double({ min: 0, max: 1, noNaN: true }),
    latencyMs: fc.integer({ min: 1, max: 60_000 }),
    serves: fc.boolean(),
    inFlight: fc.nat({ max: 100 }),
    errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  it('every built-in lists exactly the servable providers once each, or rejects when there are none', () => {
    fc.assert(
      fc.property(fc.array(providerArb, { minLength: 1, maxLength: 6 }), fc.constantFrom<StrategyRef>(...BUILTIN_STRATEGIES), fc.boolean(), (specs, ref, batch) => {
        const ctx = makeContext({
          providers: specs.map((p, i) => ({ id: `p${i}`, price: p.price, latencyMs: p.latencyMs, features: p.serves ? ['lora'] : [], stats: { inFlight: p.inFlight, errorRate: p.errorRate } })),
          slo: { interactive: { p95: 10_000 } },
        });
        const servable = specs.flatMap((p, i) => (p.serves ? [`p${i}`] : []));
        const decision = build(ref, ctx).route(makeRequest({ features: ['lora'], urgency: batch ? 'batch' : 'interactive', deadlineMs: START_MS + HOUR_MS }), ctx);
        if (servable.length === 0) expect(decision).toHaveProperty('reject');
        else expect([...ids(decision)].sort()).toEqual(servable);
      }),
      { numRuns: 150 },
    );
  });
});
