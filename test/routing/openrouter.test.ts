import { describe, expect, it } from 'vitest';
import type { AttemptOutcome, RouteExplanation, Strategy } from '../../src/routing/strategy.js';
import { REJECT_FILTERED, REJECT_MAX_PRICE, REJECT_ORDER } from '../../src/routing/strategies/openrouter.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { StrategyRef } from '../../src/scenario/schema.js';
import { START_MS, ids, makeContext, makeRequest, type FakeContext, type FakeProviderInit } from './_context.js';

/** a $0.01, b $0.02, c $0.04; predicted 5 s, 9 s, 3 s. */
const THREE: FakeProviderInit[] = [
  { id: 'a', price: 0.01, latencyMs: 5_000 },
  { id: 'b', price: 0.02, latencyMs: 9_000 },
  { id: 'c', price: 0.04, latencyMs: 3_000 },
];

function openrouter(ctx: FakeContext, provider: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Strategy {
  return buildStrategy({ use: 'openrouter', provider, ...extra } as unknown as StrategyRef, { scenario: ctx.scenario, files: new Map() });
}

/** A failed attempt at `provider` that ended at `endedMs`. */
function failure(provider: string, endedMs: number, kind: AttemptOutcome['kind'] = 'server-error'): AttemptOutcome {
  return { requestId: 0, provider, tier: 'standard', attempt: 1, kind, sentMs: endedMs - 500, endedMs, latencyMs: 500, costUsd: 0, hedge: false };
}

/** How often each provider comes first over `n` routings. */
function firstShares(s: Strategy, ctx: FakeContext, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const first = ids(s.route(makeRequest(), ctx))[0]!;
    counts[first] = (counts[first] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([id, c]) => [id, c / n]));
}

/** Expects a sampled share within 4 standard errors of p (binomial, n draws). */
function expectShare(share: number | undefined, p: number, n: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs((share ?? 0) - p)).toBeLessThan(4 * se + 1e-12);
}

describe('openrouter load balancing (the default)', () => {
  it('draws the first provider with weight 1/price² and lists the rest by price', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx);
    const n = 20_000;
    const shares = firstShares(s, ctx, n);
    // 1/p²: a 1/0.01² = 10,000, b 1/0.02² = 2,500, c 1/0.04² = 625; total 13,125.
    expectShare(shares.a, 10_000 / 13_125, n); // 0.7619
    expectShare(shares.b, 2_500 / 13_125, n); // 0.1905
    expectShare(shares.c, 625 / 13_125, n); // 0.0476
    // The published example: $1 vs $3 → the cheaper is 9× as likely.
    expect((shares.a ?? 0) / (shares.c ?? 1)).toBeGreaterThan(14); // (0.04/0.01)² = 16
    for (let i = 0; i < 50; i++) {
      const order = ids(s.route(makeRequest(), ctx));
      const rest = order.slice(1);
      const byPrice = ['a', 'b', 'c'].filter((id) => rest.includes(id));
      expect(rest).toEqual(byPrice);
    }
  });

  it('demotes a provider that failed within the last 30 s behind the stable ones, and takes it back after', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx);
    s.observe!(failure('a', START_MS), ctx);
    ctx.now = START_MS + 10_000;
    const n = 4_000;
    for (let i = 0; i < 200; i++) expect(ids(s.route(makeRequest(), ctx)).at(-1)).toBe('a');
    // Among the stable b and c: 2,500 / (2,500 + 625) = 0.8 for b.
    const during = firstShares(s, ctx, n);
    expect(during.a).toBeUndefined();
    expectShare(during.b, 0.8, n);
    ctx.now = START_MS + 29_999;
    expect(ids(s.route(makeRequest(), ctx)).at(-1)).toBe('a');
    ctx.now = START_MS + 30_000; // 30 s after the failure: no longer "in the last 30 seconds"
    const after = firstShares(s, ctx, n);
    expectShare(after.a, 10_000 / 13_125, n);
  });

  it('counts only outages: a filtered prompt or a bad image does not demote', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx);
    s.observe!(failure('a', START_MS, 'filtered'), ctx);
    s.observe!(failure('a', START_MS, 'generative'), ctx);
    ctx.now = START_MS + 1_000;
    expectShare(firstShares(s, ctx, 4_000).a, 10_000 / 13_125, 4_000);
    s.observe!(failure('a', START_MS + 1_000, 'rate-limited'), ctx);
    expect(firstShares(s, ctx, 500).a).toBeUndefined();
  });

  it('takes the outage window from `outageWindow`', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx, {}, { outageWindow: '5s' });
    s.observe!(failure('a', START_MS), ctx);
    ctx.now = START_MS + 4_999;
    expect(ids(s.route(makeRequest(), ctx)).at(-1)).toBe('a');
    ctx.now = START_MS + 5_000;
    expectShare(firstShares(s, ctx, 4_000).a, 10_000 / 13_125, 4_000);
  });

  it('draws among every provider when all failed recently', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx);
    for (const id of ['a', 'b', 'c']) s.observe!(failure(id, START_MS), ctx);
    ctx.now = START_MS + 1_000;
    expectShare(firstShares(s, ctx, 4_000).a, 10_000 / 13_125, 4_000);
  });
});

