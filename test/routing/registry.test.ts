import { describe, expect, it } from 'vitest';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import type { Strategy, StrategyEnv, StrategyFactory } from '../../src/routing/strategy.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { BUILTIN_STRATEGIES, type StrategyRef } from '../../src/scenario/schema.js';
import { HOUR_MS, START_MS, ids, makeContext, makeRequest, type FakeContext } from './_context.js';

const PROVIDERS = [
  { id: 'a', price: 0.04, latencyMs: 5_000 },
  { id: 'b', price: 0.02, latencyMs: 9_000, forecast: (t: number) => (new Date(t).getUTCHours() >= 2 ? 0.7 : 1) },
  { id: 'c', price: 0.03, latencyMs: 3_000 },
];

function setup(files: Record<string, StrategyFactory> = {}): { ctx: FakeContext; build: (ref: StrategyRef) => Strategy } {
  const ctx = makeContext({ providers: PROVIDERS, slo: { interactive: { p95: 10_000 } } });
  const env = { scenario: ctx.scenario, files: new Map(Object.entries(files)) };
  return { ctx, build: (ref) => buildStrategy(ref, env) };
}

function thrown(fn: () => unknown): ImgsimError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    return err as ImgsimError;
  }
  throw new Error('expected an ImgsimError');
}

describe('building built-ins', () => {
  it.each(BUILTIN_STRATEGIES)('builds `%s` by name, named after it, and routes', (name) => {
    const { ctx, build } = setup();
    const s = build(name);
    expect(s.name).toBe(name);
    expect(ids(s.route(makeRequest(), ctx)).length).toBeGreaterThan(0);
  });

  it('applies the schema defaults to a bare name', () => {
    const { ctx, build } = setup();
    // hedged: base fastest, delay 2s
    expect(build('hedged').route(makeRequest(), ctx)).toMatchObject({ hedgeAfterMs: 2_000 });
    // deferral: base cheapest, minSaving 5%, checkEvery 15 min: b is 30% cheaper from 02:00 on,
    // so a batch request due at 12:00 waits for a 15-minute mark from 02:00 to its latest start
    // (12:00 less twice b's 9 s); which mark depends on the request id (deferred work is spread),
    // so the bounds are the window's, whatever id the shared counter gives the request.
    const deferred = build('deferral').route(makeRequest({ urgency: 'batch', deadlineMs: START_MS + 12 * HOUR_MS }), ctx) as { deferUntil: number };
    expect(deferred.deferUntil).toBeGreaterThanOrEqual(START_MS + 2 * HOUR_MS);
    expect(deferred.deferUntil).toBeLessThanOrEqual(START_MS + 12 * HOUR_MS - 18_000);
    expect((deferred.deferUntil - START_MS) % (15 * 60_000)).toBe(0);
    // budget-guard: rejects at 100% of the limit
    ctx.budget.limitUsd = 10;
    ctx.budget.spentUsd = 10;
    expect(build('budget-guard').route(makeRequest(), ctx)).toEqual({ reject: 'budget' });
  });

  it('gives a bare failover the scenario order and a bare weighted equal weights', () => {
    const { ctx, build } = setup();
    expect(ids(build('failover').route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
    const weighted = build('weighted');
    const firsts = new Set<string>();
    for (let i = 0; i < 100; i++) firsts.add(ids(weighted.route(makeRequest(), ctx))[0]!);
    expect([...firsts].sort()).toEqual(['a', 'b', 'c']);
  });

  it('applies defaults to a hand-written `{ use }` and names it by `name`', () => {
    const { ctx, build } = setup();
    const s = build({ use: 'hedged', name: 'hedge-it' } as unknown as StrategyRef);
    expect(s.name).toBe('hedge-it');
    expect(s.route(makeRequest(), ctx)).toMatchObject({ hedgeAfterMs: 2_000 });
  });

  it('builds nested references at any depth', () => {
    const { ctx, build } = setup();
    const s = build({
      use: 'budget-guard',
      downgradeAt: 0.8,
      rejectAt: 1,
      base: { use: 'hedged', delay: 500, base: { use: 'conditional', rules: [{ when: { project: 'x' }, then: 'cheapest' }], default: { use: 'failover', order: ['c', 'a'] } } },
    });
    expect(s.name).toBe('budget-guard');
    expect(s.route(makeRequest(), ctx)).toEqual({ candidates: [{ provider: 'c', tier: 'standard' }, { provider: 'a', tier: 'standard' }], hedgeAfterMs: 500 });
    expect(ids(s.route(makeRequest({ project: 'x' }), ctx))).toEqual(['b', 'c', 'a']);
  });

  it('rejects unknown names and bad options with invalid-strategy', () => {
    const { build } = setup();
    expect(thrown(() => build('cheapestt')).code).toBe('invalid-strategy');
    const bad = thrown(() => build({ use: 'fastest', alpha: 3 } as unknown as StrategyRef));
    expect(bad.code).toBe('invalid-strategy');
    expect(bad.message).toContain('alpha');
  });
});

describe('building file strategies', () => {
  const echo: StrategyFactory = (options, env) => {
    const inner = env!.build((options.inner as StrategyRef | undefined) ?? 'cheapest');
    return { name: 'echo-internal', route: (r, ctx) => inner.route(r, ctx), observe: () => undefined };
  };

  it('calls the preloaded factory with its options and a working env.build', () => {
    const { ctx, build } = setup({ './strategies/echo.ts': echo });
    const s = build({ file: './strategies/echo.ts', options: { inner: 'fastest' } });
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
  });

  it('runs under the display name: `name`, else the file base name', () => {
    const { build } = setup({ './strategies/echo.ts': echo });
    expect(build({ file: './strategies/echo.ts', options: {} }).name).toBe('echo');
    const named = build({ file: './strategies/echo.ts', name: 'mine', options: {} });
    expect(named.name).toBe('mine');
    expect(typeof named.observe).toBe('function');
  });

  it('keeps `this` for class-based file strategies', () => {
    class Counter implements Strategy {
      readonly name = 'counter';
      private routed = 0;
      route() {
        this.routed++;
        return { reject: `routed ${this.routed}` };
      }
    }
    const { ctx, build } = setup({ 'counter.js': () => new Counter() });
    const s = build({ file: 'counter.js', name: 'renamed', options: {} });
    s.route(makeRequest(), ctx);
    expect(s.route(makeRequest(), ctx)).toEqual({ reject: 'routed 2' });
  });

  it('reports files that were not loaded, factories that throw and junk results, naming the file', () => {
    const { build } = setup({
      'boom.ts': () => {
        throw new Error('boom');
      },
      'junk.ts': () => ({ nope: true }) as unknown as Strategy,
    });
    const missing = thrown(() => build({ file: 'nowhere.ts', options: {} }));
    expect(missing.message).toMatch(/^nowhere\.ts: /);
    const boom = thrown(() => build({ file: 'boom.ts', options: {} }));
    expect(boom.code).toBe('invalid-strategy');
    expect(boom.message).toMatch(/^boom\.ts: its factory threw: boom; a strategy file must `export default`/);
    const junk = thrown(() => build({ file: 'junk.ts', options: {} }));
    expect(junk.message).toMatch(/^junk\.ts: .*without a string `name` or a `route` function/);
  });

  it('passes the scenario to the factory', () => {
    let seen: StrategyEnv | undefined;
    const { ctx, build } = setup({
      'spy.ts': (_options, env) => {
        seen = env;
        return { name: 'spy', route: () => ({ reject: 'x' }) };
      },
    });
    build({ file: 'spy.ts', options: {} });
    expect(seen?.scenario).toBe(ctx.scenario);
  });
});
