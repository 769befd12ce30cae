/**
 * The hindsight oracle (src/sim/oracle.ts) through `simulate()`: exact cases worked out by hand,
 * cross-checks against the provider draws replayed request by request, and the invariants that
 * make it a bound: every strategy's `regret.lowerBound` is at most its cost and at most
 * `oracle.unconstrainedCost`, on the shipped scenarios and on random small ones.
 *
 * Facts the hand calculations rely on: uniform arrivals at λ/s come at start, start + 1/λ, ...;
 * latencyScaling defaults to linear, and the requests here are the 1024x1024/30-step reference,
 * so a fixed latency is the service time; a(t) defaults to 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oracleFor } from '../../src/forecast/oracle.js';
import type { ImageRequest } from '../../src/model/request.js';
import type { Report } from '../../src/metrics/report-types.js';
import { Account } from '../../src/model/account.js';
import { AvailabilityCurve } from '../../src/model/availability.js';
import { parseReport, serializeReport } from '../../src/report/json.js';
import { loadScenario, scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { ServiceLog } from '../../src/metrics/service-log.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { loadScenarioStrategyFiles, selectStrategyRefs } from '../../src/routing/strategy-refs.js';
import { availabilityCurves } from '../../src/model/availability.js';
import { Simulation } from '../../src/sim/engine.js';
import { runOracle, type OracleRun } from '../../src/sim/oracle.js';
import { ProviderRuntime, type AttemptDraw } from '../../src/sim/provider-runtime.js';
import { simulate, withOverrides } from '../../src/sim/run.js';
import { openTraffic } from '../../src/traffic/traffic.js';

type ProviderInput = ScenarioInput['providers'][number];

/** Float sums of a few hundred prices: 9 decimal digits. */
const SUM = 9;
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-oracle-'));
const SCENARIOS = path.join(import.meta.dirname, '../../scenarios');

/** A provider with a fixed latency and a per-image price, ample capacity, no failures. */
function provider(id: string, priceUsd: number, latency: string, over: Partial<ProviderInput> = {}): ProviderInput {
  return {
    id,
    pricing: { model: 'per-image', price: priceUsd },
    tiers: { standard: { latency: { dist: 'fixed', value: latency } } },
    capacity: { concurrency: 1000, queue: 1000 },
    ...over,
  };
}

/** A one-minute scenario from 2026-06-01T00:00:00Z (a Monday), uniform arrivals of the reference request. */
function scenario(over: Partial<ScenarioInput> & Pick<ScenarioInput, 'providers'>): ScenarioInput {
  return {
    version: 1,
    name: 'oracle-test',
    seed: 7,
    start: '2026-06-01T00:00:00Z',
    duration: '1m',
    traffic: { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'ref', project: 'app' }] },
    ...over,
  };
}

function resolve(obj: ScenarioInput): ResolvedScenario {
  return scenarioFromObject(obj, path.join(TMP, 'scenario.yaml'));
}

async function run(obj: ScenarioInput): Promise<Report & { oracle: NonNullable<Report['oracle']> }> {
  const report = await simulate(resolve(obj));
  expect(report.oracle).toBeDefined();
  return report as Report & { oracle: NonNullable<Report['oracle']> };
}

/** The run's requests, in arrival order. */
function requestsOf(s: ResolvedScenario): ImageRequest[] {
  const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
  const out: ImageRequest[] = [];
  for (let r = source.next(); r !== undefined && r.arrivalMs < s.endMs; r = source.next()) out.push(r);
  source.close();
  return out;
}

/** The provider's draws as the engine reads them, for replaying request by request. */
function runtimeOf(s: ResolvedScenario, id: string): ProviderRuntime {
  const p = s.providers.find((x) => x.id === id)!;
  return new ProviderRuntime(p, new AvailabilityCurve(p.availability, s.seed, p.id, s.startMs), new Account(p, s.startMs), s.seed);
}

/** Whether the provider's draw for a request's attempt number `visit` there is a success. */
function succeeds(rt: ProviderRuntime, request: ImageRequest, visit: number): boolean {
  const draw: AttemptDraw = { kind: 'success', ms: 0 };
  rt.drawAttempt(request, visit, 0, draw);
  return draw.kind === 'success';
}

