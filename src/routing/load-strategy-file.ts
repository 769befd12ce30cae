/**
 * Loads a strategy file (docs/contract.md §3): a TypeScript or JavaScript module whose default export is a
 * factory `(options, env) => Strategy`. TypeScript loads with no build step (jiti).
 */
import { existsSync } from 'node:fs';
import type { createJiti } from 'jiti';
import { ImgsimError } from '../scenario/errors.js';
import type { StrategyEnv, StrategyFactory } from './strategy.js';
import { callFactory, invalidStrategyFile } from './strategies/_file-factory.js';

/**
 * How long a strategy file may take to load (its top-level code, `await`s included), ms: a
 * top-level `await` that never settles would otherwise leave nothing for Node to run, and the
 * process would exit (code 13) without a word.
 */
export const STRATEGY_LOAD_TIMEOUT_MS = 5_000;

/** One loader for the process: jiti caches transpiled files, so reloading is cheap. */
let jiti: ReturnType<typeof createJiti> | undefined;

/**
 * Imports a strategy file and returns its factory, wrapped so that a factory which throws, or
 * returns something without `name` and `route`, fails with an `invalid-strategy` error naming
 * the file when it is called.
 * @param absPath - absolute path of a `.ts`, `.mts`, `.js` or `.mjs` file
 * @param opts - `timeoutMs`: how long loading may take (default {@link STRATEGY_LOAD_TIMEOUT_MS})
 * @returns the checked factory
 * @throws ImgsimError `file-not-found` when the file is missing; `invalid-strategy` when it
 *   fails to load, does not finish loading in time, or its default export is not a function
 */
export async function loadStrategyFile(absPath: string, { timeoutMs = STRATEGY_LOAD_TIMEOUT_MS }: { readonly timeoutMs?: number } = {}): Promise<StrategyFactory> {
  if (!existsSync(absPath)) throw new ImgsimError('file-not-found', `strategy file not found: ${absPath}`);
  // No default interop: a file without `export default` must be reported, not given its namespace.
  // Imported on first use: a run without strategy files never loads jiti (~50 ms at startup).
  jiti ??= (await import('jiti')).createJiti(import.meta.url, { interopDefault: false });
  let mod: unknown;
  // A referenced timer: it also keeps the process alive while a top-level await is pending.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(invalidStrategyFile(absPath, `it did not finish loading within ${timeoutMs} ms (a top-level await that never settles?)`));
    }, timeoutMs);
  });
  try {
    mod = await Promise.race([jiti.import(absPath), timedOut]);
  } catch (err) {
    if (err instanceof ImgsimError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw invalidStrategyFile(absPath, `it failed to load: ${why}`);
  } finally {
    clearTimeout(timer);
  }
  // A CommonJS `module.exports = factory` arrives as the function itself.
  const loaded: unknown = typeof mod === 'function' ? mod : (mod as { default?: unknown } | null)?.default;
  if (typeof loaded !== 'function') {
    const names = mod !== null && typeof mod === 'object' ? Object.keys(mod).filter((k) => k !== 'default') : [];
    const what =
      loaded === undefined
        ? `it has no default export (it exports ${names.length > 0 ? names.map((n) => `\`${n}\``).join(', ') : 'nothing'})`
        : `its default export is ${loaded === null ? 'null' : typeof loaded === 'object' ? 'an object' : `a ${typeof loaded}`}, not a function`;
    throw invalidStrategyFile(absPath, what);
  }
  const factory = loaded as StrategyFactory;
  return (options: Record<string, unknown>, env?: StrategyEnv) => callFactory(absPath, factory, options, env);
}
