/**
 * Internal: checks what a strategy file's factory gives back, so a broken plugin fails at
 * build time with a message naming the file, not deep inside a run.
 */
import { ImgsimError } from '../../scenario/errors.js';
import type { Strategy, StrategyEnv, StrategyFactory } from '../strategy.js';
import { describeValue } from '../strategy-guard.js';

/** What every strategy-file error message ends with. */
export const STRATEGY_FILE_CONTRACT =
  'a strategy file must `export default` a factory `(options, env) => ({ name, route(request, ctx), observe?(outcome, ctx), explain?(request, ctx) })`';

/**
 * The error for a strategy file that breaks the contract.
 * @param file - the file, as the user wrote it or as loaded
 * @param problem - what is wrong
 * @returns the error (code `invalid-strategy`)
 */
export function invalidStrategyFile(file: string, problem: string): ImgsimError {
  return new ImgsimError('invalid-strategy', `${file}: ${problem}; ${STRATEGY_FILE_CONTRACT}`);
}

/**
 * Checks that a factory's result is a strategy: an object with a string `name`, a `route`
 * function and, if present, an `observe` function.
 * @param file - the strategy file, for the message
 * @param value - what the factory returned
 * @returns the value as a strategy
 * @throws ImgsimError (`invalid-strategy`) naming the file and what is missing
 */
export function checkStrategy(file: string, value: unknown): Strategy {
  if (typeof value !== 'object' || value === null) {
    throw invalidStrategyFile(file, `the factory returned ${describeValue(value)}, not a strategy object`);
  }
  const s = value as Partial<Record<'name' | 'route' | 'observe' | 'explain', unknown>>;
  const missing: string[] = [];
  if (typeof s.name !== 'string' || s.name === '') missing.push('a string `name`');
  if (typeof s.route !== 'function') missing.push('a `route` function');
  if (missing.length > 0) throw invalidStrategyFile(file, `the factory returned ${describeValue(value)}, without ${missing.join(' or ')}`);
  if (s.observe !== undefined && typeof s.observe !== 'function') {
    throw invalidStrategyFile(file, 'the strategy has an `observe` that is not a function');
  }
  if (s.explain !== undefined && typeof s.explain !== 'function') {
    throw invalidStrategyFile(file, 'the strategy has an `explain` that is not a function');
  }
  return value as Strategy;
}

/**
 * Calls a file's factory and checks its result; a throwing factory becomes an
 * `invalid-strategy` error that names the file (an `ImgsimError` it throws passes through).
 * @param file - the strategy file, for messages
 * @param factory - the file's default export
 * @param options - the scenario's `options` for it
 * @param env - the strategy environment
 * @returns the checked strategy
 */
export function callFactory(file: string, factory: StrategyFactory, options: Record<string, unknown>, env: StrategyEnv | undefined): Strategy {
  let made: unknown;
  try {
    made = factory(options, env);
  } catch (err) {
    if (err instanceof ImgsimError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw invalidStrategyFile(file, `its factory threw: ${why}`);
  }
  return checkStrategy(file, made);
}
