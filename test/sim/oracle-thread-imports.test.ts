/**
 * What the oracle's thread loads (src/sim/_oracle-worker.ts and what it imports at run time): no
 * package but Node's own. The thread starts beside the run it serves, on a machine with few
 * cores; with zod, yaml and the strategies in its graph (as when it imported the engine for
 * `availabilityCurves`, or the scenario schema for `FEATURES`) its start-up cost the run ~0.25 s
 * end to end. A module added to its graph that brings a package back fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '../../src');

/** Module specifiers a TypeScript file loads at run time (type-only imports and exports are erased). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\('([^']+)'\)/gm)) {
    if (m[2] !== undefined) continue;
    specs.push((m[3] ?? m[4] ?? m[5])!);
  }
  return specs;
}

/** The packages (bare specifiers) reached from `entry`, each with the chain of files that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const from = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const packages = new Map<string, string[]>();
  const chain = (file: string): string[] => {
    const out: string[] = [];
    for (let f: string | undefined = file; f !== undefined; f = from.get(f)) out.unshift(path.relative(SRC, f));
    return out;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const spec of runtimeImports(file)) {
      if (!spec.startsWith('.')) {
        if (!packages.has(spec)) packages.set(spec, [...chain(file), spec]);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!from.has(target)) {
        from.set(target, file);
        queue.push(target);
      }
    }
  }
  return packages;
}

describe("the oracle's thread", () => {
  it("loads no package but Node's own (no zod, yaml or strategies)", () => {
    const reached = packagesReached(path.join(SRC, 'sim/_oracle-worker.ts'));
    const foreign = [...reached].filter(([spec]) => !spec.startsWith('node:')).map(([, via]) => via.join(' -> '));
    expect(foreign).toEqual([]);
    // The walk does follow the graph: the thread's own modules bring in Node's.
    expect([...reached.keys()]).toContain('node:worker_threads');
  });

  it('the walk finds a package where there is one (the engine reaches zod)', () => {
    const reached = packagesReached(path.join(SRC, 'sim/engine.ts'));
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['zod', 'yaml']));
  });
});
