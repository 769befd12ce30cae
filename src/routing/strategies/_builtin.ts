/**
 * Internal: the shape of a built-in strategy's descriptor. Each built-in file exports one
 * descriptor made with {@link defineBuiltin}; `builtins.ts` lists them, and the scenario schema,
 * the cross-checks, the strategy-reference walker and the registry all iterate that list.
 *
 * This file and the built-in files must not import `scenario/schema.ts` (or anything that does)
 * at run time: the schema imports the list. Option schemas are built from
 * `scenario/schema-parts.ts`, and a nested strategy reference from {@link strategyRef}.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ImgsimError } from '../../scenario/errors.js';
import { feesSchema, obj } from '../../scenario/schema-parts.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import type { StrategyRef, StrategyRefInput } from '../../scenario/schema.js';
import type { Strategy, StrategyEnv } from '../strategy.js';

/** A key path into the scenario (`['strategies', 0, 'base']`). */
export type KeyPath = readonly (string | number)[];

/** What a built-in's cross-checks can see and report (the scenario after its schema). */
export interface CrossCheckContext {
  /** Reports `id` at `at` unless it names a scenario provider. */
  knownProvider(id: string, at: KeyPath): void;
  /** Reports `tier` at `at` unless it is undefined or a tier of some provider. */
  knownTier(tier: string | undefined, at: KeyPath): void;
  /** Reports a problem at a key path. */
  problem(at: KeyPath, message: string): void;
  /** The absolute path of a file the scenario names (relative to the scenario's folder). */
  resolve(file: string): string;
}

/** A strategy reference nested in a built-in's options, and its key path inside them. */
export interface ChildRef {
  readonly ref: StrategyRef;
  readonly path: KeyPath;
}

/**
 * The options every built-in takes: a display `name`, the `tier` it routes to, and the `fees` a
 * gateway in front of the providers charges (docs/gateways.md#fees).
 */
export const commonOptions = { name: z.string().min(1).optional(), tier: z.string().optional(), fees: feesSchema().optional() };

/** The schema of built-in `N` with option shape `S`: `{ use: N, name?, tier?, ...S }`, strict. */
export type BuiltinSchema<N extends string, S extends z.ZodRawShape> = ReturnType<typeof obj<{ use: z.ZodLiteral<N> } & typeof commonOptions & S>>;

/** The parsed spec of a built-in whose schema is `S` (its `use` included). */
export type SpecOf<S extends z.ZodType> = WithRefs<z.output<S>>;

/** The parsed options a built-in's factory takes (its spec without `use`). */
export type OptionsOf<S extends z.ZodType> = Omit<SpecOf<S>, 'use'>;

/**
 * What a built-in declares besides its name and options; `Spec` is its parsed spec. Methods
 * (not function properties) so that descriptors of different specs share one list type.
 */
export interface BuiltinParts<Spec> {
  /**
   * Options a bare name needs but the schema does not default (they depend on the scenario),
   * parsed along with `{ use: name }`.
   */
  defaults?(scenario: ResolvedScenario): Record<string, unknown>;
  /** For a gateway emulated from its own config: an example path; it then has no bare name. */
  readonly gatewayConfig?: string;
  /** The strategy references nested in its options, in the order they are visited. */
  children?(spec: Spec): readonly ChildRef[];
  /**
   * Cross-field checks of its options (the common `tier` and nested references are checked
   * by the caller): reports through `c`, each problem at a key path under `at`.
   */
  check?(spec: Spec, at: KeyPath, c: CrossCheckContext): void;
  /**
   * Deep checks `imgsim validate` runs before a run (e.g. reading a gateway config).
   * @returns warnings (`file:line:col key.path: message`)
   * @throws ImgsimError for the first problem
   */
  checkConfig?(spec: Spec, scenario: ResolvedScenario): readonly string[];
  /** Builds the strategy from its parsed spec; `env.build` builds nested references. */
  factory(spec: Spec, env: StrategyEnv): Strategy;
}

/** A built-in's schema: a strict object whose `use` is its name. */
export type AnyBuiltinSchema = z.ZodObject<{ use: z.ZodLiteral<string> } & typeof commonOptions>;

/** A built-in strategy's descriptor; `T` is its schema. */
export interface BuiltinDescriptor<T extends AnyBuiltinSchema> extends BuiltinParts<SpecOf<T>> {
  /** The `use:` value and bare name (binding, docs/contract.md §2.6). */
  readonly name: z.output<T>['use'];
  /** `{ use: name, name?, tier?, ...options }`, strict; its defaults are the only ones. */
  readonly schema: T;
}

