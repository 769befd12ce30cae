/**
 * Each built-in strategy's defining behaviour, measured end to end: a small scenario built here,
 * run through `simulate()` (traffic, provider runtimes, policy, billing, budget, report), and the
 * report read back. Expected values are worked out by hand in the comments next to them.
 *
 * Most scenarios use `fixed` latencies, uniform arrivals and no failures, so the engine has no
 * luck to add and counts are exact; where a distribution matters (hedging, SLOs) the bounds are
 * derived from the distribution and the seed is fixed.
 *
 * Comments marked `BUG (fixed)` name bugs these tests found while they were written, and where the
 * fix is; the tests keep them fixed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report, StrategyReport } from '../../src/metrics/report-types.js';
import { strategyDisplayName } from '../../src/scenario/check.js';
import { loadScenario, scenarioFromObject } from '../../src/scenario/load.js';
import { BUILTIN_STRATEGIES } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

const SEC = 1_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2026-06-01T00:00:00Z, a Monday: the start of every scenario here unless it says otherwise. */
const START = '2026-06-01T00:00:00Z';
const START_MS = Date.UTC(2026, 5, 1);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Obj = Record<string, unknown>;

/** A fixed service time: no latency luck, so counts and times are exact. */
const fixed = (value: string): Obj => ({ dist: 'fixed', value });

/**
 * A provider priced per image with one `standard` tier.
 * @param id - provider id
 * @param price - USD per image
 * @param latency - latency spec of the standard tier
 * @param extra - more provider keys (capacity, failures, tiers ...), merged last
 */
function perImage(id: string, price: number, latency: Obj, extra: Obj = {}): Obj {
  return {
    id,
    pricing: { model: 'per-image', price },
    tiers: { standard: { latency } },
    capacity: { concurrency: 1000, queue: 1000 },
    ...extra,
  };
}

/** Runs a scenario object (as YAML would parse) through the schema, the resolver and `simulate`. */
async function run(scenario: Obj): Promise<Report> {
  return simulate(scenarioFromObject({ version: 1, name: 'in-engine', seed: 7, start: START, ...scenario }));
}

