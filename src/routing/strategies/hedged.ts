/**
 * `hedged`: a second attempt at another provider when the first is slow to answer.
 */
import { duration } from '../../scenario/schema-parts.js';
import type { z } from 'zod';
import type { ImageRequest } from '../../model/request.js';
import type { AttemptOutcome, RouteDecision, RouteExplanation, RoutingContext, Strategy, StrategyEnv } from '../strategy.js';
import { explainWith, msText } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, strategyRefOr, type OptionsOf, type NestedRefSchema } from './_builtin.js';

const schema = builtinSchema('hedged', {
  get base(): z.ZodDefault<NestedRefSchema> {
    return strategyRefOr('fastest');
  },
  delay: duration().default(2_000),
});

/** Options of `hedged` (see the scenario schema): `base`, `delay` (ms). */
export type HedgedOptions = OptionsOf<typeof schema>;

/**
 * Builds `hedged` around `base` (built with `env.build`): `base`'s decision, with
 * `hedgeAfterMs: delay` added when it lists at least two candidates, so the policy sends the
 * second candidate if the first has not answered after `delay` (the loser is cancelled; both
 * are billed as the providers' billing says). Deferrals, rejections and single candidates pass
 * through unchanged.
 * @param options - `base`, `delay`, `name`
 * @param env - builds `base`
 * @returns the strategy
 */
export function hedgedStrategy(options: HedgedOptions, env: StrategyEnv): Strategy {
  const delay = options.delay;
  const base = env.build(options.base);
  return {
    name: options.name ?? 'hedged',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const decision = base.route(request, ctx);
      // A gateway plan chooses its own attempts; it is passed through unhedged.
      if (!('candidates' in decision) || decision.candidates.length < 2 || decision.plan !== undefined) return decision;
      return { candidates: decision.candidates, hedgeAfterMs: delay };
    },
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const inner = explainWith(base, request, ctx);
      const decision = inner.decision;
      if (!('candidates' in decision) || decision.candidates.length < 2) {
        const why = 'candidates' in decision ? 'no hedge: a single candidate' : 'no hedge';
        return { ...inner, summary: `${base.name}: ${inner.summary}; ${why}` };
      }
      const second = decision.candidates[1]!;
      return {
        ...inner,
        decision: { candidates: decision.candidates, hedgeAfterMs: delay },
        summary: `${base.name}: ${inner.summary}; hedge: if ${decision.candidates[0]!.provider} has not answered ${msText(delay)} after routing, ${second.provider} is sent too (first answer wins)`,
      };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      base.observe?.(outcome, ctx);
    },
  };
}

/** The `hedged` built-in: its options schema, nested strategies and factory. */
export const hedgedBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  children: (spec) => [{ ref: spec.base, path: ['base'] }],
  factory: hedgedStrategy,
});
