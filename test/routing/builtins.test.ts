// Every built-in descriptor is wired everywhere: the scenario schema accepts it, the
// cross-checks run its own checks (nested too), the one walker finds its nested strategies, and
// the registry and `imgsim validate`'s config checks call its factory and config check. Each test
// iterates BUILTINS, so a new built-in is covered by adding it to the list.
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AnyBuiltin } from '../../src/routing/strategies/_builtin.js';
import { BUILTINS, builtinNamed, walkStrategyRef } from '../../src/routing/strategies/builtins.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import type { Strategy } from '../../src/routing/strategy.js';
import { checkGatewayConfigs, loadScenarioStrategyFiles } from '../../src/routing/strategy-refs.js';
import { crossCheck } from '../../src/scenario/check.js';
import { resolveScenario } from '../../src/scenario/resolve.js';
import { BUILTIN_STRATEGIES, GATEWAY_STRATEGIES, builtinStrategySchema, scenarioSchema, strategyRefSchema, type StrategyRef } from '../../src/scenario/schema.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** A scenario file in scenarios/, so `./strategies/cheapest-fast-enough.ts` exists beside it. */
const FILE = path.join(ROOT, 'scenarios/wiring.yaml');
const REAL_FILE = './strategies/cheapest-fast-enough.ts';

const scenarioInput = (strategies: unknown[]) => ({
  version: 1,
  name: 'wiring',
  providers: [
    { id: 'a', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } },
    { id: 'b', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } } },
  ],
  traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'x' }] },
  strategies,
});
const parse = (strategies: unknown[]) => scenarioSchema.parse(scenarioInput(strategies));
const resolved = (strategies: unknown[]) => resolveScenario(parse(strategies), FILE);

/** The smallest `{ use, ... }` a built-in accepts: its bare-name defaults, or its example config. */
function minimalInput(d: AnyBuiltin): Record<string, unknown> {
  const scenario = resolved(['cheapest']);
  return { use: d.name, ...d.defaults?.(scenario), ...(d.gatewayConfig === undefined ? {} : { config: d.gatewayConfig }) };
}

/** Sets `value` at `keys` inside `target` (creating objects and arrays on the way). */
function setAt(target: Record<string | number, unknown>, keys: readonly (string | number)[], value: unknown): void {
  let node = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) node[key] = value;
    else {
      node[key] ??= typeof keys[i + 1] === 'number' ? [] : {};
      node = node[key] as Record<string | number, unknown>;
    }
  });
}

/** A built-in's minimal input with every nested strategy it has replaced by `child`. */
function withChildren(d: AnyBuiltin, child: unknown): { input: Record<string, unknown>; childPaths: (string | number)[][] } {
  const input = minimalInput(d);
  const spec = builtinStrategySchema.parse(input);
  const childPaths = (d.children?.(spec) ?? []).map((c) => [...c.path]);
  for (const at of childPaths) setAt(input, at, child);
  return { input, childPaths };
}

const composites = BUILTINS.filter((d) => (d as AnyBuiltin).children !== undefined).map((d) => d.name);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the list of built-ins', () => {
  it('has unique names, each found by name, split into bare names and gateways', () => {
    const names = BUILTINS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of BUILTINS) expect(builtinNamed(d.name)).toBe(d);
    expect([...BUILTIN_STRATEGIES, ...GATEWAY_STRATEGIES].sort()).toEqual([...names].sort());
    expect(GATEWAY_STRATEGIES).toEqual(BUILTINS.filter((d) => d.gatewayConfig !== undefined).map((d) => d.name));
  });

  it('has composites (the walker has something to find)', () => {
    expect(composites).toEqual(expect.arrayContaining(['deferral', 'hedged', 'budget-guard', 'conditional']));
  });
});

