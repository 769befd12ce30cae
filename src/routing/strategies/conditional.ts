/**
 * `conditional`: rules on request attributes choose a sub-strategy, as gateways route by
 * metadata.
 */
import { z } from 'zod';
import { obj, whenSchema } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { WhenSpec } from '../../scenario/schema.js';
import type { AttemptOutcome, RouteDecision, RouteExplanation, RoutingContext, Strategy, StrategyEnv } from '../strategy.js';
import { explainWith } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, strategyRef, strategyRefOr, type OptionsOf, type NestedRefSchema } from './_builtin.js';

/** A rule: conditions, and the strategy that routes the requests meeting them. */
const ruleSchema = obj({
  when: whenSchema,
  get then(): NestedRefSchema {
    return strategyRef();
  },
});

const schema = builtinSchema('conditional', {
  get rules(): z.ZodArray<typeof ruleSchema> {
    return z.array(ruleSchema);
  },
  get default(): z.ZodDefault<NestedRefSchema> {
    return strategyRefOr('cheapest');
  },
});

/** Options of `conditional` (see the scenario schema): `rules: [{ when, then }]`, `default`. */
export type ConditionalOptions = OptionsOf<typeof schema>;

/** A rule's conditions with list-or-one fields normalised to lists (or undefined). */
interface Conditions {
  readonly when: WhenSpec;
  readonly projects: readonly string[] | undefined;
  readonly sizes: readonly string[] | undefined;
}

/** A rule: its conditions and the strategy it routes with. */
interface Matcher extends Conditions {
  readonly strategy: Strategy;
}

/**
 * Normalises a `when` for matching.
 * @param when - the conditions as parsed
 * @returns the conditions with list-or-one fields as lists
 */
function conditionsOf(when: WhenSpec): Conditions {
  return {
    when,
    projects: when.project === undefined ? undefined : typeof when.project === 'string' ? [when.project] : [...when.project],
    sizes: when.size === undefined ? undefined : typeof when.size === 'string' ? [when.size] : [...when.size],
  };
}

/**
 * A predicate for a `when` (as `conditional` rules match; also used by `litellm` model rules).
 * @param when - the conditions
 * @returns whether a request meets all of them
 */
export function whenMatcher(when: WhenSpec): (request: ImageRequest) => boolean {
  const c = conditionsOf(when);
  return (request) => matches(c, request);
}

/**
 * Whether a request meets every condition a rule states (an empty `when` matches everything).
 * @param m - the rule
 * @param r - the request
 * @returns true when the rule applies
 */
function matches(m: Conditions, r: ImageRequest): boolean {
  const w = m.when;
  if (w.urgency !== undefined && r.urgency !== w.urgency) return false;
  if (m.projects !== undefined && !m.projects.includes(r.project)) return false;
  if (m.sizes !== undefined && !m.sizes.includes(r.size)) return false;
  if (w.quality !== undefined && r.quality !== w.quality) return false;
  if (w.feature !== undefined && !r.features.includes(w.feature)) return false;
  if (w.validate !== undefined && r.validate !== w.validate) return false;
  if (w.tier !== undefined && r.tier !== w.tier) return false;
  if (w.minSteps !== undefined && r.steps < w.minSteps) return false;
  if (w.maxSteps !== undefined && r.steps > w.maxSteps) return false;
  return true;
}

/**
 * Builds `conditional`: the first rule whose `when` the request meets routes it with its `then`
 * strategy; no match, `default`. Conditions of a rule must all hold: `urgency`; `project` and
 * `size` (one value or a list of accepted values); `quality` and `tier` (the request's own);
 * `feature` (the request asks for it); `validate`; `minSteps` ≤ steps ≤ `maxSteps`. Every
 * sub-strategy is built once, here, and every finished attempt is passed to all of them so
 * learning strategies keep learning whichever rule sent the request.
 * @param options - `rules`, `default`, `name`
 * @param env - builds the sub-strategies
 * @returns the strategy
 */
export function conditionalStrategy(options: ConditionalOptions, env: StrategyEnv): Strategy {
  const rules: Matcher[] = options.rules.map(({ when, then }) => ({ ...conditionsOf(when), strategy: env.build(then) }));
  const fallback = env.build(options.default);
  const all: Strategy[] = [...rules.map((r) => r.strategy), fallback];
  return {
    name: options.name ?? 'conditional',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        if (matches(rule, request)) return rule.strategy.route(request, ctx);
      }
      return fallback.route(request, ctx);
    },
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        if (!matches(rule, request)) continue;
        const inner = explainWith(rule.strategy, request, ctx);
        return { ...inner, summary: `rule ${String(i + 1)} matched (when ${JSON.stringify(rule.when)}) → ${rule.strategy.name}: ${inner.summary}` };
      }
      const inner = explainWith(fallback, request, ctx);
      const none = rules.length === 0 ? 'no rules' : `none of the ${String(rules.length)} rules matched`;
      return { ...inner, summary: `${none} → default ${fallback.name}: ${inner.summary}` };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      for (let i = 0; i < all.length; i++) all[i]!.observe?.(outcome, ctx);
    },
  };
}

/** The `conditional` built-in: its options schema, nested strategies, cross-checks and factory. */
export const conditionalBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  defaults: () => ({ rules: [] }),
  children: (spec) => [...spec.rules.map((r, j) => ({ ref: r.then, path: ['rules', j, 'then'] })), { ref: spec.default, path: ['default'] }],
  check(spec, at, c) {
    spec.rules.forEach((r, j) => {
      c.knownTier(r.when.tier, [...at, 'rules', j, 'when', 'tier']);
    });
  },
  factory: conditionalStrategy,
});
