/**
 * A fake `RoutingContext` for strategy tests: providers whose price, forecast, predicted
 * latency, stats and capabilities a test sets directly, a budget, an SLO and a seeded stream.
 * The providers' static `spec` comes from a real scenario built from the same description, so
 * `spec.capacity` and `spec.tierList` are what the scenario loader would produce.
 */
import type { Rng } from '../../src/model/random.js';
import { rngFor } from '../../src/model/random.js';
import type { ImageRequest } from '../../src/model/request.js';
import type { Quote } from '../../src/model/pricing/types.js';
import type { BudgetView, ProviderStats, ProviderView, RouteDecision, RoutingContext } from '../../src/routing/strategy.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';
import type { Feature } from '../../src/scenario/schema.js';

/** 2026-06-01T00:00:00Z, the fake scenario's start. */
export const START_MS = Date.UTC(2026, 5, 1);
/** One hour in ms. */
export const HOUR_MS = 3_600_000;

/** A tier of a fake provider. */
export interface FakeTier {
  /** Price multiplier of the tier (default 1). */
  priceMultiplier?: number;
  /** Predicted latency in this tier, ms (default: the provider's `latencyMs`). */
  latencyMs?: number;
}

/** How a test describes one provider. */
export interface FakeProviderInit {
  id: string;
  /** Price now in the default tier, USD (default 0.04). */
  price?: number;
  /** Predicted latency in tiers without their own, ms (default 5000). */
  latencyMs?: number;
  /** Tiers in order, the first the default (default `{ standard: {} }`). */
  tiers?: Record<string, FakeTier>;
  /** Price multiplier at an instant: `price` reads it at `ctx.now`, `priceAt` at the time asked (default 1). */
  forecast?: (atMs: number) => number;
  /** Features it supports (default: all). */
  features?: Feature[];
  /** Extra refusal rule. */
  serves?: (request: ImageRequest, tier: string) => boolean;
  /** `capacity.concurrency` (default 64). */
  concurrency?: number;
  stats?: Partial<ProviderStats>;
}

/** A fake provider: mutate its fields between `route` calls. */
export interface FakeProvider {
  readonly id: string;
  price: number;
  latencyMs: number;
  tiers: Record<string, FakeTier>;
  forecast: (atMs: number) => number;
  features: Feature[] | undefined;
  serves: ((request: ImageRequest, tier: string) => boolean) | undefined;
  stats: { -readonly [K in keyof ProviderStats]: ProviderStats[K] };
}

/** A settable budget. */
export interface FakeBudget extends BudgetView {
  limitUsd: number;
  spentUsd: number;
  /** Per-project limit and spend; projects not listed are uncapped with nothing spent. */
  projects: Record<string, { limitUsd: number; spentUsd: number }>;
}

/** A routing context whose clock and parts a test may change. */
export interface FakeContext extends RoutingContext {
  now: number;
  readonly budget: FakeBudget;
  readonly fakes: Record<string, FakeProvider>;
  readonly scenario: ResolvedScenario;
  rng: Rng;
}

/** What `makeContext` takes. */
export interface ContextInit {
  providers: FakeProviderInit[];
  now?: number;
  slo?: ResolvedScenario['slo'];
  seed?: number;
}

/**
 * A scenario object (as YAML would parse) with the given providers.
 * @param providers - the fake providers
 * @returns the scenario, ready for `scenarioFromObject`
 */
function scenarioObject(providers: FakeProviderInit[]): Record<string, unknown> {
  return {
    version: 1,
    name: 'routing-test',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    duration: '24h',
    providers: providers.map((p) => ({
      id: p.id,
      pricing: { model: 'per-image', price: p.price ?? 0.04 },
      tiers: Object.fromEntries(
        Object.entries(p.tiers ?? { standard: {} }).map(([name, t]) => [
          name,
          { latency: { dist: 'fixed', value: t.latencyMs ?? p.latencyMs ?? 5_000 }, priceMultiplier: t.priceMultiplier ?? 1 },
        ]),
      ),
      capacity: { concurrency: p.concurrency ?? 64 },
    })),
    traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'default' }] },
  };
}

