/**
 * `budget-guard`: as spend nears the budget, move work to cheaper tiers, then refuse it.
 */
import { z } from 'zod';
import { fraction, positive } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type {
  AttemptOutcome,
  BudgetView,
  Candidate,
  CandidateExplanation,
  ProviderView,
  RouteDecision,
  RouteExplanation,
  RoutingContext,
  Strategy,
  StrategyEnv,
} from '../strategy.js';
import { explainWith, pctText, usdText } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, strategyRefOr, type OptionsOf, type NestedRefSchema } from './_builtin.js';
import { Ranking } from './_ranking.js';

const schema = builtinSchema('budget-guard', {
  get base(): z.ZodDefault<NestedRefSchema> {
    return strategyRefOr('cheapest');
  },
  downgradeAt: fraction().default(0.8),
  downgradeTier: z.string().optional(),
  rejectAt: positive().default(1),
});

/** Options of `budget-guard` (see the scenario schema): `base`, `downgradeAt`, `downgradeTier`, `rejectAt`. */
export type BudgetGuardOptions = OptionsOf<typeof schema>;

/**
 * Spent / limit; 0 without a limit; Infinity for a limit of 0 (nothing may be spent).
 * @param spentUsd - spent in the period
 * @param limitUsd - the cap
 * @returns the used fraction
 */
function usedFraction(spentUsd: number, limitUsd: number): number {
  if (limitUsd === Infinity) return 0;
  if (!(limitUsd > 0)) return Infinity;
  return spentUsd / limitUsd;
}

/**
 * The share of the budget a request's spend draws on: the larger of the global and the
 * request's project fractions.
 * @param budget - the budget view
 * @param project - the request's project
 * @returns the fraction used
 */
function budgetFraction(budget: BudgetView, project: string): number {
  const own = budget.project(project);
  return Math.max(usedFraction(budget.spentUsd, budget.limitUsd), usedFraction(own.spentUsd, own.limitUsd));
}

/**
 * The tier to downgrade a provider to: `downgradeTier` when the provider has it, else its tier
 * with the lowest `priceMultiplier` (the first of equals).
 * @param view - the provider
 * @param downgradeTier - the configured tier
 * @returns a tier name of the provider
 */
function cheaperTier(view: ProviderView, downgradeTier: string | undefined): string {
  if (downgradeTier !== undefined && view.tiers.includes(downgradeTier)) return downgradeTier;
  const list = view.spec.tierList;
  let best = list[0];
  for (let t = 1; t < list.length; t++) {
    const tier = list[t]!;
    if (best === undefined || tier.priceMultiplier < best.priceMultiplier) best = tier;
  }
  return best?.name ?? view.spec.defaultTier;
}

/**
 * Builds `budget-guard` around `base` (built with `env.build`). The used fraction is the larger
 * of the period's spend / limit and the request project's spend / cap. At `rejectAt` or more
 * the request is rejected (`budget`); at `downgradeAt` or more `base`'s candidates are kept in
 * order but each is moved to `downgradeTier` when its provider has that tier, else to the
 * provider's cheapest tier (lowest `priceMultiplier`), provided it can serve the request there;
 * below, `base` decides alone.
 * @param options - `base`, `downgradeAt`, `downgradeTier`, `rejectAt`, `name`
 * @param env - builds `base`
 * @returns the strategy
 */
export function budgetGuardStrategy(options: BudgetGuardOptions, env: StrategyEnv): Strategy {
  const { downgradeAt, downgradeTier, rejectAt } = options;
  const base = env.build(options.base);
  const cache = new Ranking();
  /** `base`'s decision with its candidates moved to cheaper tiers. */
  const downgrade = (decision: RouteDecision, request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    // A gateway plan picks its own tiers: it is rejected at rejectAt like any request, never downgraded.
    if (!('candidates' in decision) || decision.plan !== undefined) return decision;
    const from = decision.candidates;
    const out = new Array<Candidate>(from.length);
    for (let k = 0; k < from.length; k++) {
      const c = from[k]!;
      const view = ctx.provider(c.provider);
      if (view === undefined) {
        out[k] = c;
        continue;
      }
      const tier = cheaperTier(view, downgradeTier);
      out[k] = tier !== c.tier && view.canServe(request, tier) ? cache.candidate(view, tier) : c;
    }
    return decision.hedgeAfterMs === undefined ? { candidates: out } : { candidates: out, hedgeAfterMs: decision.hedgeAfterMs };
  };
  return {
    name: options.name ?? 'budget-guard',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const used = budgetFraction(ctx.budget, request.project);
      if (used >= rejectAt) return { reject: 'budget' };
      const decision = base.route(request, ctx);
      return used < downgradeAt ? decision : downgrade(decision, request, ctx);
    },
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const budget = ctx.budget;
      const own = budget.project(request.project);
      const used = budgetFraction(budget, request.project);
      const state =
        `budget ${pctText(used)} used (period ${usdText(budget.spentUsd)} of ${usdText(budget.limitUsd)}` +
        `${own.limitUsd === Infinity ? '' : `; project ${request.project} ${usdText(own.spentUsd)} of ${usdText(own.limitUsd)}`})`;
      if (used >= rejectAt) return { decision: { reject: 'budget' }, summary: `${state} ≥ rejectAt ${pctText(rejectAt)}: rejected`, candidates: [] };
      const inner = explainWith(base, request, ctx);
      if (used < downgradeAt) return { ...inner, summary: `${state} < downgradeAt ${pctText(downgradeAt)}: ${base.name} decides: ${inner.summary}` };
      const decision = downgrade(inner.decision, request, ctx);
      const moved = 'candidates' in decision ? decision.candidates : [];
      const candidates: CandidateExplanation[] = inner.candidates.map((c, k) => {
        const to = moved[k];
        if (to === undefined || to.tier === c.tier) return c;
        return { ...c, ...(to.tier === undefined ? {} : { tier: to.tier }), reason: `${c.reason}; downgraded from ${c.tier ?? 'the default tier'} to ${to.tier ?? 'the default tier'}` };
      });
      return { ...inner, decision, candidates, summary: `${state} ≥ downgradeAt ${pctText(downgradeAt)}: ${base.name}'s order in cheaper tiers: ${inner.summary}` };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      base.observe?.(outcome, ctx);
    },
  };
}

/** The `budget-guard` built-in: its options schema, nested strategies, cross-checks and factory. */
export const budgetGuardBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  children: (spec) => [{ ref: spec.base, path: ['base'] }],
  check(spec, at, c) {
    c.knownTier(spec.downgradeTier, [...at, 'downgradeTier']);
  },
  factory: budgetGuardStrategy,
});