describe('openrouter order, sort and allow_fallbacks', () => {
  it('tries the `order` providers first, in that order, then the rest by price, with no draw', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx, { order: ['c', 'b'] });
    const before = ctx.rng.next();
    ctx.rng = makeContext({ providers: THREE }).rng; // the same seed again
    for (let i = 0; i < 20; i++) expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'b', 'a']);
    expect(ctx.rng.next()).toBe(before); // load balancing is off: nothing was drawn
  });

  it.each([
    ['price', ['a', 'b', 'c']],
    // predicted latency now (the fake's prediction includes queue wait): a 5 s, b 9 s, c 20 s
    ['latency', ['a', 'b', 'c']],
    // median service time without the queue (the tier's latency spec): c 3 s, a 5 s, b 9 s
    ['throughput', ['c', 'a', 'b']],
  ])('sorts by %s with load balancing off', (by, expected) => {
    const ctx = makeContext({ providers: THREE });
    ctx.fakes.c!.latencyMs = 20_000; // a queue at c: predicted 20 s, service still 3 s
    const s = openrouter(ctx, { sort: by });
    for (let i = 0; i < 10; i++) expect(ids(s.route(makeRequest(), ctx))).toEqual(expected);
    const o = openrouter(ctx, { sort: { by, partition: 'none' } });
    expect(ids(o.route(makeRequest(), ctx))).toEqual(expected);
  });

  it('ranks the fallbacks after `order` by `sort` when both are set', () => {
    const ctx = makeContext({ providers: [...THREE, { id: 'd', price: 0.03, latencyMs: 1_000 }] });
    expect(ids(openrouter(ctx, { order: ['b'], sort: 'latency' }).route(makeRequest(), ctx))).toEqual(['b', 'd', 'c', 'a']);
    expect(ids(openrouter(ctx, { order: ['b'] }).route(makeRequest(), ctx))).toEqual(['b', 'a', 'd', 'c']);
  });

  it('stops after the `order` providers with allow_fallbacks: false', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(openrouter(ctx, { order: ['c', 'b'], allow_fallbacks: false }).route(makeRequest(), ctx))).toEqual(['c', 'b']);
    ctx.fakes.c!.features = [];
    expect(ids(openrouter(ctx, { order: ['c', 'b'], allow_fallbacks: false }).route(makeRequest({ features: ['lora'] }), ctx))).toEqual(['b']);
    expect(openrouter(ctx, { order: ['c'], allow_fallbacks: false }).route(makeRequest({ features: ['lora'] }), ctx)).toEqual({ reject: REJECT_ORDER });
  });

  it('keeps only the primary with allow_fallbacks: false and no `order`', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(openrouter(ctx, { sort: 'price', allow_fallbacks: false }).route(makeRequest(), ctx))).toEqual(['a']);
    const balanced = openrouter(ctx, { allow_fallbacks: false });
    for (let i = 0; i < 20; i++) expect(ids(balanced.route(makeRequest(), ctx))).toHaveLength(1);
  });
});

