import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ImgsimError } from '../../src/scenario/errors.js';
import { parseScenarioText, scenarioFromObject } from '../../src/scenario/load.js';

const MINIMAL = parse(readFileSync(path.join(import.meta.dirname, '../fixtures/minimal.yaml'), 'utf8')) as Record<string, unknown>;

/** Runs the loader and returns what it threw, or undefined when the input was accepted. */
function outcome(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** All key paths of a JSON-like value. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  }
  return [prefix];
}

/** A deep copy with the value at `at` replaced (or deleted when `replacement` is the symbol). */
function mutate(value: unknown, at: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  if (at.length === 0) return replacement;
  let node = copy;
  for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (replacement === DELETE) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = replacement;
  return copy;
}
const DELETE = Symbol('delete');

/** The loader's form of a key path: `providers[0].pricing.perStep`. */
function keyPath(at: (string | number)[]): string {
  return at.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('');
}
const ALL_PATHS = paths(MINIMAL);

const junk = fc.oneof(
  fc.constant(DELETE),
  fc.jsonValue({ maxDepth: 2 }),
  fc.string(),
  fc.constantFrom('1s', '-1', 'NaN', '1e309', '999999999999x1', 'per-step', '', '24:00', '&a', '*a'),
  fc.double(),
  fc.integer(),
);

describe('the loader never throws anything but its own validation error', () => {
  it('on scenarios with a value replaced or removed anywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_PATHS), junk, (at, replacement) => {
        const err = outcome(() => scenarioFromObject(mutate(MINIMAL, at, replacement)));
        expect(err === undefined || err instanceof ImgsimError).toBe(true);
        if (err instanceof ImgsimError) expect(err.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  it('on the YAML text of mutated scenarios, with positions for every problem', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_PATHS), junk, (at, replacement) => {
        fc.pre(!(at.length === 0 && replacement === DELETE));
        const mutated = mutate(MINIMAL, at, replacement);
        const text = stringify(mutated ?? null);
        const err = outcome(() => parseScenarioText(text, 'f.yaml'));
        expect(err === undefined || err instanceof ImgsimError).toBe(true);
        if (!(err instanceof ImgsimError)) return;
        expect(err.problems.length).toBeGreaterThan(0);
        const lines = text.split('\n');
        for (const p of err.problems) {
          expect(p.file).toBe('f.yaml');
          // A position inside the text: a 1-based line that exists and a column on it (or just past its end).
          expect(p.line, `${p.path}: ${p.message}`).toBeGreaterThanOrEqual(1);
          expect(p.line).toBeLessThanOrEqual(lines.length);
          expect(p.col).toBeGreaterThanOrEqual(1);
          expect(p.col).toBeLessThanOrEqual(lines[p.line! - 1]!.length + 1);
        }
        // A scalar put under a key is written on the key's line (`key: value`): a problem about
        // that very value must point at that line, not merely somewhere in the file.
        const key = at[at.length - 1];
        const scalar = replacement !== DELETE && (replacement === null || typeof replacement !== 'object');
        if (typeof key !== 'string' || !scalar) return;
        for (const p of err.problems.filter((q) => q.path === keyPath(at))) {
          expect(lines[p.line! - 1]!.trimStart().replace(/^- /, '').startsWith(`${key}:`), `${p.path} at ${p.line}:${p.col} in\n${text}`).toBe(true);
        }
      }),
      { numRuns: 300, seed: 2 },
    );
  });

  it('on random bytes and random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array().map((b) => Buffer.from(b).toString('latin1'))), (text) => {
        const err = outcome(() => parseScenarioText(text, 'r.yaml'));
        expect(err instanceof ImgsimError).toBe(true);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('on valid YAML of random shape', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const err = outcome(() => parseScenarioText(stringify(value), 'j.yaml'));
        expect(err instanceof ImgsimError).toBe(true);
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});