describe.each(BUILTINS.map((d) => [d.name, d as AnyBuiltin] as const))('built-in `%s`', (name, d) => {
  it('is an option of the scenario schema: `{ use }` parses to its spec, its bare name only when it is not a gateway', () => {
    expect(builtinStrategySchema.options).toContain(d.schema);
    const parsed = strategyRefSchema.parse(minimalInput(d));
    expect(parsed).toMatchObject({ use: name });
    expect(d.schema.safeParse(parsed).success).toBe(true);
    expect(strategyRefSchema.safeParse(name).success).toBe(d.gatewayConfig === undefined);
  });

  it('refuses an unknown option, naming it', () => {
    const result = strategyRefSchema.safeParse({ ...minimalInput(d), notAnOption: 1 });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('notAnOption');
  });

  it('has its cross-checks run by check.ts, at the top and nested in a conditional', () => {
    const check = vi.fn();
    const own = Object.getOwnPropertyDescriptor(d, 'check');
    Object.defineProperty(d, 'check', { value: check, configurable: true, writable: true });
    const input = minimalInput(d);
    const s = parse([input, { use: 'conditional', name: 'outer', rules: [{ when: { urgency: 'batch' }, then: input }] }]);
    try {
      crossCheck(s, FILE);
    } finally {
      if (own === undefined) delete (d as { check?: unknown }).check;
      else Object.defineProperty(d, 'check', own);
    }
    if (name === 'conditional') {
      expect(check.mock.calls.map((c) => c[1])).toEqual([['strategies', 0], ['strategies', 1], ['strategies', 1, 'rules', 0, 'then']]);
    } else {
      expect(check.mock.calls.map((c) => c[1])).toEqual([['strategies', 0], ['strategies', 1, 'rules', 0, 'then']]);
      expect(check.mock.calls[0]![0]).toMatchObject({ use: name });
    }
  });

  it('is built by the registry with its factory, from its parsed spec', () => {
    const made: Strategy = { name, route: () => ({ reject: 'test' }) };
    const factory = vi.spyOn(d, 'factory').mockReturnValue(made);
    const scenario = resolved(['cheapest']);
    expect(buildStrategy(minimalInput(d) as StrategyRef, { scenario, files: new Map() })).toBe(made);
    expect(factory).toHaveBeenCalledTimes(1);
    expect(factory.mock.calls[0]![0]).toMatchObject({ use: name });
  });
});

describe.each(composites)('composite `%s`: the walker finds its nested strategies', (name) => {
  const d = builtinNamed(name)!;

  it('check.ts checks a nested file at its key path', () => {
    const { input, childPaths } = withChildren(d, { file: './no-such-strategy.ts' });
    expect(childPaths.length).toBeGreaterThan(0);
    const problems = crossCheck(parse([input]), FILE);
    for (const at of childPaths) {
      expect(problems).toContainEqual({ path: ['strategies', 0, ...at, 'file'], message: 'strategy file not found: ./no-such-strategy.ts (paths are relative to the scenario file)' });
    }
  });

  it('walkStrategyRef visits each nested reference with its key path', () => {
    const { input, childPaths } = withChildren(d, { use: 'failover', order: ['b'] });
    const seen: (string | number)[][] = [];
    walkStrategyRef(strategyRefSchema.parse(input), ['strategies', 0], (ref, at) => {
      if (typeof ref !== 'string' && 'use' in ref && ref.use === 'failover') seen.push([...at]);
    });
    expect(seen).toEqual(childPaths.map((at) => ['strategies', 0, ...at]));
  });

  it('strategy-refs loads a nested strategy file and runs a nested gateway config check', async () => {
    const files = await loadScenarioStrategyFiles(resolved([withChildren(d, { file: REAL_FILE }).input]));
    expect([...files.keys()]).toEqual([REAL_FILE]);

    const checkConfig = vi.fn(() => ['a warning']);
    vi.spyOn(builtinNamed('portkey')!, 'checkConfig').mockImplementation(checkConfig);
    expect(checkGatewayConfigs(resolved([withChildren(d, { use: 'portkey', config: './gateways/portkey.json' }).input]))).toEqual(['a warning']);
    expect(checkConfig).toHaveBeenCalled();
  });
});
