/**
 * The strategy registry: turns a scenario's strategy reference into a `Strategy`. Built-ins are
 * looked up in the list of descriptors (`builtins.ts`); adding one is adding its file and one
 * line there.
 */
import path from 'node:path';
import { ImgsimError } from '../../scenario/errors.js';
import { strategyDisplayName } from '../../scenario/check.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import { BUILTIN_STRATEGIES, builtinStrategySchema, type BuiltinStrategySpec, type StrategyRef } from '../../scenario/schema.js';
import type { Strategy, StrategyEnv, StrategyFactory } from '../strategy.js';
import { builtinNamed } from './builtins.js';
import { callFactory, invalidStrategyFile } from './_file-factory.js';
import { guardStrategy } from '../strategy-guard.js';

/** What building strategies needs: the scenario, and the factories of its strategy files. */
export interface BuildEnv {
  readonly scenario: ResolvedScenario;
  /** Loaded strategy files (see `loadStrategyFile`), keyed by the path as the scenario writes it. */
  readonly files: ReadonlyMap<string, StrategyFactory>;
}

/**
 * Parses a built-in reference with the schema, so its defaults apply (they live only there)
 * and a hand-built spec (e.g. from a strategy file's `env.build`) is checked.
 * @param input - `{ use, ...options }`
 * @returns the parsed spec
 */
function parseBuiltin(input: object): BuiltinStrategySpec {
  // A gateway's fees are billing, not routing: the run reads them from the entry
  // (`strategyFees`), the factory never sees them, and parsed ones are not parsed twice.
  const options: Record<string, unknown> = { ...input };
  delete options.fees;
  const parsed = builtinStrategySchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
    const use = (input as { use?: unknown }).use;
    throw new ImgsimError('invalid-strategy', `strategy \`${String(use)}\`: ${issues.join('; ')}`);
  }
  return parsed.data as BuiltinStrategySpec;
}

/**
 * Builds a strategy from a scenario reference: a built-in name (with the schema's default
 * options), `{ use, ...options }`, or `{ file, options }` (the preloaded factory is called
 * with the options and an env whose `build` builds nested references). The strategy's `name`
 * is always `strategyDisplayName(ref)`.
 * @param ref - the reference
 * @param env - the scenario and the loaded strategy files
 * @returns the strategy
 * @throws ImgsimError `invalid-strategy` for an unknown name, bad options, a file that was not
 *   loaded, or a file factory that throws or returns something that is not a strategy
 */
export function buildStrategy(ref: StrategyRef, env: BuildEnv): Strategy {
  const strategyEnv: StrategyEnv = {
    scenario: env.scenario,
    build: (nested) => buildStrategy(nested, env),
  };
  if (typeof ref === 'string') {
    const builtin = builtinNamed(ref);
    if (builtin?.gatewayConfig !== undefined) {
      throw new ImgsimError('invalid-strategy', `strategy \`${ref}\` needs its gateway config: \`{ use: ${ref}, config: <path> }\``);
    }
    if (builtin === undefined) {
      throw new ImgsimError('invalid-strategy', `unknown strategy \`${ref}\`; built-ins are ${BUILTIN_STRATEGIES.join(', ')}`);
    }
    // Options a bare name needs but the schema does not default (they depend on the scenario).
    return buildBuiltin(parseBuiltin({ use: ref, ...builtin.defaults?.(env.scenario) }), strategyEnv);
  }
  if ('use' in ref) return buildBuiltin(parseBuiltin(ref), strategyEnv);

  const factory = env.files.get(ref.file);
  if (factory === undefined) {
    throw invalidStrategyFile(ref.file, 'the file was not loaded (pass its factory from `loadStrategyFile` in `files`)');
  }
  const made = callFactory(ref.file, factory, ref.options, strategyEnv);
  const name = strategyDisplayName(ref);
  // Its code is the user's: what it throws or decides wrongly is reported as the strategy's,
  // under the name reports give it (the guard calls the file's methods on their own object).
  return guardStrategy(path.resolve(env.scenario.dir, ref.file), made, name);
}

/**
 * Calls the factory of a parsed built-in spec.
 * @param spec - the parsed spec
 * @param env - the strategy env
 * @returns the strategy
 */
function buildBuiltin(spec: BuiltinStrategySpec, env: StrategyEnv): Strategy {
  const builtin = builtinNamed(spec.use);
  if (builtin === undefined) throw new ImgsimError('invalid-strategy', `unknown strategy \`${spec.use}\``);
  return builtin.factory(spec, env);
}
