/**
 * A ranking by price held across requests (`collectPriced` in src/routing/strategies/_ranking.ts):
 * while every provider's price depends on the request's shape alone, the next request of that
 * shape reuses the ranking. Each case routes a sequence through one strategy (which holds) and
 * each request through a new strategy (which cannot), over real provider views, and asks for the
 * same candidates; the sequences are built so that holding a ranking too long changes the order.
 */
import { describe, expect, it } from 'vitest';
import { AvailabilityCurve } from '../../src/model/availability.js';
import type { ImageRequest } from '../../src/model/request.js';
import { ProviderHandle } from '../../src/routing/provider-view.js';
import type { RouteDecision, RoutingContext, Strategy } from '../../src/routing/strategy.js';
import { cheapestStrategy } from '../../src/routing/strategies/cheapest.js';
import { Ranking, collectPriced } from '../../src/routing/strategies/_ranking.js';
import { resolveScenario } from '../../src/scenario/resolve.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { makeRequest } from './_context.js';

const START = Date.parse('2026-06-01T00:00:00Z');
const FLAT = { dist: 'fixed', value: '10s' };

/** Real provider views of `providers` (scenario entries) and the clock they read. */
function handles(providers: unknown[]): { views: ProviderHandle[]; clock: { now: number } } {
  const scenario = resolveScenario(
    scenarioSchema.parse({
      version: 1,
      name: 'hold-test',
      start: '2026-06-01T00:00:00Z',
      providers,
      traffic: { arrivals: { rate: 1 }, mix: [{ name: 'a' }] },
    }),
    '<inline>',
  );
  const clock = { now: START };
  const probe = { queued: () => 0, slots: () => 1, creditsLeft: () => undefined, creditValueUsd: () => undefined };
  const views = scenario.providers.map((p) => new ProviderHandle(p, clock, new AvailabilityCurve(p.availability, 1, p.id, START), probe, scenario.policy));
  return { views, clock };
}

/** A routing context over `views`: the parts of one `cheapest` reads. */
function context(views: readonly ProviderHandle[], clock: { now: number }): RoutingContext {
  return {
    get now() {
      return clock.now;
    },
    providers: views,
    provider: (id: string) => views.find((v) => v.id === id),
  } as unknown as RoutingContext;
}

/** A decision's candidates as `provider/tier`. */
function order(decision: RouteDecision): string[] {
  if (!('candidates' in decision)) return [JSON.stringify(decision)];
  return decision.candidates.map((c) => `${c.provider}/${c.tier ?? '-'}`);
}

/** Routes each request through `held` and through a new strategy, and returns both orders. */
function both(held: Strategy, fresh: () => Strategy, ctx: RoutingContext, request: ImageRequest): { held: string[]; fresh: string[] } {
  return { held: order(held.route(request, ctx)), fresh: order(fresh().route(request, ctx)) };
}

// a: flat 0.0425 (turbo × 1.5), LoRA; b: per-token, 10 prompt tokens 0.04229, 1000 tokens
// 0.04724; c: 0.05, a batch bundle on validation (0.054 × 0.75 = 0.0405 for batch).
const MARKET = [
  { id: 'a', tiers: { standard: { latency: FLAT }, turbo: { latency: FLAT, priceMultiplier: 1.5 } }, supports: { features: ['lora'] }, pricing: { model: 'per-image', price: 0.0425 } },
  { id: 'b', tiers: { standard: { latency: FLAT } }, pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056 } } } },
  { id: 'c', tiers: { standard: { latency: FLAT } }, pricing: { model: 'per-image', price: 0.05, validation: { price: 0.004, bundleDiscount: 0.25, appliesTo: 'batch' } } },
];

