/**
 * The strategy API (docs/contract.md §3): what a router sees and what it decides. The same strategy
 * object runs unchanged in simulated time and in live mode; the harness of each mode provides
 * the `RoutingContext`.
 */
import type { Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import type { Quote } from '../model/pricing/types.js';
import type { ResolvedProvider, ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind } from '../scenario/schema.js';

/** A router: ranks providers for each request and may learn from every finished attempt. */
export interface Strategy {
  readonly name: string;
  /** Rank providers for one request; the policy tries them in order. */
  route(request: ImageRequest, ctx: RoutingContext): RouteDecision;
  /** Optional: learn from every finished attempt. */
  observe?(outcome: AttemptOutcome, ctx: RoutingContext): void;
  /**
   * Optional (extension): the decision `route` would make for this request now, with the reasons.
   * Called instead of `route`, never as well: it may draw from `ctx.rng` and move the strategy's
   * own state exactly as `route` does (`imgsim explain` calls it once per request it explains).
   */
  explain?(request: ImageRequest, ctx: RoutingContext): RouteExplanation;
}

/** One provider to try, optionally in a given latency tier (default: the provider's first). */
export interface Candidate {
  readonly provider: string;
  readonly tier?: string;
}

/**
 * What a strategy decides for a request: candidates to try in order (with `hedgeAfterMs`, an
 * imgsim extension, a second attempt goes to the next candidate if the first has not answered
 * by then; with `plan`, another extension, the plan chooses every attempt instead of the
 * policy), a later time to route again, or a rejection.
 */
export type RouteDecision =
  | { readonly candidates: readonly Candidate[]; readonly hedgeAfterMs?: number; readonly plan?: AttemptPlan }
  | { readonly deferUntil: number }
  | { readonly reject: string };

/**
 * One step of an {@link AttemptPlan}: send an attempt (optionally with its own timeout, ms), wait
 * and ask again, or stop. `stop: 'exhausted'` ends a request that ran out of retries and
 * fallbacks (counted in `attempts.exhausted`); `stop: 'final'` ends it because its last answer is
 * not worth retrying. Either way the request fails with its last attempt's kind.
 */
export type PlanStep =
  | {
      readonly provider: string;
      readonly tier?: string;
      readonly timeoutMs?: number;
      /**
       * The request as the gateway forwards it to this provider, when that differs from the
       * request (a gateway that drops imgsim's body fields: the provider answers and bills it
       * with its defaults); same `id`. Default: the request itself.
       */
      readonly request?: ImageRequest;
    }
  | { readonly waitMs: number }
  | { readonly stop: 'exhausted' | 'final' };

/**
 * An imgsim extension for gateway emulations (LiteLLM, Portkey): a per-request object that
 * decides every attempt itself, so retries, fallbacks, backoff and Retry-After follow the
 * gateway's rules instead of the scenario's `policy` (whose `maxAttempts`, `retryOn`, `backoff`
 * and `circuitBreaker` do not apply; `timeout` does unless a step sets its own). `next` is called
 * once when the decision is taken (`failed` undefined), after every failed attempt (after the
 * strategy's `observe` saw it; the outcome object is reused, copy what you keep), and when a
 * wait is over (`failed` undefined). A success ends the request. Plans are not hedged.
 */
export interface AttemptPlan {
  next(failed: AttemptOutcome | undefined, ctx: RoutingContext): PlanStep;
}

/** Why a strategy ranks one candidate where it does. */
export interface CandidateExplanation {
  readonly provider: string;
  readonly tier?: string;
  /** One sentence, e.g. `lowest quote: $0.03` or `predicted p95 12.4s > SLO p95 10s`. */
  readonly reason: string;
  /**
   * The numbers the strategy ranked by, named with their unit (`priceUsd`, `predictedMs`,
   * `score`, ...): what a tool reading `imgsim explain --json` compares.
   */
  readonly terms?: Readonly<Record<string, number>>;
}

/** A provider a strategy left out of its candidates on purpose, and why. */
export interface ExcludedProvider {
  readonly provider: string;
  readonly reason: string;
}

/**
 * A decision with its reasons (extension): what `Strategy.explain` returns. `candidates` has one
 * entry per candidate of `decision`, in the same order (none for a deferral or a rejection).
 */
export interface RouteExplanation {
  /** Exactly what `route` would have returned for this call. */
  readonly decision: RouteDecision;
  /** Why the first candidate was chosen, or why the request is deferred or rejected. */
  readonly summary: string;
  readonly candidates: readonly CandidateExplanation[];
  /**
   * Providers that could serve the request but were left out by the strategy's own rules (not in
   * `order`, over a price cap, ...). Providers that cannot serve it need not be listed: callers
   * ask the provider why.
   */
  readonly excluded?: readonly ExcludedProvider[];
}

/** The result of one attempt at one provider. */
export interface AttemptOutcome {
  readonly requestId: number;
  readonly provider: string;
  readonly tier: string;
  /** 1-based attempt number within the request. */
  readonly attempt: number;
  readonly kind: OutcomeKind;
  /** When the attempt was sent, epoch ms (simulated in sim mode). */
  readonly sentMs: number;
  /** When its answer (or the client's timeout) came, epoch ms. */
  readonly endedMs: number;
  /** endedMs − sentMs. */
  readonly latencyMs: number;
  /** USD billed for this attempt (0 when not billed). */
  readonly costUsd: number;
  /** For `rate-limited`: how long the provider asked to wait; undefined when it gave no Retry-After. */
  readonly retryAfterMs?: number;
  /** A provider error code, e.g. `insufficient_quota`. */
  readonly code?: string;
  /** True for the second attempt of a hedged pair. */
  readonly hedge: boolean;
}

/** Circuit-breaker state of a provider within one strategy's run. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Live statistics of a provider as one strategy's run has seen them. */
export interface ProviderStats {
  /** Attempts sent and not yet answered. */
  readonly inFlight: number;
  /** Attempts waiting at the provider for a slot (what a status endpoint would report). */
  readonly queued: number;
  /** Exponentially weighted mean latency of successful attempts, ms; NaN before the first. */
  readonly ewmaLatencyMs: number;
  /** Share of failed attempts among the recent ones (EWMA), in [0, 1]. */
  readonly errorRate: number;
  readonly breaker: BreakerState;
  /** Credits left on the provider's account; undefined unless it uses `credits` pricing. */
  readonly creditsLeft: number | undefined;
  /** Attempts sent so far in this run. */
  readonly attempts: number;
}

/** What a strategy may know of one provider. */
export interface ProviderView {
  readonly id: string;
  readonly index: number;
  /** The provider as the scenario describes it (static). */
  readonly spec: ResolvedProvider;
  /** Tier names in scenario order; the first is the default. */
  readonly tiers: readonly string[];
  /** The itemised price of a request now (dynamic and off-peak factors at `ctx.now`). */
  quote(request: ImageRequest, tier?: string): Quote;
  /**
   * The price of a request now, USD; `Infinity` when the provider cannot serve it. Fast. For a
   * request asking for validation at a provider without a validation bundle, in a scenario with
   * a validator, the validator's call is included (what the request will cost; `quote` is the
   * provider's own price).
   */
  price(request: ImageRequest, tier?: string): number;
  /**
   * A forecast of the price at a later time: off-peak windows at `atMs`, and the dynamic
   * multiplier from the availability expected then (base and diurnal curve, without noise or
   * outages: what a published price forecast would show). Infinity when it cannot serve. The
   * validator's call is included as in `price`, priced at `atMs`.
   */
  priceAt(request: ImageRequest, atMs: number, tier?: string): number;
  /** Whether the provider supports the request's size, steps, features, quality and tier. */
  canServe(request: ImageRequest, tier?: string): boolean;
  /**
   * Predicted time to answer the request now: the tier's service time at `quantile` (default
   * 0.5, the median) scaled to the request, plus the expected wait for a slot given the queue.
   */
  predictLatencyMs(request: ImageRequest, tier?: string, quantile?: number): number;
  readonly stats: ProviderStats;
}

/** Spend against the scenario's budget in the current period. */
export interface BudgetView {
  /** The period's limit, USD; Infinity without a budget. */
  readonly limitUsd: number;
  /** Spent in the current period, USD. */
  readonly spentUsd: number;
  /** Start and end of the current period, epoch ms. */
  readonly periodStartMs: number;
  readonly periodEndMs: number;
  /** Spent and limit for one project in the current period (limit Infinity when uncapped). */
  project(name: string): { readonly limitUsd: number; readonly spentUsd: number };
}

/** Everything a strategy may read when it routes. */
export interface RoutingContext {
  /** The clock, epoch ms (simulated time in sim mode). */
  readonly now: number;
  readonly providers: readonly ProviderView[];
  /** Looks a provider up by id. */
  provider(id: string): ProviderView | undefined;
  readonly budget: BudgetView;
  readonly slo: ResolvedScenario['slo'];
  readonly policy: ResolvedScenario['policy'];
  /** The scenario's simulated window, epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  /**
   * Whether the run drains: it goes on past `endMs` until every request that arrived in the
   * window has ended, billing what ends after it (simulated time). Work may then be deferred
   * past the window up to its deadline. False (or absent) in live mode, which stops at `endMs`.
   */
  readonly drains?: boolean;
  /** A seeded stream for this strategy. */
  readonly rng: Rng;
}

/** What a strategy factory receives: its options and the scenario it runs in. */
export interface StrategyEnv {
  readonly scenario: ResolvedScenario;
  /** Builds a nested strategy (for wrappers such as `deferral`, `hedged`, `conditional`). */
  build(ref: ResolvedScenario['strategies'][number]): Strategy;
}

/** A strategy file's default export: options in, strategy out. */
export type StrategyFactory<O = Record<string, unknown>> = (options: O, env?: StrategyEnv) => Strategy;

/**
 * Identity helper for authoring strategy files with types.
 * @param factory - the factory
 * @returns the same factory
 */
export function defineStrategy<O = Record<string, unknown>>(factory: StrategyFactory<O>): StrategyFactory<O> {
  return factory;
}