describe('openrouter filters', () => {
  it('uses only the providers in `only` and none in `ignore`', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(openrouter(ctx, { only: ['b', 'c'], sort: 'price' }).route(makeRequest(), ctx))).toEqual(['b', 'c']);
    expect(ids(openrouter(ctx, { ignore: ['a'], sort: 'price' }).route(makeRequest(), ctx))).toEqual(['b', 'c']);
    expect(ids(openrouter(ctx, { only: ['a', 'b'], ignore: ['a'], sort: 'price' }).route(makeRequest(), ctx))).toEqual(['b']);
    expect(openrouter(ctx, { only: ['a'], ignore: ['a'] }).route(makeRequest(), ctx)).toEqual({ reject: REJECT_FILTERED });
  });

  it('drops providers above max_price (per request or per image) and refuses when none is left', () => {
    const ctx = makeContext({ providers: THREE });
    expect(ids(openrouter(ctx, { max_price: { request: 0.02 }, sort: 'price' }).route(makeRequest(), ctx))).toEqual(['a', 'b']);
    expect(ids(openrouter(ctx, { max_price: { image: '$0.015' }, sort: 'price' }).route(makeRequest(), ctx))).toEqual(['a']);
    // both: the lower binds
    expect(ids(openrouter(ctx, { max_price: { request: 0.05, image: 0.01 }, sort: 'price' }).route(makeRequest(), ctx))).toEqual(['a']);
    const capped = openrouter(ctx, { max_price: { request: 0.005 } });
    expect(capped.route(makeRequest(), ctx)).toEqual({ reject: REJECT_MAX_PRICE });
    const why = capped.explain!(makeRequest(), ctx);
    expect(why.excluded).toEqual([
      { provider: 'a', reason: 'over max_price: $0.01 > $0.005 per request' },
      { provider: 'b', reason: 'over max_price: $0.02 > $0.005 per request' },
      { provider: 'c', reason: 'over max_price: $0.04 > $0.005 per request' },
    ]);
  });

  it('caps per-token providers by their listed rates with max_price.prompt and .completion', () => {
    const scenario = scenarioFromObject(
      {
        version: 1,
        name: 'tokens',
        providers: [
          { id: 'tok', pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056 } } }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } } },
          { id: 'img', pricing: { model: 'per-image', price: 0.08 }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } } },
        ],
        traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'x' }] },
      },
      'tokens.yaml',
    );
    const ctx = makeContext({ providers: [{ id: 'tok', price: 0.04 }, { id: 'img', price: 0.08 }] });
    // The fake views' specs are per-image; give the strategy the per-token spec of `tok`.
    const views = ctx.providers.map((v, i) => ({ ...v, spec: scenario.providers[i]!, stats: v.stats }));
    const tokCtx = { ...ctx, providers: views, provider: (id: string) => views.find((v) => v.id === id) };
    const s = (p: Record<string, unknown>) => buildStrategy({ use: 'openrouter', provider: { sort: 'price', ...p } } as unknown as StrategyRef, { scenario: ctx.scenario, files: new Map() });
    expect(ids(s({ max_price: { prompt: 5, completion: 40 } }).route(makeRequest(), tokCtx))).toEqual(['tok', 'img']);
    expect(ids(s({ max_price: { completion: 30 } }).route(makeRequest(), tokCtx))).toEqual(['img']);
    expect(ids(s({ max_price: { prompt: 4 } }).route(makeRequest(), tokCtx))).toEqual(['img']);
    // Token caps do not bind providers that charge no tokens; audio never binds an image request.
    expect(ids(s({ max_price: { prompt: 0, completion: 0, audio: 0 } }).route(makeRequest(), tokCtx))).toEqual(['img']);
  });

  it('reads the token rates in force: a schedule raising them 1.5x from the first hour moves a provider over max_price.prompt', () => {
    const tokens = { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056 } } };
    const scenario = scenarioFromObject(
      {
        version: 1,
        name: 'tokens-scheduled',
        start: '2026-06-01T00:00:00Z',
        providers: [
          { id: 'tok', pricing: { ...tokens, schedule: [{ from: '1h', multiply: 1.5 }] }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } } },
          { id: 'img', pricing: { model: 'per-image', price: 0.08 }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } } },
        ],
        traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'x' }] },
      },
      'tokens-scheduled.yaml',
    );
    const ctx = makeContext({ providers: [{ id: 'tok', price: 0.04 }, { id: 'img', price: 0.08 }] });
    const views = ctx.providers.map((v, i) => ({ ...v, spec: scenario.providers[i]!, stats: v.stats }));
    const at = (now: number) => ({ ...ctx, now, providers: views, provider: (id: string) => views.find((v) => v.id === id) });
    const s = buildStrategy({ use: 'openrouter', provider: { sort: 'price', max_price: { prompt: 6 } } } as unknown as StrategyRef, { scenario: ctx.scenario, files: new Map() });
    // Before the change: $5 ≤ $6 per million prompt tokens. After it: 5 × 1.5 = $7.50 > $6.
    expect(ids(s.route(makeRequest(), at(START_MS + 3_599_999)))).toEqual(['tok', 'img']);
    expect(ids(s.route(makeRequest(), at(START_MS + 3_600_000)))).toEqual(['img']);
    expect(s.explain!(makeRequest(), at(START_MS + 7_200_000)).excluded).toEqual([
      { provider: 'tok', reason: 'over max_price: $7.5/$60 per million input/output tokens > prompt $6 / completion ∞' },
    ]);
  });

  it('deprioritizes providers predicted slower than preferred_max_latency', () => {
    const ctx = makeContext({ providers: THREE });
    // a 5 s and b 9 s exceed 4 s (a number is seconds, as OpenRouter has it); c 3 s does not.
    expect(ids(openrouter(ctx, { preferred_max_latency: 4, sort: 'price' }).route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
    expect(ids(openrouter(ctx, { preferred_max_latency: { p90: '6s' }, sort: 'price' }).route(makeRequest(), ctx))).toEqual(['a', 'c', 'b']);
    const balanced = openrouter(ctx, { preferred_max_latency: 4 });
    for (let i = 0; i < 20; i++) expect(ids(balanced.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
  });
});

describe('openrouter preferences that do not apply to a simulator', () => {
  const scenario = (provider: Record<string, unknown>) => ({
    version: 1,
    name: 'or',
    providers: [{ id: 'a', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } } }],
    traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'x' }] },
    strategies: [{ use: 'openrouter', provider }],
  });

  it.each([
    [{ quantizations: ['int8'] }, 'strategies[0].provider.quantizations: `quantizations`'],
    [{ data_collection: 'deny' }, 'strategies[0].provider.data_collection: `data_collection: deny`'],
    [{ zdr: true }, 'strategies[0].provider.zdr: `zdr: true`'],
    [{ enforce_distillable_text: true }, 'strategies[0].provider.enforce_distillable_text: `enforce_distillable_text: true`'],
    [{ preferred_min_throughput: 50 }, 'strategies[0].provider.preferred_min_throughput: `preferred_min_throughput` is in tokens per second'],
    [{ order: ['z'] }, 'strategies[0].provider.order[0]: unknown provider "z"'],
    [{ ignore: ['z'] }, 'strategies[0].provider.ignore[0]: unknown provider "z"'],
    [{ sort: 'speed' }, 'strategies[0].provider.sort'],
    [{ experimental: true }, 'unknown key `experimental`'],
  ])('refuses %j with a message naming the key', (provider, message) => {
    expect(() => scenarioFromObject(scenario(provider), 'or.yaml')).toThrow(message);
  });

  it('accepts the neutral values and require_parameters', () => {
    const s = scenarioFromObject(
      scenario({ data_collection: 'allow', zdr: false, enforce_distillable_text: false, require_parameters: true, sort: { by: 'price', partition: 'model' } }),
      'or.yaml',
    );
    expect(s.strategies[0]).toMatchObject({ use: 'openrouter', provider: { allow_fallbacks: true }, outageWindow: 30_000 });
  });
});

describe('openrouter explain', () => {
  it('says which rule put each provider where, and returns what route would', () => {
    const ctx = makeContext({ providers: THREE });
    const s = openrouter(ctx, { ignore: ['c'] });
    s.observe!(failure('a', START_MS), ctx);
    ctx.now = START_MS + 12_000;
    const why: RouteExplanation = s.explain!(makeRequest(), ctx);
    expect(ids(why.decision)).toEqual(['b', 'a']);
    expect(why.summary).toBe('b by load balancing: the only one of the stable providers in the draw, at $0.02');
    expect(why.candidates[1]!.reason).toBe('fallback by price: $0.01; demoted: server-error 12s ago, within the 30s outage window');
    expect(why.excluded).toEqual([{ provider: 'c', reason: 'in `ignore`' }]);
    const twin = openrouter(makeContext({ providers: THREE }), { order: ['c', 'b'], allow_fallbacks: false });
    const explained = twin.explain!(makeRequest(), ctx);
    expect(explained.excluded).toEqual([{ provider: 'a', reason: 'not in `order`, and allow_fallbacks is false' }]);
    expect(explained.candidates.map((c) => c.reason)).toEqual(['`order` position 1', '`order` position 2']);
  });
});
