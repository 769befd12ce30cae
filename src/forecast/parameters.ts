/**
 * What defines a forecast: the scenario (by name and content hash), the base seed, the number
 * of runs, the horizon and the strategies, plus the few scenario facts the aggregation needs
 * (budget, providers' limits, credits pricing). Two partial results can be merged only when their
 * parameters are identical, and the forecast is a function of the parameters and the runs alone.
 */
import { streamKey } from '../model/random.js';
import { selectStrategyRefs } from '../routing/strategy-refs.js';
import { hasReservation } from '../sim/reserved.js';
import { strategyDisplayName } from '../scenario/check.js';
import { scenarioHash } from '../scenario/hash.js';
import type { CreditsPricing, ResolvedScenario } from '../scenario/resolve.js';

/** A provider as the forecast reports it. */
export interface ProviderContext {
  readonly id: string;
  /** Its account (providers sharing one share the rate limit and credits). */
  readonly account: string;
  /** Index of the account's first provider (where account-level counters are kept). */
  readonly accountIndex: number;
  readonly concurrency: number;
  /** Requests per minute of the account's rate limit, null without one. */
  readonly rpm: number | null;
}

/** A credits account and its pricing. */
export interface CreditsContext {
  readonly account: string;
  readonly pricing: CreditsPricing;
}

/** The scenario facts the aggregation reads. */
export interface ForecastContext {
  readonly startMs: number;
  readonly budget: { readonly limitUsd: number; readonly periodMs: number } | null;
  readonly providers: readonly ProviderContext[];
  readonly credits: readonly CreditsContext[];
}

/** Everything a forecast's result depends on besides the runs themselves. */
export interface ForecastParameters {
  /** The scenario's name. */
  readonly scenario: string;
  /** SHA-256 (first 16 hex digits) of the resolved scenario, paths excluded. */
  readonly scenarioHash: string;
  /** The base seed (the scenario's, or --seed); run i uses {@link runSeed}(seed, i). */
  readonly seed: number;
  readonly runs: number;
  readonly horizonMs: number;
  /** Strategy names, in order. */
  readonly strategies: readonly string[];
  /** Whether each run also computes the hindsight oracle (each strategy's regret). */
  readonly oracle: boolean;
  readonly context: ForecastContext;
}

/**
 * The seed of run `index`: a stream key of the base seed and `forecast/run/<index>`, so runs
 * are independent of each other and of the worker that simulates them.
 * @param seed - the base seed
 * @param index - run index, 0-based
 * @returns an unsigned 32-bit seed
 */
export function runSeed(seed: number, index: number): number {
  return streamKey(seed, `forecast/run/${index}`);
}

/**
 * The scenario facts a forecast's aggregation reads.
 * @param scenario - the resolved scenario
 * @returns start, budget, providers (with their accounts' limits) and credits accounts
 */
export function forecastContext(scenario: ResolvedScenario): ForecastContext {
  const owners = new Map<string, number>();
  const providers = scenario.providers.map((p): ProviderContext => {
    if (!owners.has(p.account)) owners.set(p.account, p.index);
    const owner = scenario.providers[owners.get(p.account)!]!;
    return { id: p.id, account: p.account, accountIndex: owner.index, concurrency: p.capacity.concurrency, rpm: owner.rateLimit?.rpm ?? null };
  });
  const credits: CreditsContext[] = [];
  for (const p of scenario.providers) {
    if (owners.get(p.account) === p.index && p.pricing.model === 'credits') credits.push({ account: p.account, pricing: p.pricing });
  }
  return {
    startMs: scenario.startMs,
    budget: scenario.budget ? { limitUsd: scenario.budget.limit, periodMs: scenario.budget.period } : null,
    providers,
    credits,
  };
}

/**
 * The parameters of a forecast of a scenario.
 * @param scenario - the resolved scenario, horizon and seed not yet applied
 * @param opts - base seed, runs, horizon, strategy names (empty: all of the scenario's)
 * @param opts.seed - base seed
 * @param opts.runs - number of runs
 * @param opts.horizonMs - simulated span of each run
 * @param opts.strategies - strategy names, or undefined for all
 * @param opts.oracle - compute the hindsight oracle in each run (default true)
 * @returns the parameters
 */
export function forecastParameters(
  scenario: ResolvedScenario,
  opts: { seed: number; runs: number; horizonMs: number; strategies?: readonly string[] | undefined; oracle?: boolean | undefined },
): ForecastParameters {
  const refs = selectStrategyRefs(scenario, opts.strategies);
  return {
    scenario: scenario.name,
    scenarioHash: scenarioHash(scenario),
    seed: opts.seed,
    runs: opts.runs,
    horizonMs: opts.horizonMs,
    strategies: refs.map((r) => strategyDisplayName(r)),
    // The oracle prices every attempt on demand: it has no plan to offer against reserved slots.
    oracle: (opts.oracle ?? true) && !hasReservation(scenario),
    context: forecastContext(scenario),
  };
}
