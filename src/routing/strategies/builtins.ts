/**
 * The built-in strategies: one descriptor per file, listed here once. The scenario schema, its
 * cross-checks, the strategy-reference walker and the registry iterate this list; adding a
 * built-in is adding its file and one line below (docs/strategies.md, "Adding a built-in").
 * The order is the order names are listed in messages ("built-ins are ...").
 */
import type { StrategyRef } from '../../scenario/schema.js';
import type { AnyBuiltin, KeyPath } from './_builtin.js';
import { budgetGuardBuiltin } from './budget-guard.js';
import { cheapestBuiltin } from './cheapest.js';
import { conditionalBuiltin } from './conditional.js';
import { deferralBuiltin } from './deferral.js';
import { failoverBuiltin } from './failover.js';
import { fastestBuiltin } from './fastest.js';
import { hedgedBuiltin } from './hedged.js';
import { leastLoadedBuiltin } from './least-loaded.js';
import { litellmBuiltin } from './litellm.js';
import { openRouterBuiltin } from './openrouter.js';
import { portkeyBuiltin } from './portkey.js';
import { randomBuiltin } from './random.js';
import { roundRobinBuiltin } from './round-robin.js';
import { scoreBuiltin } from './score.js';
import { sloAwareBuiltin } from './slo-aware.js';
import { weightedBuiltin } from './weighted.js';

/** Every built-in strategy's descriptor. */
export const BUILTINS = [
  roundRobinBuiltin,
  randomBuiltin,
  weightedBuiltin,
  cheapestBuiltin,
  fastestBuiltin,
  leastLoadedBuiltin,
  scoreBuiltin,
  failoverBuiltin,
  sloAwareBuiltin,
  deferralBuiltin,
  hedgedBuiltin,
  budgetGuardBuiltin,
  conditionalBuiltin,
  openRouterBuiltin,
  litellmBuiltin,
  portkeyBuiltin,
] as const;

/** A built-in strategy name (gateways included). */
export type BuiltinStrategyName = (typeof BUILTINS)[number]['name'];

const BY_NAME: ReadonlyMap<string, AnyBuiltin> = new Map(BUILTINS.map((b) => [b.name, b as AnyBuiltin] as const));

/**
 * The descriptor of a built-in.
 * @param name - a `use:` value
 * @returns its descriptor, or undefined for a name that is not a built-in
 */
export function builtinNamed(name: string): AnyBuiltin | undefined {
  return BY_NAME.get(name);
}

/**
 * Visits a strategy reference and, depth first in the order each built-in lists them, every
 * reference nested in it (the one walker of nested strategies).
 * @param ref - a parsed strategy reference
 * @param at - its key path
 * @param visit - called with each reference and its key path, outer ones first
 */
export function walkStrategyRef(ref: StrategyRef, at: KeyPath, visit: (ref: StrategyRef, at: KeyPath) => void): void {
  visit(ref, at);
  if (typeof ref === 'string' || !('use' in ref)) return;
  for (const child of builtinNamed(ref.use)?.children?.(ref) ?? []) walkStrategyRef(child.ref, [...at, ...child.path], visit);
}