function makeView(fake: FakeProvider, index: number, spec: ResolvedScenario['providers'][number], now: () => number): ProviderView {
  const tierOf = (tier: string | undefined): string => tier ?? Object.keys(fake.tiers)[0]!;
  const canServe = (request: ImageRequest, tier?: string): boolean => {
    const t = tierOf(tier);
    if (!(t in fake.tiers)) return false;
    if (fake.features && !request.features.every((f) => fake.features!.includes(f))) return false;
    return fake.serves?.(request, t) ?? true;
  };
  const multiplier = (tier: string | undefined): number => fake.tiers[tierOf(tier)]?.priceMultiplier ?? 1;
  const priceAt = (request: ImageRequest, atMs: number, tier?: string): number =>
    canServe(request, tier) ? fake.price * multiplier(tier) * fake.forecast(atMs) : Infinity;
  const price = (request: ImageRequest, tier?: string): number => priceAt(request, now(), tier);
  return {
    id: fake.id,
    index,
    spec,
    get tiers() {
      return Object.keys(fake.tiers);
    },
    quote(request: ImageRequest, tier?: string): Quote {
      const t = tierOf(tier);
      if (!canServe(request, t)) return { ok: false, provider: fake.id, tier: t, reason: 'cannot serve', code: 'feature' };
      return { ok: true, provider: fake.id, tier: t, totalUsd: price(request, t), lines: [] };
    },
    price,
    priceAt,
    canServe,
    predictLatencyMs(_request: ImageRequest, tier?: string): number {
      return fake.tiers[tierOf(tier)]?.latencyMs ?? fake.latencyMs;
    },
    get stats() {
      return fake.stats;
    },
  };
}

/**
 * Builds a fake routing context.
 * @param init - providers, clock, SLO, seed
 * @returns the context; change `ctx.now`, `ctx.fakes[id]` and `ctx.budget` as the test goes
 */
export function makeContext(init: ContextInit): FakeContext {
  const scenario = scenarioFromObject(scenarioObject(init.providers), 'routing-test.yaml');
  const fakes: Record<string, FakeProvider> = {};
  // The views read `ctx.now` of the context built below, so `price` follows the clock.
  const views = init.providers.map((p, i) => {
    const fake: FakeProvider = {
      id: p.id,
      price: p.price ?? 0.04,
      latencyMs: p.latencyMs ?? 5_000,
      tiers: p.tiers ?? { standard: {} },
      forecast: p.forecast ?? (() => 1),
      features: p.features,
      serves: p.serves,
      stats: {
        inFlight: 0,
        queued: 0,
        ewmaLatencyMs: NaN,
        errorRate: 0,
        breaker: 'closed',
        creditsLeft: undefined,
        attempts: 0,
        ...p.stats,
      },
    };
    fakes[p.id] = fake;
    return makeView(fake, i, scenario.providers[i]!, () => ctx.now);
  });
  const byId = new Map(views.map((v) => [v.id, v]));
  const budget: FakeBudget = {
    limitUsd: Infinity,
    spentUsd: 0,
    periodStartMs: START_MS,
    periodEndMs: START_MS + 30 * 24 * HOUR_MS,
    projects: {},
    project(name: string) {
      return this.projects[name] ?? { limitUsd: Infinity, spentUsd: 0 };
    },
  };
  const ctx: FakeContext = {
    now: init.now ?? START_MS,
    providers: views,
    provider: (id: string) => byId.get(id),
    budget,
    slo: init.slo ?? {},
    policy: scenario.policy,
    startMs: scenario.startMs,
    endMs: scenario.endMs,
    rng: rngFor(init.seed ?? 42, 'routing/test'),
    fakes,
    scenario,
  };
  return ctx;
}

let nextId = 0;

/**
 * An interactive 1024x1024, 30-step request for project `app`, with overrides.
 * @param over - fields to change
 * @returns the request
 */
export function makeRequest(over: Partial<ImageRequest> = {}): ImageRequest {
  return {
    id: nextId++,
    arrivalMs: START_MS,
    className: 'test',
    size: '1024x1024',
    width: 1024,
    height: 1024,
    steps: 30,
    features: [],
    validate: false,
    urgency: 'interactive',
    project: 'app',
    promptChars: 40,
    ...over,
  };
}

/**
 * The provider ids of a decision's candidates (fails the test on a deferral or rejection).
 * @param decision - a route decision
 * @returns candidate provider ids in order
 */
export function ids(decision: RouteDecision): string[] {
  if (!('candidates' in decision)) throw new Error(`expected candidates, got ${JSON.stringify(decision)}`);
  return decision.candidates.map((c) => c.provider);
}

/**
 * The candidates of a decision as `provider/tier` (fails the test on a deferral or rejection).
 * @param decision - a route decision
 * @returns `provider/tier` strings in order
 */
export function pairs(decision: RouteDecision): string[] {
  if (!('candidates' in decision)) throw new Error(`expected candidates, got ${JSON.stringify(decision)}`);
  return decision.candidates.map((c) => `${c.provider}/${c.tier ?? '?'}`);
}
