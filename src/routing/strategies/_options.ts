/**
 * Internal: the options type of each built-in strategy, derived from the scenario schema's
 * parsed spec (the schema is the type) without its `use` discriminator.
 */
import type { BuiltinStrategyName, BuiltinStrategySpec } from '../../scenario/schema.js';

/** The parsed options of built-in strategy `K` (everything but `use`). */
export type BuiltinOptions<K extends BuiltinStrategyName> = Omit<BuiltinStrategySpec & { use: K }, 'use'>;