describe('a ranking by price is held while prices depend on the request shape alone', () => {
  it('follows the prompt length, the urgency, the features, the tier and the size as a new ranking would', () => {
    const { views, clock } = handles(MARKET);
    const ctx = context(views, clock);
    const held = cheapestStrategy();
    const seq: [ImageRequest, string[]][] = [
      [makeRequest({ promptChars: 40 }), ['b/standard', 'a/standard', 'c/standard']],
      [makeRequest({ promptChars: 40 }), ['b/standard', 'a/standard', 'c/standard']],
      // 1000 prompt tokens: b, from first to second.
      [makeRequest({ promptChars: 4000 }), ['a/standard', 'b/standard', 'c/standard']],
      [makeRequest({ promptChars: 40 }), ['b/standard', 'a/standard', 'c/standard']],
      // A batch bundle makes c the cheapest; the interactive request of that shape does not.
      [makeRequest({ promptChars: 4000, validate: true, urgency: 'batch' }), ['c/standard', 'a/standard', 'b/standard']],
      [makeRequest({ promptChars: 4000, validate: true, urgency: 'interactive' }), ['a/standard', 'b/standard', 'c/standard']],
      // LoRA: a alone; another array of the same content, then none again.
      [makeRequest({ promptChars: 40, features: ['lora'] }), ['a/standard']],
      [makeRequest({ promptChars: 40, features: ['lora'] }), ['a/standard']],
      [makeRequest({ promptChars: 40 }), ['b/standard', 'a/standard', 'c/standard']],
      // The tier asked for: a in turbo (0.06375); b and c, without one, in their default tier.
      [makeRequest({ promptChars: 40, tier: 'turbo' }), ['b/standard', 'c/standard', 'a/turbo']],
      [makeRequest({ promptChars: 40 }), ['b/standard', 'a/standard', 'c/standard']],
    ];
    for (const [request, expected] of seq) {
      const got = both(held, cheapestStrategy, ctx, request);
      expect(got.fresh).toEqual(expected);
      expect(got.held).toEqual(expected);
    }
    // A size b has no token count for: b cannot serve it, so a, c (the held one must see that).
    const big = makeRequest({ promptChars: 40, size: '2048x2048', width: 2048, height: 2048 });
    const got = both(held, cheapestStrategy, ctx, big);
    expect(got.held).toEqual(got.fresh);
  });

  it('is not held under a price schedule: the same shape goes to b once a costs 0.06 from July 1st', () => {
    const { views, clock } = handles([
      { id: 'a', tiers: { standard: { latency: FLAT } }, pricing: [{ model: 'per-image', price: 0.04 }, { model: 'per-image', price: 0.06, from: '2026-07-01T00:00:00Z' }] },
      { id: 'b', tiers: { standard: { latency: FLAT } }, pricing: { model: 'per-image', price: 0.05 } },
    ]);
    const ctx = context(views, clock);
    const held = cheapestStrategy();
    expect(order(held.route(makeRequest(), ctx))).toEqual(['a/standard', 'b/standard']);
    clock.now = Date.parse('2026-07-01T00:00:00Z');
    expect(order(held.route(makeRequest(), ctx))).toEqual(['b/standard', 'a/standard']);
  });

  it('is given up when a key is set after it (a strategy ranking by something else with the same scratch space)', () => {
    const { views } = handles(MARKET.slice(0, 2));
    const ranking = new Ranking();
    const request = makeRequest({ promptChars: 40 });
    collectPriced(ranking, request, views, undefined);
    ranking.sort();
    expect(order(ranking.decision(views))).toEqual(['b/standard', 'a/standard']);
    ranking.setKey(1, 1); // b last
    ranking.sort();
    expect(order(ranking.decision(views))).toEqual(['a/standard', 'b/standard']);
    collectPriced(ranking, request, views, undefined);
    ranking.sort();
    expect(order(ranking.decision(views))).toEqual(['b/standard', 'a/standard']);
    // Another provider list (another context) is ranked anew as well.
    const others = views.slice(0, 1);
    collectPriced(ranking, request, others, undefined);
    ranking.sort();
    expect(order(ranking.decision(others))).toEqual(['a/standard']);
  });
});