/** The report of one strategy, by name. */
function strategy(report: Report, name: string): StrategyReport {
  const found = report.strategies.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no strategy ${name} in ${report.strategies.map((s) => s.name).join(', ')}`);
  return found;
}

/** Attempts at a provider (0 when it was never tried). */
function attemptsAt(s: StrategyReport, provider: string): number {
  return s.providers[provider]?.attempts ?? 0;
}

/** Requests of an urgency class, and how many of them succeeded within their SLO bound. */
function slo(s: StrategyReport, urgency: 'interactive' | 'batch'): { requests: number; attained: number } {
  return s.slo.byUrgency[urgency] ?? { requests: 0, attained: 0 };
}

/** Alerts of the overall limit (project undefined) or of one project's cap. */
function alertsOf(s: StrategyReport, project?: string): { threshold: number; atMs: number }[] {
  return s.budget.alerts.filter((a) => a.project === project).map((a) => ({ threshold: a.threshold, atMs: Date.parse(a.at) }));
}

// -------------------------------------------------------------------------------------------------
describe('deferral', () => {
  /**
   * One per-step provider, $0.001 a step, 30 % off from 02:00 to 06:00 UTC: a 30-step image is
   * $0.030 by day and $0.021 off-peak. Requests arrive once a minute from 14:30 to 02:00 UTC (a
   * zero-rate burst stops arrivals at 02:00; the run goes on to 06:00 so the window is inside it),
   * half interactive, half batch due 12 h after arrival.
   *
   * A batch request arriving at t0 ≥ 14:15 reaches the window: deferral scans t0 + k·15 min and the
   * first such instant at or after 02:00 is before t0 + 12 h − 2 × 2 s (the latest start that leaves
   * two tries at the 2 s service time). Every batch request here arrives at 14:30 or later, so every
   * one is deferred and billed $0.021, against $0.030 for `cheapest`: the ratio is exactly 0.7.
   */
  const offPeakProvider = {
    id: 'stepper',
    pricing: { model: 'per-step', perStep: 0.001, offPeak: [{ from: '02:00', to: '06:00', tz: 'UTC', discount: 0.3 }] },
    tiers: { standard: { latency: fixed('2s') } },
    capacity: { concurrency: 64, queue: 256 },
  };
  let report: Report;

  beforeAll(async () => {
    report = await run({
      start: '2026-06-01T14:30:00Z',
      duration: '930m', // 14:30 → 06:00
      providers: [offPeakProvider],
      traffic: {
        arrivals: { process: 'uniform', rate: '60/h', pattern: { bursts: [{ at: '2026-06-02T02:00:00Z', duration: '4h', multiplier: 0 }] } },
        mix: [
          { name: 'app', weight: 1, steps: 30, urgency: 'interactive', project: 'app' },
          { name: 'catalog', weight: 1, steps: 30, urgency: 'batch', deadline: '12h', project: 'catalog' },
        ],
      },
      strategies: ['cheapest', { use: 'deferral', base: 'cheapest' }],
      slo: { batch: { deadline: '12h' } },
    });
  });

  it('moves batch work into the off-peak window and saves the discount on it', () => {
    const cheapest = strategy(report, 'cheapest');
    const deferral = strategy(report, 'deferral');
    const batch = slo(deferral, 'batch').requests;
    // 14:30 → 02:00 at one a minute = 690 requests, about half of them batch
    expect(deferral.requests.total).toBe(690);
    expect(batch).toBeGreaterThan(300);
    expect(deferral.requests.deferred).toBe(batch);
    // cheapest pays the day price for all of them: batch × 30 × $0.001
    expect(cheapest.cost.byProject.catalog).toBeCloseTo(batch * 0.03, 9);
    // deferral pays the off-peak price: batch × 30 × $0.001 × 0.7 — exactly 0.7 × cheapest
    expect(deferral.cost.byProject.catalog).toBeCloseTo(batch * 0.021, 9);
    expect(deferral.cost.byProject.catalog! / cheapest.cost.byProject.catalog!).toBeCloseTo(0.7, 9);
    // and it is spent in the window: deferred work is spread over 02:00–06:00, i.e. hours 11
    // (01:30–02:30) to 15 (05:30–06:30) of the run, and nothing is billed after 06:30
    expect(deferral.costByHour.length).toBeLessThanOrEqual(16);
    const inWindow = deferral.costByHour.slice(11, 16).reduce((a, b) => a + b, 0);
    expect(inWindow).toBeGreaterThan(batch * 0.021);
  });

  it('meets every batch deadline', () => {
    const deferral = strategy(report, 'deferral');
    expect(deferral.requests.failed).toBe(0);
    // attainment for batch = succeeded before arrival + 12 h, for every batch request
    const batch = slo(deferral, 'batch');
    expect(batch.attained).toBe(batch.requests);
    // the longest wait: a request of 14:30 starts at 02:00 (after 11 h 30 min) and takes 2 s
    expect(deferral.latencyByUrgency.batch!.max).toBeLessThanOrEqual(12 * HOUR);
    expect(deferral.latencyByUrgency.batch!.max).toBeGreaterThanOrEqual(11.5 * HOUR);
  });

  it('never defers interactive requests', () => {
    const cheapest = strategy(report, 'cheapest');
    const deferral = strategy(report, 'deferral');
    // every interactive request is answered after its 2 s service time, as under cheapest ...
    expect(deferral.latencyByUrgency.interactive!.max).toBe(2 * SEC);
    // ... and pays the same: interactive × $0.030 under both
    expect(deferral.cost.byProject.app).toBeCloseTo(cheapest.cost.byProject.app!, 9);
    expect(deferral.cost.byProject.app).toBeCloseTo(slo(deferral, 'interactive').requests * 0.03, 9);
  });

  it('does not defer batch work whose deadline cannot reach the window', async () => {
    /*
     * Batch only, once a minute from 08:00:30 to 01:59:30 (1,080 requests; the half-minute offset
     * keeps arrivals off the 14:15 boundary). From 14:15:30 on (705 requests: 11 h 45 min) the
     * window is reachable; before (375 requests: 08:00:30 … 14:14:30) it is not: those pay the day
     * price. Expected deferral cost / cheapest cost = (375 × 1 + 705 × 0.7) / 1,080 = 0.8042.
     */
    const r = await run({
      start: '2026-06-01T08:00:30Z',
      duration: 21 * HOUR + 59.5 * MIN, // to 06:00, so the window lies inside the run
      providers: [offPeakProvider],
      traffic: {
        arrivals: { process: 'uniform', rate: '60/h', pattern: { bursts: [{ at: '2026-06-02T02:00:00Z', duration: '4h', multiplier: 0 }] } },
        mix: [{ name: 'catalog', steps: 30, urgency: 'batch', deadline: '12h', project: 'catalog' }],
      },
      strategies: ['cheapest', { use: 'deferral', base: 'cheapest' }],
    });
    const cheapest = strategy(r, 'cheapest');
    const deferral = strategy(r, 'deferral');
    expect(deferral.requests.total).toBe(1080);
    expect(deferral.requests.deferred).toBe(705);
    expect(cheapest.cost.total).toBeCloseTo(1080 * 0.03, 9);
    expect(deferral.cost.total).toBeCloseTo(375 * 0.03 + 705 * 0.021, 9);
    expect(deferral.cost.total / cheapest.cost.total).toBeCloseTo((375 + 705 * 0.7) / 1080, 9);
  });

  it('takes the deadline of a batch class without one from slo.batch.deadline', async () => {
    /*
     * docs/scenario-reference.md: a mix class's `deadline` "defaults to `slo.batch.deadline`". The
     * engine judges attainment that way, but requests carry no `deadlineMs`, so deferral used to
     * route such work at once (FIXED in src/routing/strategies/deferral.ts: it falls back to
     * arrival + slo.batch.deadline; the root fix belongs where requests get their `deadlineMs`,
     * src/traffic/traffic.ts and src/traffic/trace.ts, so that every strategy sees it).
     * Same set-up as above without `deadline` on the class: every batch request is deferred.
     */
    const r = await run({
      start: '2026-06-01T14:30:00Z',
      duration: '930m',
      providers: [offPeakProvider],
      traffic: {
        arrivals: { process: 'uniform', rate: '60/h', pattern: { bursts: [{ at: '2026-06-02T02:00:00Z', duration: '4h', multiplier: 0 }] } },
        mix: [{ name: 'catalog', steps: 30, urgency: 'batch', project: 'catalog' }],
      },
      strategies: ['cheapest', { use: 'deferral', base: 'cheapest' }],
      slo: { batch: { deadline: '12h' } },
    });
    const deferral = strategy(r, 'deferral');
    expect(deferral.requests.deferred).toBe(690);
    expect(deferral.cost.total / strategy(r, 'cheapest').cost.total).toBeCloseTo(0.7, 9);
    expect(slo(deferral, 'batch').attained).toBe(690);
  });

  // BUG (fixed; design, src/routing/strategies/deferral.ts): every deferred request is sent
  // at the first scan instant with the best forecast, so the batch work of half a day lands on the
  // provider in the first 15 minutes of the window instead of being spread over it. With finite
  // capacity the queue overflows and requests fail `overloaded` long before their deadlines.
  // market-2026 as first written (gridwatt 48 slots, breaker 5 failures in 30 s) showed it: the
  // herd hit gridwatt near 00:00 UTC, every breaker opened and 9,568 batch requests of one day
  // failed `no-candidate` (batch attainment 61 %). The scenario now gives gridwatt 256 slots,
  // which absorbs the herd there; the strategy still needs the fix for smaller pools.
  it('spreads deferred work over the window rather than overrunning the provider when it opens', async () => {
    /*
     * The set-up of the first test, batch only, at a provider with 4 slots, a queue of 8 and a
     * 20 s service time: it serves 4 / 20 s = 12 requests a minute. The 690 deferred requests
     * would take 58 min at that rate, well inside the 4 h window; released within 15 minutes
     * (46 a minute) they overflow the queue.
     */
    const r = await run({
      start: '2026-06-01T14:30:00Z',
      duration: '930m',
      providers: [{ ...offPeakProvider, tiers: { standard: { latency: fixed('20s') } }, capacity: { concurrency: 4, queue: 8 } }],
      traffic: {
        arrivals: { process: 'uniform', rate: '60/h', pattern: { bursts: [{ at: '2026-06-02T02:00:00Z', duration: '4h', multiplier: 0 }] } },
        mix: [{ name: 'catalog', steps: 30, urgency: 'batch', deadline: '12h', project: 'catalog' }],
      },
      strategies: [{ use: 'deferral', base: 'cheapest' }],
    });
    const deferral = strategy(r, 'deferral');
    expect(deferral.requests.deferred).toBe(690);
    expect(deferral.requests.failed).toBe(0);
    expect(slo(deferral, 'batch').attained).toBe(690);
  });
});

// -------------------------------------------------------------------------------------------------
describe('hedged', () => {
  /**
   * Two providers with the same heavy-tailed service time, lognormal median 2 s, p99 20 s:
   * σ = ln(20 / 2) / 2.326 = 0.990, so p90 = 2 s × e^(1.2816 σ) = 7.1 s. `thrifty` costs $0.02,
   * `backup` $0.03. `cheapest` sends everything to `thrifty`; `hedged` does too, and after 7 s
   * (≈ p90) asks `backup` as well. For x > 7 s, P(latency > x) = P(A > x) · P(B > x − 7 s):
   * at x = 11 s, 0.0425 × 0.242 = 0.0103, so the hedged p99 is about 11 s against about 20 s.
   * About 10 % of requests are hedged, and both attempts of a hedged pair run to completion (no
   * queueing at 1,000 slots), so the bill grows by about 10 % × $0.03 per request: +15 %.
   * (Measured at seed 7: cheapest p99 19.7 s, $143.88; hedged p99 9.6 s, $224.94, 2,702 hedges,
   * inflated by the slot bug below; with it patched out, 10.7 s, $166.35, 749 hedges.)
   */
  let report: Report;

  beforeAll(async () => {
    const heavyTail = { dist: 'lognormal', median: '2s', p99: '20s' };
    report = await run({
      duration: '1h',
      providers: [perImage('thrifty', 0.02, heavyTail), perImage('backup', 0.03, heavyTail)],
      traffic: { arrivals: { process: 'poisson', rate: '2/s' }, mix: [{ name: 'app', project: 'app' }] },
      strategies: ['cheapest', { use: 'hedged', base: 'cheapest', delay: '7s' }],
      policy: { timeout: '5m' },
    });
  });

  it('cuts p99 at a measurable extra cost', () => {
    const cheapest = strategy(report, 'cheapest');
    const hedged = strategy(report, 'hedged');
    expect(hedged.requests.succeeded).toBe(hedged.requests.total);
    // cheapest: the p99 of the lognormal itself, about 20 s
    expect(cheapest.latencyMs.p99).toBeGreaterThan(16 * SEC);
    // hedged: about 11 s, clearly lower
    expect(hedged.latencyMs.p99).toBeLessThan(13 * SEC);
    expect(hedged.latencyMs.p99 / cheapest.latencyMs.p99).toBeLessThan(0.7);
    // cheapest pays $0.02 a request; hedged pays that too, plus backup for each hedge that ran
    expect(cheapest.cost.total).toBeCloseTo(cheapest.requests.total * 0.02, 9);
    expect(hedged.cost.byProvider.thrifty).toBeCloseTo(cheapest.cost.byProvider.thrifty!, 9);
    expect(hedged.cost.total).toBeGreaterThan(cheapest.cost.total * 1.1);
  });

  it('hedges at the next provider, cancels the loser and bills the losers that ran', () => {
    const hedged = strategy(report, 'hedged');
    expect(hedged.attempts.hedges).toBeGreaterThan(0);
    // each hedge went to backup; one attempt of each hedged pair was cancelled
    const backup = hedged.providers.backup!;
    const thrifty = hedged.providers.thrifty!;
    expect(backup.attempts).toBe(hedged.attempts.hedges);
    expect((thrifty.outcomes.cancelled ?? 0) + (backup.outcomes.cancelled ?? 0)).toBe(hedged.attempts.hedges);
    expect(thrifty.outcomes.cancelled).toBeGreaterThan(0);
    expect(backup.outcomes.cancelled).toBeGreaterThan(0);
    // the losers ran to the end at 1,000 slots, so they are billed: backup is paid for every hedge
    expect(hedged.cost.byProvider.backup).toBeCloseTo(hedged.attempts.hedges * 0.03, 9);
    // and those bills bought no image: wasted = cancelled at thrifty × $0.02 + at backup × $0.03
    expect(hedged.cost.wasted).toBeCloseTo((thrifty.outcomes.cancelled ?? 0) * 0.02 + (backup.outcomes.cancelled ?? 0) * 0.03, 9);
  });

  // BUG (fixed; src/sim/engine.ts): the EV_HEDGE event names a request *slot*. A request
  // answered before its delay frees the slot, the next arrival takes it, and the stale event then
  // hedges that newer request early (onHedge only checks done / hedged / inFlight). Measured: 2,702
  // hedges for 7,194 requests (37.6 %, not ≈ 10 %) and the median drops from 1,995 to 1,833 ms.
  it('hedges only requests still unanswered after the delay: about the slowest 10 %', () => {
    const cheapest = strategy(report, 'cheapest');
    const hedged = strategy(report, 'hedged');
    // P(A > 7 s) = P(Z > ln 3.5 / 0.990 = 1.266) = 0.103
    expect(hedged.attempts.hedges / hedged.requests.total).toBeGreaterThan(0.08);
    expect(hedged.attempts.hedges / hedged.requests.total).toBeLessThan(0.13);
    // requests answered within 7 s are never hedged, so the median is the same as without hedging
    expect(hedged.latencyMs.p50).toBe(cheapest.latencyMs.p50);
  });

  // BUG (fixed; src/routing/provider-view.ts + policy.ts): a cancelled hedge loser never
  // reports to the circuit breaker (ProviderHandle.onCancel only decrements inFlight). When that
  // loser was a half-open breaker's trial, `trialInFlight` stays true and the provider is skipped
  // for the rest of the run. In market-2026 as first written (hedged on fastest at 8 s, breaker
  // 5 in 30 s) this stranded four of seven providers within a day and failed over 13,000 requests
  // of `hedged` as `no-candidate` (none with the breaker patched).
  // Measured here: primary gets 66 attempts (61 before the outage, 5 during it), none after 1:11.
  it('lets a provider back in after its breaker opened, even if the trial attempt lost a hedge race', async () => {
    /*
     * `primary` ($0.02, 10 s) is always tried first; `secondary` ($0.03, 1 s) is the hedge after
     * 2 s and always wins, so every attempt at primary is a cancelled loser. An outage at primary
     * from 1:00 to 1:10 opens its breaker (3 fast failures within 5 min), and it goes half-open
     * after 2 min. The first trial after the outage (about 1:11) runs fine but loses its race.
     * One request a minute for 3 h: primary should still see about 180 − 10 attempts.
     */
    const r = await run({
      duration: '3h',
      providers: [
        perImage('primary', 0.02, fixed('10s'), { availability: { base: 1, outages: [{ at: '1h', duration: '10m' }] } }),
        perImage('secondary', 0.03, fixed('1s')),
      ],
      traffic: { arrivals: { process: 'uniform', rate: '60/h' }, mix: [{ name: 'app' }] },
      strategies: [{ use: 'hedged', base: 'cheapest', delay: '2s' }],
      policy: { circuitBreaker: { failures: 3, window: '5m', cooldown: '2m' } },
    });
    const s = strategy(r, 'hedged');
    expect(s.requests.succeeded).toBe(180);
    expect(attemptsAt(s, 'primary')).toBeGreaterThan(150);
  });
});

// -------------------------------------------------------------------------------------------------
describe('budget-guard', () => {
  /** Uniform arrivals, a fixed 1 s service time: each request is billed 1 s after it arrives. */
  const traffic = (rate: string, mix: Obj[] = [{ name: 'app', project: 'app' }]): Obj => ({ arrivals: { process: 'uniform', rate }, mix });

  it('stops spend at the cap and alerts at 50, 80 and 100 %', async () => {
    /*
     * $0.05 an image, one a minute for 3 h: 180 requests, $9.00 of work, against a $4.99 budget
     * that the gateway does not enforce (`onExhausted: allow`). The n-th request (from 1) arrives
     * at (n − 1) min and is billed at (n − 1) min + 1 s; spend after it is n × $0.05:
     *   50 %: 2.495 → n = 50 ($2.50), billed at 49:01
     *   80 %: 3.992 → n = 80 ($4.00), billed at 79:01
     *  100 %: 4.99  → n = 100 ($5.00), billed at 99:01; the guard rejects the 80 after it.
     */
    const r = await run({
      duration: '3h',
      providers: [perImage('solo', 0.05, fixed('1s'))],
      traffic: traffic('60/h'),
      strategies: ['cheapest', { use: 'budget-guard', base: 'cheapest' }],
      budget: { limit: 4.99, period: '30d', alerts: [0.5, 0.8, 1.0], onExhausted: 'allow' },
    });
    const cheapest = strategy(r, 'cheapest');
    const guard = strategy(r, 'budget-guard');
    // without the guard the traffic costs 180 × $0.05 = $9.00, well over the limit
    expect(cheapest.budget.spent).toBeCloseTo(9, 9);
    expect(cheapest.requests.rejected).toBe(0);
    // with it: $5.00 ≤ limit + one request's price
    expect(guard.budget.spent).toBeCloseTo(5, 9);
    expect(guard.budget.spent).toBeLessThanOrEqual(4.99 + 0.05);
    expect(guard.requests).toMatchObject({ total: 180, succeeded: 100, rejected: 80 });
    expect(guard.failures).toEqual({ budget: 80 });
    expect(alertsOf(guard)).toEqual([
      { threshold: 0.5, atMs: START_MS + 49 * MIN + SEC },
      { threshold: 0.8, atMs: START_MS + 79 * MIN + SEC },
      { threshold: 1.0, atMs: START_MS + 99 * MIN + SEC },
    ]);
  });

  it('downgrades to the cheaper tier after 80 %, lowering the cost per image', async () => {
    /*
     * One provider, $0.04 an image, in a `premium` lane (first, so the default) at 2× = $0.08 and
     * an `economy` lane at 1× = $0.04. 100 requests an hour (one every 36 s) for 3 h; limit $9.95.
     *   premium until 80 % = $7.96: the 100th request brings spend to $8.00 (the 99th: $7.92);
     *     it arrives at 99 × 36 s = 59:24, so hour 0 holds exactly 100 premium images;
     *   from the 101st (at 60:00) economy: 8.00 + 0.04 m ≥ 9.95 → m = 49, spend $9.96;
     *   the 149th is billed at 148 × 36 s + 1 s = 1:28:49; the other 151 are rejected.
     * Cost per image: hour 0 $8.00 / 100 = $0.08, hour 1 $1.96 / 49 = $0.04.
     * Alerts: 50 % = $4.975 at the 63rd ($5.04): 62 × 36 s + 1 s = 37:13; 80 % at 59:25.
     */
    const r = await run({
      duration: '3h',
      providers: [
        {
          ...perImage('duo', 0.04, fixed('1s')),
          tiers: { premium: { latency: fixed('1s'), priceMultiplier: 2 }, economy: { latency: fixed('1s'), priceMultiplier: 1 } },
        },
      ],
      traffic: traffic('100/h'),
      strategies: [{ use: 'budget-guard', base: 'cheapest', downgradeAt: 0.8 }],
      budget: { limit: 9.95, alerts: [0.5, 0.8, 1.0], onExhausted: 'allow' },
    });
    const guard = strategy(r, 'budget-guard');
    expect(guard.requests).toMatchObject({ total: 300, succeeded: 149, rejected: 151 });
    expect(guard.costByHour).toHaveLength(2);
    expect(guard.costByHour[0]! / 100).toBeCloseTo(0.08, 9);
    expect(guard.costByHour[1]! / 49).toBeCloseTo(0.04, 9);
    expect(guard.budget.spent).toBeCloseTo(9.96, 9);
    expect(alertsOf(guard)).toEqual([
      { threshold: 0.5, atMs: START_MS + 62 * 36 * SEC + SEC },
      { threshold: 0.8, atMs: START_MS + 99 * 36 * SEC + SEC },
      { threshold: 1.0, atMs: START_MS + 148 * 36 * SEC + SEC },
    ]);
  });

  it('alerts and rejects per project cap', async () => {
    /*
     * $0.05 an image, two a minute for 3 h (360 requests) in three projects drawn evenly: about
     * 120 each, $6 of work each. Caps: alpha $1.01, beta $2.01, gamma none; overall $100 (never
     * near). alpha is served until 21 × 0.05 = $1.05 ≥ $1.01, beta until 41 × 0.05 = $2.05; gamma
     * is never refused. Alerts for alpha at 0.505 (11th), 0.808 (17th), 1.01 (21st) and likewise
     * for beta; none for the overall limit.
     */
    const mix = ['alpha', 'beta', 'gamma'].map((project) => ({ name: project, project }));
    const r = await run({
      duration: '3h',
      providers: [perImage('solo', 0.05, fixed('1s'))],
      traffic: traffic('120/h', mix),
      strategies: ['cheapest', { use: 'budget-guard', base: 'cheapest' }],
      budget: { limit: 100, perProject: { alpha: 1.01, beta: 2.01 }, alerts: [0.5, 0.8, 1.0], onExhausted: 'allow' },
    });
    const cheapest = strategy(r, 'cheapest');
    const guard = strategy(r, 'budget-guard');
    expect(cheapest.cost.byProject.alpha).toBeGreaterThan(4);
    expect(guard.cost.byProject.alpha).toBeCloseTo(21 * 0.05, 9);
    expect(guard.cost.byProject.beta).toBeCloseTo(41 * 0.05, 9);
    expect(guard.cost.byProject.gamma).toBeCloseTo(cheapest.cost.byProject.gamma!, 9);
    const served = 21 + 41 + cheapest.cost.byProject.gamma! / 0.05;
    expect(guard.requests.succeeded).toBe(Math.round(served));
    expect(guard.requests.rejected).toBe(360 - Math.round(served));
    expect(guard.failures).toEqual({ budget: 360 - Math.round(served) });
    expect(alertsOf(guard)).toEqual([]);
    for (const project of ['alpha', 'beta']) {
      const alerts = alertsOf(guard, project);
      expect(alerts.map((a) => a.threshold)).toEqual([0.5, 0.8, 1.0]);
      expect(alerts[0]!.atMs).toBeLessThan(alerts[1]!.atMs);
      expect(alerts[1]!.atMs).toBeLessThan(alerts[2]!.atMs);
    }
    expect(alertsOf(guard, 'gamma')).toEqual([]);
  });

  it('leaves enforcement to the gateway with onExhausted: reject, for every strategy', async () => {
    /*
     * Two providers at $0.05 and $0.06, one request a minute for 3 h, limit $2.01: whichever of
     * the 13 built-ins routes, the gateway refuses every request once spend reaches the limit, and a
     * project's requests once its cap ($0.51 for `beta`) is spent. At one request in flight at a
     * time, spend ends within one request's price ($0.06) of the limit.
     */
    const mix = ['alpha', 'beta'].map((project) => ({ name: project, project }));
    const names = [...BUILTIN_STRATEGIES]; // each by its bare name, with its default options
    const r = await run({
      duration: '3h',
      providers: [perImage('one', 0.05, fixed('1s')), perImage('two', 0.06, fixed('1s'))],
      traffic: traffic('60/h', mix),
      strategies: names,
      budget: { limit: 2.01, perProject: { beta: 0.51 }, onExhausted: 'reject' },
    });
    for (const name of names) {
      const s = strategy(r, name);
      expect.soft(s.budget.spent, name).toBeGreaterThanOrEqual(2.01);
      expect.soft(s.budget.spent, name).toBeLessThanOrEqual(2.01 + 0.06);
      expect.soft(s.cost.byProject.beta, name).toBeLessThanOrEqual(0.51 + 0.06);
      expect.soft(s.failures.budget, name).toBeGreaterThan(0);
      expect.soft(s.failures['budget:beta'], name).toBeGreaterThan(0);
      expect.soft(s.requests.rejected, name).toBe((s.failures.budget ?? 0) + (s.failures['budget:beta'] ?? 0));
      expect.soft(s.requests.succeeded + s.requests.rejected, name).toBe(180);
    }
  });

  // BUG (fixed; src/routing/budget.ts): BudgetTracker moves to a new period only in
  // `spend()` and in `refusal()`, and `refusal()` returns before moving when `onExhausted` is not
  // `reject`. With `allow`, once budget-guard has refused everything nothing is spent, so the view
  // it reads keeps the old period's spend forever: the guard never serves again. Measured: 20 of
  // 180 requests served (only in the first period), 160 rejected, alerts only in period 0.
  it('starts afresh in each budget period when the gateway only alerts', async () => {
    /*
     * $0.05 an image, one a minute for 3 h, limit $1 per 1 h period: 20 images per period
     * (20 × 0.05 = $1.00), then refusals until the next period. Expected: 60 served, 120 refused,
     * and the three alerts in each of periods 0, 1 and 2.
     */
    const r = await run({
      duration: '3h',
      providers: [perImage('solo', 0.05, fixed('1s'))],
      traffic: traffic('60/h'),
      strategies: [{ use: 'budget-guard', base: 'cheapest' }],
      budget: { limit: 1, period: '1h', alerts: [0.5, 0.8, 1.0], onExhausted: 'allow' },
    });
    const guard = strategy(r, 'budget-guard');
    expect(guard.requests).toMatchObject({ total: 180, succeeded: 60, rejected: 120 });
    expect(guard.budget.alerts.map((a) => a.period)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });
});

// -------------------------------------------------------------------------------------------------
describe('slo-aware', () => {
  /**
   * `slowcheap`: $0.02, lognormal median 12 s, p99 30 s (σ = ln 2.5 / 2.326 = 0.394, so its p95 is
   * 12 s × e^(1.645 σ) = 22.9 s). `fastdear`: $0.04, median 2 s, p99 5 s (p95 = 3.8 s). SLO: 95 % of
   * interactive requests within 10 s. `slo-aware` predicts 12 s at slowcheap (over the bound) and
   * 2 s at fastdear, so interactive work goes to fastdear; batch work goes cheapest, to slowcheap.
   */
  let report: Report;

  beforeAll(async () => {
    report = await run({
      duration: '1h',
      providers: [
        perImage('slowcheap', 0.02, { dist: 'lognormal', median: '12s', p99: '30s' }),
        perImage('fastdear', 0.04, { dist: 'lognormal', median: '2s', p99: '5s' }),
      ],
      traffic: {
        arrivals: { process: 'poisson', rate: '1/s' },
        mix: [
          { name: 'app', weight: 0.7, urgency: 'interactive', project: 'app' },
          { name: 'catalog', weight: 0.3, urgency: 'batch', deadline: '12h', project: 'catalog' },
        ],
      },
      strategies: ['cheapest', 'slo-aware'],
      slo: { interactive: { p95: '10s' }, batch: { deadline: '12h' } },
      policy: { timeout: '5m' },
    });
  });

  it('meets an interactive p95 that cheapest misses, and pays for it', () => {
    const cheapest = strategy(report, 'cheapest');
    const aware = strategy(report, 'slo-aware');
    // cheapest: the slow provider's own p95, about 23 s
    expect(cheapest.latencyByUrgency.interactive!.p95).toBeGreaterThan(10 * SEC);
    expect(slo(cheapest, 'interactive').attained / slo(cheapest, 'interactive').requests).toBeLessThan(0.5);
    // slo-aware: the fast provider's p95, about 3.8 s
    expect(aware.latencyByUrgency.interactive!.p95).toBeLessThanOrEqual(10 * SEC);
    expect(slo(aware, 'interactive').attained / slo(aware, 'interactive').requests).toBeGreaterThanOrEqual(0.95);
    expect(aware.slo.attainment).toBeGreaterThanOrEqual(0.95);
    // interactive images cost $0.04 instead of $0.02
    expect(aware.cost.byProject.app).toBeCloseTo(2 * cheapest.cost.byProject.app!, 9);
    expect(aware.cost.total).toBeGreaterThan(cheapest.cost.total);
  });

  it('still sends batch work to the cheapest provider', () => {
    const aware = strategy(report, 'slo-aware');
    const batch = slo(aware, 'batch').requests;
    const interactive = slo(aware, 'interactive').requests;
    expect(attemptsAt(aware, 'slowcheap')).toBe(batch);
    expect(attemptsAt(aware, 'fastdear')).toBe(interactive);
    expect(aware.cost.byProject.catalog).toBeCloseTo(batch * 0.02, 9);
  });

  // BUG (fixed; design, src/routing/strategies/slo-aware.ts + ProviderView.predictLatencyMs, was not fixed
  // here): a provider "meets" the bound when its *median* prediction × margin does, although the
  // bound is a p95. A cheap provider with a fast median and a long tail is chosen and the SLO is
  // missed. In market-2026 slo-aware (margin 1.2) ends at an interactive p95 of 11.8 s, over its
  // own 10 s SLO (stepwise: median 6 s, p95 11.5 s, predicted 7.2 s).
  it('judges a provider by the quantile the SLO names, not by its median', async () => {
    /*
     * `spiky`: $0.02, median 6 s, p99 30 s (σ = ln 5 / 2.326 = 0.692; p95 = 6 s × e^(1.645 σ) = 18.7 s).
     * `steady`: $0.03, median 5 s, p99 8 s (σ = 0.202; p95 = 7.0 s). Only steady meets p95 ≤ 10 s.
     */
    const r = await run({
      duration: '1h',
      providers: [
        perImage('spiky', 0.02, { dist: 'lognormal', median: '6s', p99: '30s' }),
        perImage('steady', 0.03, { dist: 'lognormal', median: '5s', p99: '8s' }),
      ],
      traffic: { arrivals: { process: 'poisson', rate: '1/s' }, mix: [{ name: 'app', project: 'app' }] },
      strategies: [{ use: 'slo-aware', margin: 1 }],
      slo: { interactive: { p95: '10s' } },
      policy: { timeout: '5m' },
    });
    const aware = strategy(r, 'slo-aware');
    expect(aware.latencyMs.p95).toBeLessThanOrEqual(10 * SEC);
  });
});

// -------------------------------------------------------------------------------------------------
describe('the other built-ins', () => {
  it('failover keeps to its order, moving on only when a provider fails', async () => {
    /*
     * Order [third, first, second], the reverse of price, so the order is visibly not price's.
     * `third` and `first` fail fast (server error) 30 % of the time; `second` never. Every request
     * goes to third; exactly those that fail there go on to first; exactly those that fail at
     * first go on to second. With three attempts allowed, every request succeeds.
     */
    const flaky = { failures: { serverError: 0.3 } };
    const r = await run({
      duration: '1h',
      providers: [perImage('first', 0.03, fixed('1s'), flaky), perImage('second', 0.01, fixed('1s')), perImage('third', 0.05, fixed('1s'), flaky)],
      traffic: { arrivals: { process: 'uniform', rate: '600/h' }, mix: [{ name: 'app' }] },
      strategies: [{ use: 'failover', order: ['third', 'first', 'second'] }],
    });
    const s = strategy(r, 'failover');
    const third = s.providers.third!;
    const first = s.providers.first!;
    expect(s.requests.succeeded).toBe(600);
    expect(third.attempts).toBe(600);
    expect(first.attempts).toBe(third.outcomes['server-error']);
    expect(s.providers.second!.attempts).toBe(first.outcomes['server-error']);
    // about 30 % of 600 = 180 move on to first, about 30 % of those (54) to second
    expect(first.attempts).toBeGreaterThan(140);
    expect(first.attempts).toBeLessThan(220);
    expect(s.attempts.failovers).toBe(first.attempts + s.providers.second!.attempts);
  });

  it('round-robin spreads attempts evenly: exact counts with uniform arrivals', async () => {
    // 300 requests over three providers that never fail: 100 each, whatever their prices
    const r = await run({
      duration: '1h',
      providers: [perImage('a', 0.01, fixed('1s')), perImage('b', 0.02, fixed('1s')), perImage('c', 0.03, fixed('1s'))],
      traffic: { arrivals: { process: 'uniform', rate: '300/h' }, mix: [{ name: 'app' }] },
      strategies: ['round-robin'],
    });
    const s = strategy(r, 'round-robin');
    expect([attemptsAt(s, 'a'), attemptsAt(s, 'b'), attemptsAt(s, 'c')]).toEqual([100, 100, 100]);
    // so the cost is the mean price: 100 × (0.01 + 0.02 + 0.03)
    expect(s.cost.total).toBeCloseTo(6, 9);
  });

  it('weighted splits by weight within binomial tolerance', async () => {
    /*
     * Weights 3 : 1 over 4,000 requests: `heavy` expects 3,000. The share's standard deviation is
     * √(0.75 × 0.25 / 4,000) = 0.0068, so ±0.03 is about 4.4 σ.
     */
    const r = await run({
      duration: '400s',
      providers: [perImage('heavy', 0.04, fixed('1s')), perImage('light', 0.01, fixed('1s'))],
      traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'app' }] },
      strategies: [{ use: 'weighted', weights: { heavy: 3, light: 1 } }],
    });
    const s = strategy(r, 'weighted');
    expect(s.requests.total).toBe(4000);
    expect(attemptsAt(s, 'heavy') + attemptsAt(s, 'light')).toBe(4000);
    expect(attemptsAt(s, 'heavy') / 4000).toBeGreaterThan(0.72);
    expect(attemptsAt(s, 'heavy') / 4000).toBeLessThan(0.78);
  });

  describe('least-loaded and fastest', () => {
    /*
     * `slowpoke` (5 s) is listed first and `quick` (1 s) second, same price and concurrency (8):
     * on a tie the first listed wins, so anything that sends more to `quick` does it on load or
     * speed. Two requests a second.
     * least-loaded balances in-flight work: with a share p to slowpoke, Little's law gives
     * 2p × 5 s = 10p in flight there and 2(1 − p) × 1 s there; equal at p = 1/6, so quick
     * takes about 5/6 of the traffic.
     * fastest learns each provider's latency (EWMA) and sends nearly everything to quick.
     */
    let report: Report;

    beforeAll(async () => {
      const capacity = { capacity: { concurrency: 8, queue: 1000 } };
      report = await run({
        duration: '1h',
        providers: [perImage('slowpoke', 0.02, fixed('5s'), capacity), perImage('quick', 0.02, fixed('1s'), capacity)],
        traffic: { arrivals: { process: 'poisson', rate: '2/s' }, mix: [{ name: 'app' }] },
        strategies: ['least-loaded', 'fastest', 'round-robin'],
      });
    });

    it('least-loaded sends more traffic to the less loaded provider', () => {
      const s = strategy(report, 'least-loaded');
      const share = attemptsAt(s, 'quick') / s.attempts.total;
      expect(share).toBeGreaterThan(0.7);
      // and it answers faster than an even split (round-robin) of the same requests
      expect(s.latencyMs.mean).toBeLessThan(strategy(report, 'round-robin').latencyMs.mean);
    });

    it('fastest sends more traffic to the faster provider', () => {
      const s = strategy(report, 'fastest');
      expect(attemptsAt(s, 'quick') / s.attempts.total).toBeGreaterThan(0.95);
      expect(s.latencyMs.p50).toBe(1 * SEC);
    });
  });

  it('score prefers the cheaper provider when error rates are equal', async () => {
    /*
     * Same latency (2 s) and the same failure rate (2 % server errors) at `cheapo` ($0.02) and
     * `pricey` ($0.04). With the default weights a score is price / cheapest + latency / fastest
     * + 10 × error rate: 1 + 1 + 10 e at cheapo against 2 + 1 + 10 e' at pricey, so cheapo comes
     * first unless its recent error rate runs 0.1 above pricey's, which happens now and then.
     */
    const flaky = { failures: { serverError: 0.02 } };
    const r = await run({
      duration: '1h',
      providers: [perImage('pricey', 0.04, fixed('2s'), flaky), perImage('cheapo', 0.02, fixed('2s'), flaky)],
      traffic: { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'app' }] },
      strategies: ['score'],
    });
    const s = strategy(r, 'score');
    // measured 0.943: cheapo's error-rate EWMA (about the last 20 attempts) jumps by 0.05 per
    // error, and two close errors put it 0.1 above pricey's, whose rate only moves when it is tried
    expect(attemptsAt(s, 'cheapo') / s.requests.total).toBeGreaterThan(0.9);
    expect(s.providers.cheapo!.succeeded).toBeGreaterThan(10 * s.providers.pricey!.succeeded);
  });

  it('conditional routes batch by its rule and interactive by its default', async () => {
    /*
     * `cheap` ($0.02, 10 s) and `quick` ($0.04, 1 s). Rule: batch → cheapest (cheap); default:
     * fastest (quick: predicted 1 s before it has seen anything, then observed 1 s). No failures,
     * so the attempts at each provider are exactly the requests of each class.
     */
    const r = await run({
      duration: '1h',
      providers: [perImage('cheap', 0.02, fixed('10s')), perImage('quick', 0.04, fixed('1s'))],
      traffic: {
        arrivals: { process: 'uniform', rate: '600/h' },
        mix: [
          { name: 'app', weight: 0.6, urgency: 'interactive', project: 'app' },
          { name: 'catalog', weight: 0.4, urgency: 'batch', deadline: '12h', project: 'catalog' },
        ],
      },
      strategies: [{ use: 'conditional', rules: [{ when: { urgency: 'batch' }, then: 'cheapest' }], default: 'fastest' }],
    });
    const s = strategy(r, 'conditional');
    const batch = slo(s, 'batch').requests;
    const interactive = slo(s, 'interactive').requests;
    expect(batch + interactive).toBe(600);
    expect(batch).toBeGreaterThan(180);
    expect(attemptsAt(s, 'cheap')).toBe(batch);
    expect(attemptsAt(s, 'quick')).toBe(interactive);
    expect(s.cost.byProject).toEqual({ app: expect.closeTo(interactive * 0.04, 9), catalog: expect.closeTo(batch * 0.02, 9) });
  });
});

// -------------------------------------------------------------------------------------------------
describe('scenarios/market-2026.yaml, its first week', () => {
  /*
   * The full scenario runs a month of 0.1 requests a second through 16 strategies (its story is
   * test/scenario/market-2026-story.test.ts); the first week (about 55,000 requests) of the
   * strategies the trade-offs need costs about 1 s per strategy. Deferral needs whole days: the
   * cheap hours it waits for (stepwise 02:00–06:00 UTC, gridwatt's Berlin night around 00:00 UTC)
   * must fall inside the run.
   *
   * `hedged` is compared with its own `base`, read from the scenario. Figures quoted beside the
   * checks were measured at seed 2026 on the scenario as it stands (hedged on cheapest, 20 s).
   */
  let report: Report;
  let names: string[];
  let hedgedName: string;
  let hedgedBase: string;

  beforeAll(async () => {
    const scenario = loadScenario(path.join(ROOT, 'scenarios/market-2026.yaml'));
    const hedgedRef = scenario.strategies.find((ref) => typeof ref === 'object' && 'use' in ref && ref.use === 'hedged');
    if (hedgedRef === undefined || typeof hedgedRef !== 'object' || !('base' in hedgedRef)) throw new Error('market-2026 has no hedged strategy');
    hedgedName = strategyDisplayName(hedgedRef);
    hedgedBase = strategyDisplayName(hedgedRef.base);
    names = [...new Set(['cheapest', 'deferral', hedgedName, hedgedBase, 'slo-aware'])];
    report = await simulate(scenario, { durationMs: 7 * DAY, strategies: names });
  }, 120_000);

  /** Batch spend (projects catalog and brand) per batch image delivered before its deadline. */
  const batchCostPerImage = (s: StrategyReport): number =>
    ((s.cost.byProject.catalog ?? 0) + (s.cost.byProject.brand ?? 0)) / slo(s, 'batch').attained;

  it('runs the strategies over the same requests', () => {
    expect(report.strategies.map((s) => s.name)).toEqual(names);
    const totals = new Set(report.strategies.map((s) => s.requests.total));
    expect(totals.size).toBe(1);
    expect([...totals][0]).toBeGreaterThan(50_000); // 0.1/s × 604,800 s × the week's pattern (weekend at 60%) ≈ 54,600
  });

  it('deferral has the lowest batch cost per image', () => {
    // measured: deferral $0.0282, slo-aware $0.0381, cheapest $0.0384, hedged $0.0421
    const deferral = strategy(report, 'deferral');
    expect(deferral.requests.deferred).toBeGreaterThan(0);
    for (const name of names.filter((n) => n !== 'deferral')) {
      expect.soft(batchCostPerImage(deferral), name).toBeLessThan(batchCostPerImage(strategy(report, name)));
    }
    // interactive work is never deferred: a deferral waits at least `checkEvery` (15 min), and no
    // interactive request took that long (measured max 72 s, the same request as under cheapest)
    expect(deferral.requests.deferred).toBeLessThanOrEqual(slo(deferral, 'batch').requests);
    expect(deferral.latencyByUrgency.interactive!.max).toBeLessThan(15 * MIN);
  });

  it('hedged costs more than its base and has a lower p99', () => {
    // measured against cheapest: $1,562 vs $1,461; p99 27.1 s vs 29.2 s
    const hedged = strategy(report, hedgedName);
    const base = strategy(report, hedgedBase);
    expect(hedged.attempts.hedges).toBeGreaterThan(0);
    expect(hedged.cost.total).toBeGreaterThan(base.cost.total);
    expect(hedged.latencyMs.p99).toBeLessThan(base.latencyMs.p99);
  });

  it('slo-aware buys latency with money: dearer per image, lower p95 than cheapest', () => {
    // measured: $0.0323 vs $0.0269 per image; p95 16.5 s vs 19.8 s (interactive 11.1 s vs 18.4 s)
    const aware = strategy(report, 'slo-aware');
    const cheapest = strategy(report, 'cheapest');
    expect(aware.cost.perSucceeded).toBeGreaterThan(cheapest.cost.perSucceeded);
    expect(aware.latencyMs.p95).toBeLessThan(cheapest.latencyMs.p95);
    expect(aware.latencyByUrgency.interactive!.p95).toBeLessThan(cheapest.latencyByUrgency.interactive!.p95);
  });

  it('shows the credits account in the report', () => {
    // Bought up front: the launch promotion (5,000 credits for $75, expiring after 3 days); then
    // monthly bundles (20,000 credits for $400) as the balance runs short. cheapest uses the
    // promotion up before day 3 (measured: 24,316 credits used in the week), so nothing expires.
    const credits = strategy(report, 'cheapest').credits.creditmill;
    expect(credits).toBeDefined();
    expect(credits!.used).toBeGreaterThan(0);
    expect(credits!.bought).toBeGreaterThanOrEqual(credits!.used);
    expect(credits!.bought).toBe(5_000 + (credits!.bundles - 1) * 20_000);
    expect(credits!.cash).toBeCloseTo(75 + (credits!.bundles - 1) * 400, 9);
    expect(credits!.expired).toBe(0);
    expect(strategy(report, 'cheapest').cost.byProvider.creditmill).toBeGreaterThan(0);
  });
});