/** Any descriptor, as code iterating the list sees it. */
export interface AnyBuiltin extends BuiltinParts<{ use: string; name?: string | undefined; tier?: string | undefined }> {
  readonly name: string;
  readonly schema: z.ZodType;
}

/**
 * The schema of a built-in: `{ use: name, name?, tier?, ...options }`, strict. Getters in
 * `options` (nested strategy references) stay getters, read only when the schema is used.
 * @param name - the `use:` value
 * @param options - the zod shape of its own options
 * @returns the schema
 */
export function builtinSchema<const N extends string, S extends z.ZodRawShape>(name: N, options: S): BuiltinSchema<N, S> {
  const shape = Object.defineProperties({ use: z.literal(name), ...commonOptions }, Object.getOwnPropertyDescriptors(options)) as { use: z.ZodLiteral<N> } & typeof commonOptions & S;
  const schema = obj(shape);
  NAMES.set(schema, name);
  return schema;
}

/** The name of each schema made by {@link builtinSchema} (reading `schema.shape` would run its getters too early). */
const NAMES = new WeakMap<z.ZodType, string>();

/**
 * Defines a built-in from its schema (made by {@link builtinSchema}) and its parts. The schema
 * is made first so the factory's options type can be `OptionsOf<typeof schema>`.
 * @param schema - its schema
 * @param parts - factory, and optionally defaults, children, checks
 * @returns the descriptor
 */
export function defineBuiltin<T extends AnyBuiltinSchema>(schema: T, parts: BuiltinParts<SpecOf<T>>): BuiltinDescriptor<T> {
  const name = NAMES.get(schema);
  if (name === undefined) throw new Error('defineBuiltin: make the schema with builtinSchema(name, options)');
  return { ...parts, name, schema };
}

/**
 * The cross-check of a gateway's `config` path: the file must exist.
 * @param config - the path as the scenario writes it
 * @param at - the built-in's key path
 * @param c - the check context
 */
export function configFileCheck(config: string, at: KeyPath, c: CrossCheckContext): void {
  if (!existsSync(c.resolve(config))) c.problem([...at, 'config'], `gateway config not found: ${config} (paths are relative to the scenario file)`);
}

/**
 * `env.build` for building a strategy that nests none (a gateway checked by `checkConfig`).
 * @returns never
 * @throws ImgsimError always
 */
export function noNestedStrategies(): never {
  throw new ImgsimError('invalid-strategy', 'this strategy does not build nested strategies');
}

/**
 * Stands for a nested strategy reference in the types of built-ins' option schemas. Their
 * parsed type is `StrategyRef`, the union of all built-ins' specs, so writing it there would
 * make those types circular; {@link WithRefs} puts `StrategyRef` back in.
 */
export interface NestedRef {
  readonly __nestedStrategyRef: never;
}

/** The schema of a nested strategy reference, as built-ins' option shapes see it. */
export type NestedRefSchema = z.ZodType<NestedRef, StrategyRefInput>;

/** `T` with every {@link NestedRef} replaced by `StrategyRef`. */
export type WithRefs<T> = T extends NestedRef ? StrategyRef : T extends readonly (infer U)[] ? WithRefs<U>[] : T extends object ? { [K in keyof T]: WithRefs<T[K]> } : T;

let refSchema: z.ZodType<StrategyRef, StrategyRefInput> | undefined;

/**
 * The schema of a nested strategy reference, for a composite built-in's options. Call it only
 * inside a getter of the option shape: the scenario schema provides it once it is built
 * (`scenario/schema.ts` imports the built-ins, so they cannot import it).
 * @returns the strategy-reference schema
 */
export function strategyRef(): NestedRefSchema {
  if (refSchema === undefined) throw new Error('strategyRef() read before scenario/schema.ts was loaded; import the schema first');
  return refSchema as unknown as NestedRefSchema;
}

/**
 * A nested strategy reference that defaults to a built-in's bare name.
 * @param name - the default, e.g. `cheapest`
 * @returns the schema (call it only inside a getter, as {@link strategyRef})
 */
export function strategyRefOr(name: string): z.ZodDefault<NestedRefSchema> {
  return strategyRef().default(name as unknown as NestedRef);
}

/**
 * Provides {@link strategyRef} (called once by `scenario/schema.ts`).
 * @param schema - the strategy-reference schema
 */
export function provideStrategyRef(schema: z.ZodType<StrategyRef, StrategyRefInput>): void {
  refSchema = schema;
}