describe('oracle: exact cases', () => {
  it('with no failures and room for all, pays the cheapest price for every request', async () => {
    // 60 requests (t = 0..59 s); cheap $0.02 in 2 s, dear $0.04 in 1 s, SLO 10 s: all go cheap.
    // 60 × 0.02 = 1.2, for the plan and the bound alike; `cheapest` pays exactly that.
    const r = await run(
      scenario({
        providers: [provider('dear', 0.04, '1s'), provider('cheap', 0.02, '2s')],
        slo: { interactive: { p95: '10s' } },
        strategies: ['cheapest', 'fastest'],
      }),
    );
    expect(r.oracle.requests).toEqual({ total: 60, withinSlo: 60, late: 0, unserved: 0 });
    expect(r.oracle.unconstrained).toEqual({ withinSlo: 60, late: 0, unservable: 0 });
    expect(r.oracle.cost).toBeCloseTo(60 * 0.02, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(60 * 0.02, SUM);
    const [cheapest, fastest] = r.strategies;
    expect(cheapest!.cost.total).toBeCloseTo(1.2, SUM);
    expect(cheapest!.regret).toEqual({ usd: 0, ratio: 0, lowerBound: cheapest!.cost.total });
    // fastest learns latencies, so it sends to both; whatever it pays above 1.2 is its regret.
    expect(fastest!.regret!.usd).toBeCloseTo(fastest!.cost.total - 1.2, SUM);
    expect(fastest!.regret!.ratio).toBeCloseTo(fastest!.cost.total / 1.2 - 1, SUM);
    expect(fastest!.regret!.lowerBound).toBeCloseTo(1.2, SUM);
  });

  it('sends exactly the requests whose draw fails at the cheap provider to the other (replayed draws)', async () => {
    // cheap fails 30% of attempts with a server error; with maxAttempts 1 no router can retry,
    // so per request: cheap when its first draw there succeeds, else dear.
    const obj = scenario({
      providers: [provider('cheap', 0.02, '2s', { failures: { serverError: 0.3 } }), provider('dear', 0.04, '2s')],
      policy: { maxAttempts: 1 },
      strategies: ['cheapest'],
    });
    const s = resolve(obj);
    const cheap = runtimeOf(s, 'cheap');
    const draw: AttemptDraw = { kind: 'success', ms: 0 };
    let expected = 0;
    let failing = 0;
    for (const req of requestsOf(s)) {
      cheap.drawAttempt(req, 0, 0, draw);
      if (draw.kind === 'success') expected += 0.02;
      else {
        failing++;
        expected += 0.04;
      }
    }
    expect(failing).toBeGreaterThan(5); // the seed gives a real mix (≈ 30% of 60)
    const r = await run(obj);
    expect(r.oracle.cost).toBeCloseTo(expected, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(expected, SUM);
    // cheapest sends every request to cheap first: exactly `failing` server errors there.
    expect(r.strategies[0]!.providers.cheap!.outcomes['server-error']).toBe(failing);
  });

  it('lets the bound retry the cheap provider (maxAttempts 3) while the plan makes first attempts only', async () => {
    // Bound: cheap when any of its first three draws for the request succeeds; plan: the first.
    const obj = scenario({
      providers: [provider('cheap', 0.02, '2s', { failures: { serverError: 0.5 } }), provider('dear', 0.04, '2s')],
      policy: { maxAttempts: 3 },
      strategies: [{ use: 'failover', order: ['cheap', 'dear'] }],
    });
    const s = resolve(obj);
    const cheap = runtimeOf(s, 'cheap');
    let plan = 0;
    let bound = 0;
    for (const req of requestsOf(s)) {
      const ok = [0, 1, 2].map((visit) => succeeds(cheap, req, visit));
      plan += ok[0] ? 0.02 : 0.04;
      bound += ok.some(Boolean) ? 0.02 : 0.04;
    }
    expect(bound).toBeLessThan(plan);
    const r = await run(obj);
    expect(r.oracle.cost).toBeCloseTo(plan, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(bound, SUM);
    expect(r.strategies[0]!.regret!.lowerBound).toBeLessThanOrEqual(r.strategies[0]!.cost.total);
  });

  it('pays the fast provider when the cheap one is slower than the SLO, and shows negative regret for cheapest', async () => {
    // cheap: $0.02 in 8 s; fast: $0.04 in 1 s; SLO 5 s. Oracle: 60 × 0.04 = 2.4.
    // cheapest pays 60 × 0.02 = 1.2 and meets the SLO for none: regret 1.2 − 2.4 = −1.2, ratio −0.5;
    // its lower bound prices what it delivered, 60 late images: 60 × 0.02 = 1.2.
    // slo-aware pays the oracle's price.
    const r = await run(
      scenario({
        providers: [provider('cheap', 0.02, '8s'), provider('fast', 0.04, '1s')],
        slo: { interactive: { p95: '5s' } },
        strategies: ['cheapest', 'slo-aware'],
      }),
    );
    expect(r.oracle.cost).toBeCloseTo(2.4, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(2.4, SUM);
    const [cheapest, sloAware] = r.strategies;
    expect(cheapest!.slo.attainment).toBe(0);
    expect(cheapest!.regret!.usd).toBeCloseTo(-1.2, SUM);
    expect(cheapest!.regret!.ratio).toBeCloseTo(-0.5, SUM);
    expect(cheapest!.regret!.lowerBound).toBeCloseTo(1.2, SUM);
    expect(sloAware!.slo.attainment).toBe(1);
    expect(sloAware!.regret).toEqual({ usd: 0, ratio: 0, lowerBound: sloAware!.cost.total });
  });

  it('picks the tier that meets the SLO: the turbo lane at its multiplier', async () => {
    // One provider, standard $0.02 in 8 s, turbo ×1.5 in 1 s; SLO 5 s → 60 × 0.03 = 1.8.
    const r = await run(
      scenario({
        providers: [
          provider('lane', 0.02, '8s', {
            tiers: { standard: { latency: { dist: 'fixed', value: '8s' } }, turbo: { latency: { dist: 'fixed', value: '1s' }, priceMultiplier: 1.5 } },
          }),
        ],
        slo: { interactive: { p95: '5s' } },
      }),
    );
    expect(r.oracle.cost).toBeCloseTo(60 * 0.03, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(60 * 0.03, SUM);
  });

  it('fills the cheap provider only as far as its slots allow (queue wait counts against the SLO)', async () => {
    // cheap: 2 slots, no queue, 10 s of work, $0.02; dear: ample, 1 s, $0.04. SLO 10 s, so work
    // sent to a busy cheap could not wait. Requests come every second: cheap takes t = 0 and 1,
    // is full until 10 and 11, takes 10 and 11, ... = 12 of 60 (t = 0, 1, 10, 11, ..., 50, 51).
    // Plan: 12 × 0.02 + 48 × 0.04 = 0.24 + 1.92 = 2.16. Bound (no capacity): 60 × 0.02 = 1.2.
    const r = await run(
      scenario({
        providers: [provider('cheap', 0.02, '10s', { capacity: { concurrency: 2, queue: 0 } }), provider('dear', 0.04, '1s')],
        slo: { interactive: { p95: '10s' } },
      }),
    );
    expect(r.oracle.requests).toEqual({ total: 60, withinSlo: 60, late: 0, unserved: 0 });
    expect(r.oracle.cost).toBeCloseTo(2.16, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(1.2, SUM);
  });

  it('lets work queue for a slot when the wait still meets the SLO', async () => {
    // As above but a queue of 100 and SLO 20 s: work may wait up to 10 s for a cheap slot (FIFO).
    // t = 0, 1: slots free, end 10, 11. t = 2: waits for the end at 10 (8 s), ends 20; t = 3:
    // waits for 11, ends 21. t = 4..9 would wait for 20 (≥ 11 s): dear. t = 10: waits exactly
    // 10 s for 20 (allowed), ends 30; t = 11 for 21, ends 31; and so on every ten seconds.
    // cheap: t = 0, 1, 2, 3, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51 = 14 requests.
    // Plan: 14 × 0.02 + 46 × 0.04 = 0.28 + 1.84 = 2.12.
    const r = await run(
      scenario({
        providers: [provider('cheap', 0.02, '10s', { capacity: { concurrency: 2, queue: 100 } }), provider('dear', 0.04, '1s')],
        slo: { interactive: { p95: '20s' } },
      }),
    );
    expect(r.oracle.requests.withinSlo).toBe(60);
    expect(r.oracle.cost).toBeCloseTo(2.12, SUM);
  });

  it('respects the rate limit: one token a second, requests every half second', async () => {
    // cheap: rpm 60, burst 1 (a token per second); requests at 0, 0.5, 1, ... (120). cheap takes
    // the 60 at whole seconds, dear the rest: 60 × 0.02 + 60 × 0.04 = 3.6.
    const r = await run(
      scenario({
        providers: [provider('cheap', 0.02, '1s', { rateLimit: { rpm: 60, burst: 1 } }), provider('dear', 0.04, '1s')],
        traffic: { arrivals: { process: 'uniform', rate: '2/s' }, mix: [{ name: 'ref', project: 'app' }] },
        slo: { interactive: { p95: '10s' } },
      }),
    );
    expect(r.oracle.requests.total).toBe(120);
    expect(r.oracle.cost).toBeCloseTo(3.6, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(120 * 0.02, SUM);
  });

  it('defers batch work into an off-peak window before its deadline', async () => {
    // 60 batch requests from a trace at 00:00:00–00:00:59 UTC, deadline 6 h, in a 7 h window; the
    // only provider is 50% off 02:00–06:00 UTC. Sent then, they cost 0.5 × 0.02 = 0.01 each:
    // 60 × 0.01 = 0.6. `cheapest` sends at once: 60 × 0.02 = 1.2; `deferral` waits for the window.
    const trace = path.join(TMP, 'batch.jsonl');
    writeFileSync(trace, Array.from({ length: 60 }, (_, i) => JSON.stringify({ at: i * 1000, urgency: 'batch', deadline: '6h', project: 'catalog' })).join('\n'));
    const r = await run(
      scenario({
        duration: '7h',
        providers: [provider('night', 0.02, '2s', { pricing: { model: 'per-image', price: 0.02, offPeak: [{ from: '02:00', to: '06:00', discount: 0.5 }] } })],
        traffic: { trace },
        strategies: ['cheapest', 'deferral'],
      }),
    );
    expect(r.oracle.requests).toEqual({ total: 60, withinSlo: 60, late: 0, unserved: 0 });
    expect(r.oracle.cost).toBeCloseTo(0.6, SUM);
    expect(r.oracle.unconstrainedCost).toBeCloseTo(0.6, SUM);
    const [cheapest, deferral] = r.strategies;
    expect(cheapest!.cost.total).toBeCloseTo(1.2, SUM);
    expect(cheapest!.regret!.usd).toBeCloseTo(0.6, SUM);
    expect(deferral!.requests.deferred).toBe(60);
    expect(deferral!.cost.total).toBeCloseTo(0.6, SUM);
    expect(deferral!.regret!.usd).toBe(0);
  });

  it('counts requests no draw can serve as unservable, and prices late ones at their cheapest success', async () => {
    // only: $0.02, fixed 8 s, SLO 5 s: every request is late; the bound pays 0.02 each.
    // With maxAttempts 1 and a 50% server-error rate, requests whose draw fails are unservable.
    const obj = scenario({
      providers: [provider('only', 0.02, '8s', { failures: { serverError: 0.5 } })],
      slo: { interactive: { p95: '5s' } },
      policy: { maxAttempts: 1 },
    });
    const s = resolve(obj);
    const only = runtimeOf(s, 'only');
    const ok = requestsOf(s).filter((req) => succeeds(only, req, 0)).length;
    const r = await run(obj);
    expect(r.oracle.unconstrained).toEqual({ withinSlo: 0, late: ok, unservable: 60 - ok });
    expect(r.oracle.requests).toEqual({ total: 60, withinSlo: 0, late: ok, unserved: 60 - ok });
    expect(r.oracle.cost).toBeCloseTo(ok * 0.02, SUM);
    expect(r.strategies[0]!.regret!.lowerBound).toBeCloseTo(ok * 0.02, SUM);
  });
});

describe('oracle: the report', () => {
  const obj = scenario({
    providers: [provider('cheap', 0.02, '3s', { failures: { serverError: 0.1, generative: 0.05 } }), provider('dear', 0.04, '1s')],
    slo: { interactive: { p95: '4s' } },
    strategies: ['cheapest', 'fastest'],
  });

  it('is byte-identical across runs and survives a round trip through report.json', async () => {
    const a = serializeReport(await simulate(resolve(obj)));
    const b = serializeReport(await simulate(resolve(obj)));
    expect(a).toBe(b);
    const parsed = parseReport(a, 'report.json');
    expect(serializeReport(parsed)).toBe(a);
    expect(parsed.oracle).toBeDefined();
    expect(parsed.strategies.every((s) => s.regret !== undefined)).toBe(true);
    // Key order: regret last in a strategy, oracle last at the top.
    expect(a.indexOf('"regret"')).toBeGreaterThan(a.indexOf('"costByHour"'));
    expect(a.trimEnd().endsWith('}\n}')).toBe(true);
    expect(a.lastIndexOf('"oracle"')).toBeGreaterThan(a.lastIndexOf('"strategies"'));
  });

  it('leaves oracle and regret out with { oracle: false }, and changes nothing else', async () => {
    const on = await simulate(resolve(obj));
    const off = await simulate(resolve(obj), { oracle: false });
    expect(off.oracle).toBeUndefined();
    expect(off.strategies.some((s) => s.regret !== undefined)).toBe(false);
    const strip = (r: Report): Report => ({ ...r, oracle: undefined, strategies: r.strategies.map((s) => ({ ...s, regret: undefined })) });
    expect(serializeReport(strip(on))).toBe(serializeReport(off));
  });

  it('oracleFor gives the oracle simulate() reports, for any seed and duration', async () => {
    const s = resolve(obj);
    const report = await simulate(s, { seed: 11, durationMs: 30_000 });
    expect(oracleFor(s, 11, { durationMs: 30_000 })).toEqual(report.oracle);
    expect(oracleFor(s).requests.total).toBe(60);
  });
});

// ---------------------------------------------------------------------------------------------
// Invariants

/**
 * What `simulate()` does, with the oracle's internals in view: every strategy's cost and the
 * oracle's run over their service logs, including `mismatches` (requests a strategy got a
 * service level for that the oracle found no way to give: the engine and the oracle disagree).
 */
async function costsAndOracle(s: ResolvedScenario, only?: string[]): Promise<{ names: string[]; costs: number[]; oracle: OracleRun; logs: ServiceLog[] }> {
  const files = await loadScenarioStrategyFiles(s);
  const curves = availabilityCurves(s);
  const logs: ServiceLog[] = [];
  const names: string[] = [];
  const costs: number[] = [];
  for (const ref of selectStrategyRefs(s, only)) {
    const strategy = buildStrategy(ref, { scenario: s, files });
    const log = new ServiceLog();
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    const { collector } = new Simulation(s, strategy, source, curves, undefined, log).run();
    source.close();
    logs.push(log);
    names.push(strategy.name);
    costs.push(collector.toReport(strategy.name, s.durationMs).cost.total);
  }
  const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
  const oracle = runOracle(s, curves, source, { logs });
  source.close();
  return { names, costs, oracle, logs };
}

/** The same invariants from the oracle's internals, and no disagreement with the engine. */
function expectRunBounds({ names, costs, oracle }: { names: string[]; costs: number[]; oracle: OracleRun }, where: string): void {
  expect(oracle.mismatches, `${where}: requests the engine served that the oracle could not`).toBe(0);
  costs.forEach((cost, i) => {
    const bound = oracle.lowerBounds[i]!;
    expect(bound, `${where} ${names[i]!}: lowerBound ≤ cost.total`).toBeLessThanOrEqual(cost + 1e-9 * Math.max(1, cost));
    expect(bound, `${where} ${names[i]!}: lowerBound ≤ unconstrainedCost`).toBeLessThanOrEqual(oracle.result.unconstrainedCost * (1 + 1e-9) + 1e-12);
  });
}

/** lowerBound ≤ cost.total (any router pays at least it) and ≤ unconstrainedCost (it prices less service). */
function expectBounds(report: Report, where: string): void {
  const oracle = report.oracle!;
  for (const s of report.strategies) {
    const bound = s.regret!.lowerBound;
    const slack = 1e-9 * Math.max(1, s.cost.total);
    expect(bound, `${where} ${s.name}: lowerBound ≤ cost.total`).toBeLessThanOrEqual(s.cost.total + slack);
    expect(bound, `${where} ${s.name}: lowerBound ≤ unconstrainedCost`).toBeLessThanOrEqual(oracle.unconstrainedCost * (1 + 1e-9) + 1e-12);
    expect(Number.isFinite(bound)).toBe(true);
  }
  const { requests, unconstrained } = oracle;
  expect(requests.withinSlo + requests.late + requests.unserved).toBe(requests.total);
  expect(unconstrained.withinSlo + unconstrained.late + unconstrained.unservable).toBe(requests.total);
  // The plan never gives a request more than its draws allow.
  expect(requests.withinSlo).toBeLessThanOrEqual(unconstrained.withinSlo);
  expect(requests.withinSlo + requests.late).toBeLessThanOrEqual(unconstrained.withinSlo + unconstrained.late);
}

describe('oracle: bounds hold on the shipped scenarios', () => {
  it.each([
    ['quickstart.yaml', 10],
    ['market-2026.yaml', 30], // 0.1 requests a second: ~180 requests, as the others
    ['list-prices-2025.yaml', 10],
  ])('%s over %i minutes, seeds 1–3', async (file, minutes) => {
    const s = loadScenario(path.join(SCENARIOS, file));
    const durationMs = minutes * 60_000;
    for (const seed of [1, 2, 3]) {
      expectRunBounds(await costsAndOracle(withOverrides(s, { seed, durationMs })), `${file} seed ${seed}`);
    }
    const report = await simulate(s, { durationMs: 120_000 });
    expectBounds(report, file);
    expect(report.oracle!.requests.total).toBe(report.strategies[0]!.requests.total);
  });

  it('market-2026 over 3 h from midnight: bounds hold with batch work deferred into the night', async () => {
    // Off-peak (stepwise) and availability-driven (gridwatt) prices, batch deadlines of 12–24 h.
    const s = withOverrides(loadScenario(path.join(SCENARIOS, 'market-2026.yaml')), { durationMs: 3 * 3_600_000 });
    expectRunBounds(await costsAndOracle(s, ['cheapest', 'deferral', 'slo-aware']), 'market-2026 3h');
  });
});

describe('oracle: bounds hold on random small scenarios', () => {
  const pricing = fc.oneof(
    fc.record({ model: fc.constant('per-image' as const), price: fc.double({ min: 0.005, max: 0.08, noNaN: true }) }),
    fc.record({ model: fc.constant('per-step' as const), perStep: fc.double({ min: 0.0002, max: 0.002, noNaN: true }) }),
    fc.record({ model: fc.constant('compute-time' as const), perSecond: fc.double({ min: 0.0005, max: 0.01, noNaN: true }) }),
    fc.record({
      model: fc.constant('credits' as const),
      perImage: fc.integer({ min: 1, max: 3 }),
      bundles: fc.constant([{ credits: 200, price: 3, expiresAfter: '30m' }]),
    }),
  );
  const modifiers = fc.record(
    {
      offPeak: fc.constant([{ from: '00:10', to: '00:40', discount: 0.4 }]),
      dynamic: fc.record({ range: fc.double({ min: 0, max: 0.4, noNaN: true }) }),
    },
    { requiredKeys: [] },
  );
  const providerArb = fc.record({
    pricing,
    modifiers,
    median: fc.integer({ min: 300, max: 6000 }),
    spread: fc.double({ min: 1.1, max: 4, noNaN: true }),
    turbo: fc.boolean(),
    concurrency: fc.integer({ min: 1, max: 8 }),
    queue: fc.integer({ min: 0, max: 5 }),
    rpm: fc.option(fc.integer({ min: 30, max: 300 }), { nil: undefined }),
    serverError: fc.double({ min: 0, max: 0.2, noNaN: true }),
    generative: fc.double({ min: 0, max: 0.1, noNaN: true }),
    timeout: fc.double({ min: 0, max: 0.05, noNaN: true }),
    base: fc.double({ min: 0.3, max: 1, noNaN: true }),
    noise: fc.boolean(),
  });
  const scenarioArb = fc.record({
    providers: fc.array(providerArb, { minLength: 1, maxLength: 3 }),
    rate: fc.integer({ min: 1, max: 4 }),
    batchShare: fc.double({ min: 0, max: 1, noNaN: true }),
    slo: fc.integer({ min: 500, max: 15_000 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
  });

  it('lowerBound ≤ cost.total and ≤ unconstrainedCost for every built-in strategy', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (g) => {
        const obj: ScenarioInput = {
          version: 1,
          name: 'random-oracle',
          seed: g.seed,
          start: '2026-06-01T00:00:00Z',
          duration: '3m',
          providers: g.providers.map((p, i) => ({
            id: `p${i}`,
            pricing: { ...p.pricing, ...p.modifiers } as ProviderInput['pricing'],
            tiers: {
              standard: { latency: { dist: 'lognormal', median: p.median, p99: p.median * p.spread } },
              ...(p.turbo ? { turbo: { latency: { dist: 'lognormal', median: p.median / 5, p99: (p.median / 5) * p.spread }, priceMultiplier: 1.5 } } : {}),
            },
            capacity: { concurrency: p.concurrency, queue: p.queue },
            ...(p.rpm === undefined ? {} : { rateLimit: { rpm: p.rpm } }),
            availability: { base: p.base, ...(p.noise ? { noise: { sd: 0.1, halfLife: '2m' } } : {}) },
            failures: { serverError: p.serverError, generative: p.generative, timeout: p.timeout },
          })),
          traffic: {
            arrivals: { process: 'poisson', rate: g.rate },
            mix: [
              { name: 'now', weight: 1 - g.batchShare + 0.01, project: 'app' },
              { name: 'later', weight: g.batchShare + 0.01, urgency: 'batch', deadline: '40m', project: 'batch' },
            ],
          },
          strategies: ['cheapest', 'fastest', 'slo-aware', 'round-robin', 'deferral', { use: 'hedged', base: 'cheapest', delay: '1s' }],
          policy: { timeout: '20s', maxAttempts: g.maxAttempts, backoff: { initial: '100ms', max: '1s' } },
          slo: { interactive: { p95: g.slo } },
        };
        expectRunBounds(await costsAndOracle(resolve(obj)), JSON.stringify(g));
      }),
      { numRuns: 20, seed: 20_260_601 },
    );
  });

  it('with unlimited capacity, one attempt and prices fixed in time, the plan is the bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: fc.double({ min: 0.005, max: 0.08, noNaN: true }), median: fc.integer({ min: 300, max: 8000 }), fail: fc.double({ min: 0, max: 0.3, noNaN: true }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 500, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (providers, sloMs, seed) => {
          const obj: ScenarioInput = scenario({
            seed,
            providers: providers.map((p, i) =>
              provider(`p${i}`, p.price, '1s', {
                tiers: { standard: { latency: { dist: 'lognormal', median: p.median, p99: p.median * 2 } } },
                failures: { serverError: p.fail },
              }),
            ),
            traffic: { arrivals: { process: 'poisson', rate: '3/s' }, mix: [{ name: 'ref', project: 'app' }] },
            policy: { maxAttempts: 1 },
            slo: { interactive: { p95: sloMs } },
          });
          const oracle = oracleFor(resolve(obj));
          // Summed in the same order over the same per-request minima: equal to the last bit.
          expect(oracle.cost).toBe(oracle.unconstrainedCost);
          expect(oracle.requests.withinSlo).toBe(oracle.unconstrained.withinSlo);
          expect(oracle.requests.late).toBe(oracle.unconstrained.late);
        },
      ),
      { numRuns: 30, seed: 42 },
    );
  });
});

describe('oracle: working ahead of logs that come in as the runs go', () => {
  it('sums the same bounds, in the same order, whenever the levels are there', async () => {
    // market-2026 defers batch work for hours: its levels come long after the requests.
    const s = withOverrides(loadScenario(path.join(SCENARIOS, 'market-2026.yaml')), { durationMs: 8 * 3_600_000 });
    const { oracle: complete, logs } = await costsAndOracle(s);
    // Levels "come" 200 requests behind the request being read, and not every time it looks: the
    // oracle keeps hundreds of requests' minima waiting, and sums them later.
    let read = 0;
    let asked = 0;
    const ready = (id: number): boolean => {
      asked++;
      return id + 200 < read && asked % 7 !== 0;
    };
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    const counting = {
      next: () => {
        read++;
        return source.next();
      },
      close: () => {
        source.close();
      },
    };
    const ahead = runOracle(s, availabilityCurves(s), counting, { logs, ready });
    source.close();
    expect(read).toBeGreaterThan(1_000);
    expect(ahead).toEqual(complete);
    expect(ahead.lowerBounds.every((b) => b > 0)).toBe(true);
  });
});
