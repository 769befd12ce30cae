/**
 * The simulator against theory and exact arithmetic, through the public `simulate()` on small
 * scenarios built here. Every expected value is worked out by hand in the comment beside it.
 *
 * Engine facts the hand calculations rely on (src/sim/engine.ts, provider-runtime.ts):
 * - uniform arrivals at λ/s come at start, start + 1/λ, start + 2/λ, ... (before the end);
 * - an answer that needs no slot (`overloaded`, `rate-limited`, `server-error`) comes back after
 *   the error latency, DEFAULT_ERROR_LATENCY_MS = 200 ms when `failures.errorLatency` is unset;
 * - a 429's Retry-After is whole seconds, counted by the client from when the 429 arrives;
 * - latencyScaling defaults to linear: service = draw × steps × pixels / (30 × 1024²).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, StrategyReport } from '../../src/metrics/report-types.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';
import { provider, type ProviderInput } from './_provider.js';
import { DEFAULT_ERROR_LATENCY_MS } from '../../src/model/account.js';

type PricingInput = ProviderInput['pricing'];

/** 12 decimal digits: |actual − expected| < 5e-13, i.e. float rounding only. */
const EXACT = 12;
/** For sums of ~1,500 charges, whose float rounding adds up to ~1e-12: 9 digits. */
const LONG_SUM = 9;
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-engine-'));

/** Uniform arrivals at `rate`, every request 1024x1024 at 30 steps (the reference) for project `app`. */
function uniform(rate: string): ScenarioInput['traffic'] {
  return { arrivals: { process: 'uniform', rate }, mix: [{ name: 'ref', project: 'app' }] };
}

/** A scenario starting 2026-06-01T00:00:00Z (a Monday) with `cheapest` unless told otherwise. */
function scenario(over: Partial<ScenarioInput> & Pick<ScenarioInput, 'providers' | 'traffic'>): ScenarioInput {
  return { version: 1, name: 'engine-test', seed: 1, start: '2026-06-01T00:00:00Z', duration: '1m', ...over };
}

/** Runs a scenario object (relative paths resolve against TMP). */
async function run(obj: ScenarioInput, seed?: number): Promise<Report> {
  return simulate(scenarioFromObject(obj, path.join(TMP, 'scenario.yaml')), seed === undefined ? {} : { seed });
}

/** Runs a scenario with one strategy and returns its report. */
async function runOne(obj: ScenarioInput): Promise<StrategyReport> {
  const report = await run(obj);
  expect(report.strategies).toHaveLength(1);
  return report.strategies[0]!;
}

// ---------------------------------------------------------------------------------------------

/**
 * Erlang C: the probability that an arrival to an M/M/c queue waits, with offered load
 * a = λ/μ erlangs: C = (aᶜ/c!)·(c/(c − a)) / (Σₖ₌₀^{c−1} aᵏ/k! + (aᶜ/c!)·(c/(c − a))).
 * @param c - servers
 * @param a - offered load λ/μ, below c
 * @returns the probability of waiting
 */
function erlangC(c: number, a: number): number {
  let term = 1; // aᵏ/k!, from k = 0
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const waitTerm = ((term * a) / c) * (c / (c - a)); // (aᶜ/c!)·(c/(c − a))
  return waitTerm / (sum + waitTerm);
}

/**
 * Erlang B: the probability that an arrival to an M/G/c/c loss system (no queue) finds every
 * server busy, by the recurrence B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
 * @param c - servers
 * @param a - offered load λ/μ
 * @returns the blocking probability
 */
function erlangB(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

describe('queueing theory', () => {
  it('Erlang helpers match hand-computed values', () => {
    // C(4, 3): Σ_{k<4} 3ᵏ/k! = 1 + 3 + 4.5 + 4.5 = 13; 3⁴/4! = 3.375; × 4/(4 − 3) = 13.5;
    // C = 13.5 / (13 + 13.5) = 27/53 = 0.509433962...
    expect(erlangC(4, 3)).toBeCloseTo(27 / 53, EXACT);
    // C(1, a) = a (M/M/1: P(wait) = ρ).
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, EXACT);
    // B(4, 3) = 3.375 / (13 + 3.375) = 3.375 / 16.375 = 27/131 = 0.206106870...
    expect(erlangB(4, 3)).toBeCloseTo(27 / 131, EXACT);
  });

  it('M/M/4 at ρ = 0.75: mean latency within 3% of Erlang C', async () => {
    // λ = 3/s, μ = 1/s (exponential service, mean 1 s), c = 4: a = λ/μ = 3, ρ = a/c = 0.75.
    // W = 1/μ + C(4, 3)/(cμ − λ) = 1 s + (27/53)/(4 − 3) s = 1.509434 s = 1509.43 ms.
    // 200k requests: 200,000 / 3 per s = 66,667 s of simulated time. Seeds 1–20, 42 and 2026
    // all land within ±2.1% of W (seed 1: 1521.86 ms, +0.82%).
    const c = 4;
    const lambda = 3;
    const expectedMs = (1 + erlangC(c, lambda) / (c * 1 - lambda)) * 1000;
    expect(expectedMs).toBeCloseTo(1509.433962, 5);
    const s = await runOne(
      scenario({
        duration: '66667s',
        providers: [
          provider('mmc', {
            tiers: { standard: { latency: { dist: 'exponential', mean: '1s' } } },
            latencyScaling: 'none',
            capacity: { concurrency: c, queue: 1_000_000 },
          }),
        ],
        traffic: { arrivals: { process: 'poisson', rate: `${lambda}/s` }, mix: [{ name: 'x' }] },
        policy: { timeout: '1h', maxAttempts: 1 },
      }),
    );
    expect(s.requests.total).toBeGreaterThan(195_000);
    expect(s.requests.succeeded).toBe(s.requests.total); // huge queue, no failures, 1 h timeout
    expect(Math.abs(s.latencyMs.mean / expectedMs - 1)).toBeLessThan(0.03);
  });

  it('M/D/1 at ρ = 0.7: mean latency within 3% of Pollaczek–Khinchine', async () => {
    // Fixed 1 s service, λ = 0.7/s: Wq = ρ/(2μ(1 − ρ)) = 0.7/(2 × 0.3) = 1.1667 s;
    // W = 1 + 1.1667 = 2.1667 s. 100k requests = 142,857 s. Seeds 1–10 land within ±1.3%.
    const lambda = 0.7;
    const expectedMs = (1 + lambda / (2 * (1 - lambda))) * 1000;
    const s = await runOne(
      scenario({
        duration: '142857s',
        providers: [provider('md1', { tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } }, capacity: { concurrency: 1, queue: 1_000_000 } })],
        traffic: { arrivals: { process: 'poisson', rate: lambda }, mix: [{ name: 'x' }] },
        policy: { timeout: '1h', maxAttempts: 1 },
      }),
    );
    expect(s.requests.succeeded).toBe(s.requests.total);
    expect(Math.abs(s.latencyMs.mean / expectedMs - 1)).toBeLessThan(0.03);
  });

  it('M/M/4/4 (no queue) at a = 3: the overloaded fraction is within 3% of Erlang B', async () => {
    // B(4, 3) = 27/131 = 0.2061: that share of arrivals finds all 4 slots busy and gets
    // `overloaded`; with maxAttempts 1 those requests fail. 100k requests at 3/s = 33,334 s.
    const s = await runOne(
      scenario({
        duration: '33334s',
        providers: [
          provider('loss', {
            tiers: { standard: { latency: { dist: 'exponential', mean: '1s' } } },
            latencyScaling: 'none',
            capacity: { concurrency: 4, queue: 0 },
          }),
        ],
        traffic: { arrivals: { process: 'poisson', rate: '3/s' }, mix: [{ name: 'x' }] },
        policy: { timeout: '1h', maxAttempts: 1 },
      }),
    );
    const blocked = s.providers.loss!.outcomes.overloaded ?? 0;
    expect(blocked).toBe(s.requests.failed);
    expect(blocked + s.requests.succeeded).toBe(s.requests.total);
    expect(Math.abs(blocked / s.requests.total / erlangB(4, 3) - 1)).toBeLessThan(0.03);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * Five requests replayed from a trace (window 00:00–08:00 UTC, off-peak 02:00–06:00 UTC):
 *
 * | # | at    | size      | steps | quality | features              | project | prompt (chars → ⌈/4⌉ tokens) |
 * |---|-------|-----------|-------|---------|-----------------------|---------|------------------------------|
 * | 1 | 00:10 | 1024x1024 | 30    | —       | —                     | app     | 13 → 4                       |
 * | 2 | 01:00 | 1792x1024 | 60    | hd      | inpainting            | app     | 40 → 10                      |
 * | 3 | 02:30 | 1024x1024 | 15    | standard| controlnet            | batch   | 6 → 2   (off-peak)           |
 * | 4 | 05:59 | 1792x1024 | 45    | hd      | —                     | batch   | 18 → 5  (off-peak)           |
 * | 5 | 06:00 | 1024x1024 | 60    | standard| inpainting, controlnet| app     | 4 → 1   (window ended: 06:00 is exclusive) |
 *
 * `at` is written four ways: ms after start, ISO instant, a duration string, ms as a digit string.
 * The USD models share the modifiers inpainting +$0.01, controlnet ×1.5 and off-peak ×0.7
 * (multipliers before add-ons, off-peak after both).
 */
const TRACE_ROWS = [
  { at: 600_000, size: '1024x1024', steps: 30, project: 'app', prompt: 'a red bicycle' },
  { at: '2026-06-01T01:00:00Z', size: '1792x1024', steps: 60, quality: 'hd', features: ['inpainting'], project: 'app', prompt: 'a lighthouse on a cliff at dusk, in oils' },
  { at: '150m', size: '1024x1024', steps: 15, quality: 'standard', features: ['controlnet'], project: 'batch', prompt: 'sunset' },
  { at: '2026-06-01T05:59:00Z', size: '1792x1024', steps: 45, quality: 'hd', project: 'batch', prompt: 'portrait of an owl' },
  { at: '21600000', size: '1024x1024', steps: 60, quality: 'standard', features: ['inpainting', 'controlnet'], project: 'app', prompt: 'cats' },
];
const TRACE_FILE = path.join(TMP, 'five-rows.jsonl');
writeFileSync(TRACE_FILE, TRACE_ROWS.map((row) => JSON.stringify(row)).join('\n') + '\n');

const USD_MODIFIERS: Pick<Extract<PricingInput, { model: 'per-image' }>, 'features' | 'offPeak'> = {
  features: { inpainting: { add: 0.01 }, controlnet: { multiply: 1.5 } },
  offPeak: [{ from: '02:00', to: '06:00', tz: 'UTC', discount: 0.3 }],
};

interface PricingCase {
  readonly model: string;
  readonly pricing: PricingInput;
  /** Prices of rows 1–5, each worked out in the table's comment. */
  readonly rows: readonly [number, number, number, number, number];
}

const PRICING_CASES: readonly PricingCase[] = [
  {
    // Sizes table with quality maps; a request without quality gets the first listed (standard).
    // 1: 0.04                          = 0.04
    // 2: 0.12 (1792 hd) + 0.01         = 0.13
    // 3: 0.04 × 1.5 × 0.7              = 0.042
    // 4: 0.12 × 0.7                    = 0.084
    // 5: 0.04 × 1.5 + 0.01             = 0.07
    // total 0.366; app 0.04 + 0.13 + 0.07 = 0.24; batch 0.042 + 0.084 = 0.126
    model: 'per-image',
    pricing: {
      model: 'per-image',
      price: 0.04,
      sizes: { '1024x1024': { standard: 0.04, hd: 0.08 }, '1792x1024': { standard: 0.08, hd: 0.12 } },
      ...USD_MODIFIERS,
    },
    rows: [0.04, 0.13, 0.042, 0.084, 0.07],
  },
  {
    // base 0.002 + 0.001 × max(steps, 20):
    // 1: 0.002 + 0.030                 = 0.032
    // 2: 0.002 + 0.060 + 0.01          = 0.072
    // 3: (0.002 + 0.020) × 1.5 × 0.7   = 0.022 × 1.05 = 0.0231   (15 steps billed as 20)
    // 4: (0.002 + 0.045) × 0.7         = 0.0329
    // 5: (0.002 + 0.060) × 1.5 + 0.01  = 0.093 + 0.01 = 0.103
    // total 0.263; app 0.032 + 0.072 + 0.103 = 0.207; batch 0.0231 + 0.0329 = 0.056
    model: 'per-step',
    pricing: { model: 'per-step', perStep: 0.001, base: 0.002, minSteps: 20, ...USD_MODIFIERS },
    rows: [0.032, 0.072, 0.0231, 0.0329, 0.103],
  },
  {
    // tokens × $5/M in + output tokens × $40/M out (= $0.000005 and $0.00004 a token);
    // output tokens: 1024x1024 standard 1056, hd 4160; 1792x1024 standard 1584, hd 6240.
    // 1: 4 × 0.000005 + 1056 × 0.00004 = 0.00002 + 0.04224                     = 0.04226
    // 2: 10 × 0.000005 + 6240 × 0.00004 + 0.01 = 0.00005 + 0.2496 + 0.01        = 0.25965
    // 3: (2 × 0.000005 + 0.04224) × 1.5 × 0.7 = 0.04225 × 1.05                  = 0.0443625
    // 4: (5 × 0.000005 + 0.2496) × 0.7 = 0.249625 × 0.7                         = 0.1747375
    // 5: (1 × 0.000005 + 0.04224) × 1.5 + 0.01 = 0.0633675 + 0.01               = 0.0733675
    // total 0.5943775; app 0.3752775; batch 0.2191
    model: 'per-token',
    pricing: {
      model: 'per-token',
      inputPerMillion: 5,
      outputPerMillion: 40,
      outputTokens: { '1024x1024': { standard: 1056, hd: 4160 }, '1792x1024': { standard: 1584, hd: 6240 } },
      ...USD_MODIFIERS,
    },
    rows: [0.04226, 0.25965, 0.0443625, 0.1747375, 0.0733675],
  },
  {
    // MP × 0.025 × max(1, steps / 30) × quality (standard 1, hd 2; none → standard):
    // 1024x1024 = 1.048576 MP → 0.0262144; 1792x1024 = 1.835008 MP → 0.0458752.
    // 1: 0.0262144 × 1                       = 0.0262144
    // 2: 0.0458752 × 2 × 2 + 0.01            = 0.1835008 + 0.01 = 0.1935008
    // 3: 0.0262144 × 1 (15 < 30) × 1.5 × 0.7 = 0.02752512
    // 4: 0.0458752 × 1.5 × 2 × 0.7           = 0.1376256 × 0.7 = 0.09633792
    // 5: 0.0262144 × 2 × 1.5 + 0.01          = 0.0786432 + 0.01 = 0.0886432
    // total 0.43222144; app 0.3083584; batch 0.12386304
    model: 'per-megapixel',
    pricing: { model: 'per-megapixel', perMegapixel: 0.025, includedSteps: 30, quality: { standard: 1, hd: 2 }, ...USD_MODIFIERS },
    rows: [0.0262144, 0.1935008, 0.02752512, 0.09633792, 0.0886432],
  },
  {
    // $0.01 per service second; service = 2 s × steps × pixels / (30 × 1024²) (linear scaling;
    // 1792x1024 has 1.75× the pixels):
    // 1: 2 s × 1                      = 2 s    → 0.02
    // 2: 2 s × 1.75 × 2 = 7 s          → 0.07 + 0.01          = 0.08
    // 3: 2 s × 0.5 = 1 s               → 0.01 × 1.5 × 0.7     = 0.0105
    // 4: 2 s × 1.75 × 1.5 = 5.25 s     → 0.0525 × 0.7         = 0.03675
    // 5: 2 s × 2 = 4 s                 → 0.04 × 1.5 + 0.01    = 0.07
    // total 0.21725; app 0.17; batch 0.04725
    model: 'compute-time',
    pricing: { model: 'compute-time', perSecond: 0.01, ...USD_MODIFIERS },
    rows: [0.02, 0.08, 0.0105, 0.03675, 0.07],
  },
  {
    // 1 credit an image, inpainting +2 credits, controlnet +1 credit; bundles of 5 credits for
    // $0.50 = $0.10 a credit, bought automatically (no off-peak for credits: credits stay whole).
    // 1: 1 credit = 0.1; 2: 1 + 2 = 3 credits = 0.3; 3: 1 + 1 = 2 = 0.2; 4: 1 = 0.1;
    // 5: 1 + 2 + 1 = 4 = 0.4. 11 credits: total 1.1; app 0.1 + 0.3 + 0.4 = 0.8; batch 0.3.
    model: 'credits',
    pricing: {
      model: 'credits',
      perImage: 1,
      features: { inpainting: { add: 2 }, controlnet: { add: 1 } },
      bundles: [{ credits: 5, price: 0.5 }],
      purchase: 'auto',
    },
    rows: [0.1, 0.3, 0.2, 0.1, 0.4],
  },
];

/** A one-provider scenario replaying the five-row trace over 00:00–08:00. */
function traceScenario(pricing: PricingInput): ScenarioInput {
  return scenario({
    duration: '8h',
    providers: [provider('p', { pricing, supports: { features: ['inpainting', 'controlnet'] } })],
    traffic: { trace: TRACE_FILE },
    strategies: ['cheapest'],
    // A budget far above the spend, so that `budget.spent` tracks it (without one it stays 0).
    budget: { limit: 1000 },
  });
}

describe('exact costs of a replayed trace', () => {
  it.each(PRICING_CASES)('bills every row of the trace at its hand-computed $model price', async ({ pricing, rows }) => {
    const s = await runOne(traceScenario(pricing));
    const [r1, r2, r3, r4, r5] = rows;
    const total = r1 + r2 + r3 + r4 + r5;
    expect(s.requests).toEqual({ total: 5, succeeded: 5, failed: 0, rejected: 0, deferred: 0 });
    expect(s.cost.total).toBeCloseTo(total, EXACT);
    expect(s.cost.wasted).toBe(0);
    expect(s.cost.perSucceeded).toBeCloseTo(total / 5, EXACT);
    expect(Object.keys(s.cost.byProvider)).toEqual(['p']);
    expect(s.cost.byProvider.p).toBeCloseTo(total, EXACT);
    expect(Object.keys(s.cost.byProject)).toEqual(['app', 'batch']);
    expect(s.cost.byProject.app).toBeCloseTo(r1 + r2 + r5, EXACT);
    expect(s.cost.byProject.batch).toBeCloseTo(r3 + r4, EXACT);
    expect(s.budget.spent).toBeCloseTo(total, EXACT);
  });

  it('pins the literal totals of the table', () => {
    // Guards the table against a typo that would change a row and its total together.
    const totals = PRICING_CASES.map((c) => [c.model, c.rows.reduce((a, b) => a + b, 0)] as const);
    const expected: Record<string, number> = {
      'per-image': 0.366,
      'per-step': 0.263,
      'per-token': 0.5943775,
      'per-megapixel': 0.43222144,
      'compute-time': 0.21725,
      credits: 1.1,
    };
    for (const [model, total] of totals) expect(total).toBeCloseTo(expected[model]!, EXACT);
  });

  it('reports the credits ledger: 3 bundles of 5 bought, 11 used, $1.50 cash, nothing expired', async () => {
    // Spending (at each answer): row 1 needs 1 of 0 → buy 5, 4 left; row 2: 3 → 1 left;
    // row 3: 2 > 1 → buy 5 → 6, 4 left; row 4: 1 → 3 left; row 5: 4 > 3 → buy 5 → 8, 4 left.
    // bought 15, used 11, cash 3 × 0.50 = 1.50; the 4 left never expire (no expiresAfter).
    const s = await runOne(traceScenario(PRICING_CASES[5]!.pricing));
    const credits = s.credits.p!;
    expect(credits.bought).toBe(15);
    expect(credits.used).toBe(11);
    expect(credits.expired).toBe(0);
    expect(credits.cash).toBeCloseTo(1.5, EXACT);
    expect(credits.bundles).toBe(3);
    expect(s.cost.total).toBeCloseTo(1.1, EXACT); // credits used × $0.10, not the cash paid
  });

  it('adds credits that expire unused inside the window to cost and to waste', async () => {
    // Bundles of 6 credits for $0.60 ($0.10 a credit) expiring 2 h after purchase. Credits are
    // spent when the answer comes back (row start + service: 2 s, 7 s, 1 s, 5.25 s, 4 s):
    // 00:10:02 row 1 buys A (expires 02:10:02), uses 1 → 5; 01:00:07 row 2 uses 3 → 2 left;
    // 02:10:02 A expires with 2 credits ($0.20 wasted);
    // 02:30:01 row 3 buys B (expires 04:30:01), uses 2 → 4; 04:30:01 B expires with 4 ($0.40);
    // 05:59:05.25 row 4 buys C (expires 07:59:05.25), uses 1 → 5; 06:00:04 row 5 uses 4 → 1;
    // 07:59:05.25 C expires with 1 ($0.10), before the window ends at 08:00.
    // bought 18, used 11, expired 2 + 4 + 1 = 7, cash 3 × 0.60 = 1.80;
    // cost = used 11 × 0.10 + expired 7 × 0.10 = 1.10 + 0.70 = 1.80; wasted = 0.70.
    // Expiry belongs to no project: byProject still sums to 1.10 (app 0.8, batch 0.3).
    const s = await runOne(
      traceScenario({
        model: 'credits',
        perImage: 1,
        features: { inpainting: { add: 2 }, controlnet: { add: 1 } },
        bundles: [{ credits: 6, price: 0.6, expiresAfter: '2h' }],
        purchase: 'auto',
      }),
    );
    const credits = s.credits.p!;
    expect(credits.bought).toBe(18);
    expect(credits.used).toBe(11);
    expect(credits.expired).toBe(7);
    expect(credits.cash).toBeCloseTo(1.8, EXACT);
    expect(credits.expiredUsd).toBeCloseTo(0.7, EXACT);
    expect(credits.bundles).toBe(3);
    expect(s.cost.total).toBeCloseTo(1.8, EXACT);
    expect(s.cost.wasted).toBeCloseTo(0.7, EXACT);
    expect(s.cost.byProvider.p).toBeCloseTo(1.8, EXACT);
    expect(s.cost.byProject.app).toBeCloseTo(0.8, EXACT);
    expect(s.cost.byProject.batch).toBeCloseTo(0.3, EXACT);
  });
});

// ---------------------------------------------------------------------------------------------

describe('exact latency percentiles with fixed inputs', () => {
  it('a fixed 2000 ms service with ample capacity gives 2000 ms at every percentile', async () => {
    // 1/s for 60 s: 60 requests, each served at once in exactly 2000 ms.
    const s = await runOne(scenario({ providers: [provider('p')], traffic: uniform('1/s') }));
    expect(s.requests.succeeded).toBe(60);
    expect(s.latencyMs).toEqual({ mean: 2000, p50: 2000, p90: 2000, p95: 2000, p99: 2000, max: 2000 });
    // 60 × $0.04 = $2.40
    expect(s.cost.total).toBeCloseTo(2.4, EXACT);
  });

  it('a strategy that asks for the turbo tier gets its fixed 400 ms and its price multiplier', async () => {
    const s = await runOne(
      scenario({
        providers: [
          provider('p', {
            tiers: {
              standard: { latency: { dist: 'fixed', value: '2s' } },
              turbo: { latency: { dist: 'fixed', value: '400ms' }, priceMultiplier: 1.5 },
            },
          }),
        ],
        traffic: uniform('1/s'),
        strategies: [{ use: 'cheapest', tier: 'turbo' }],
      }),
    );
    expect(s.requests.succeeded).toBe(60);
    expect(s.latencyMs).toEqual({ mean: 400, p50: 400, p90: 400, p95: 400, p99: 400, max: 400 });
    // 60 × $0.04 × 1.5 = $3.60
    expect(s.cost.total).toBeCloseTo(3.6, EXACT);
  });

  it('linear latency scaling doubles the service time of 60 steps against a 30-step reference', async () => {
    // 2000 ms × (60 × 1024²) / (30 × 1024²) = 4000 ms; with latencyScaling none it stays 2000.
    const traffic: ScenarioInput['traffic'] = { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'long', steps: 60 }] };
    const linear = await runOne(scenario({ providers: [provider('p', { latencyScaling: 'linear', reference: { size: '1024x1024', steps: 30 } })], traffic }));
    expect(linear.latencyMs).toEqual({ mean: 4000, p50: 4000, p90: 4000, p95: 4000, p99: 4000, max: 4000 });
    const none = await runOne(scenario({ providers: [provider('p', { latencyScaling: 'none' })], traffic }));
    expect(none.latencyMs).toEqual({ mean: 2000, p50: 2000, p90: 2000, p95: 2000, p99: 2000, max: 2000 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('exact failover splits', () => {
  it('a one-slot primary with no queue sends every other request to the backup', async () => {
    // Requests at 0, 1, 2, ... 19 s. A (fixed 1.5 s, 1 slot, queue 0) takes the one at 0 s and
    // is busy until 1.5 s, so the one at 1 s is `overloaded`; it is free again at 2 s, and so on:
    // even seconds served by A in 1500 ms, odd seconds refused (answer after 200 ms) and failed
    // over to B (fixed 1 s): 200 + 1000 = 1200 ms.
    // A: 20 attempts, 10 success, 10 overloaded; B: 10 attempts, 10 success; 10 failovers.
    // Latency: 10 × 1200 and 10 × 1500 → mean 1350; p50 = 10th of 20 = 1200; p90..max = 1500.
    // Cost: A 10 × 0.02 = 0.20, B 10 × 0.05 = 0.50, total 0.70.
    const s = await runOne(
      scenario({
        duration: '20s',
        providers: [
          provider('a', {
            pricing: { model: 'per-image', price: 0.02 },
            tiers: { standard: { latency: { dist: 'fixed', value: '1500ms' } } },
            capacity: { concurrency: 1, queue: 0 },
          }),
          provider('b', { pricing: { model: 'per-image', price: 0.05 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }),
        ],
        traffic: uniform('1/s'),
        strategies: [{ use: 'failover', order: ['a', 'b'] }],
      }),
    );
    expect(DEFAULT_ERROR_LATENCY_MS).toBe(200);
    expect(s.requests).toEqual({ total: 20, succeeded: 20, failed: 0, rejected: 0, deferred: 0 });
    expect(s.attempts).toEqual({ total: 30, retries: 0, failovers: 10, recovered: 10, exhausted: 0, hedges: 0 });
    expect(s.providers.a).toMatchObject({ attempts: 20, succeeded: 10, outcomes: { overloaded: 10, success: 10 } });
    expect(s.providers.b).toMatchObject({ attempts: 10, succeeded: 10, outcomes: { success: 10 } });
    expect(s.latencyMs).toEqual({ mean: 1350, p50: 1200, p90: 1500, p95: 1500, p99: 1500, max: 1500 });
    expect(s.cost.byProvider.a).toBeCloseTo(0.2, EXACT);
    expect(s.cost.byProvider.b).toBeCloseTo(0.5, EXACT);
    expect(s.cost.total).toBeCloseTo(0.7, EXACT);
  });

  it('requests during an outage of the primary fail over; the rest stay', async () => {
    // Outage of A over [10 s, 15 s): a(t) = 0 → `overloaded` fast (200 ms). Requests at 0..19 s:
    // those at 10, 11, 12, 13, 14 s fail over to B (5); 15 s is back on A (the span is half-open).
    // A: 20 attempts, 15 success, 5 overloaded; B: 5 success. Latency 15 × 1000 + 5 × 1200:
    // mean (15,000 + 6,000)/20 = 1050; p50 = 10th = 1000; p90 = 18th = 1200.
    const s = await runOne(
      scenario({
        duration: '20s',
        providers: [
          provider('a', { tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } }, availability: { outages: [{ at: '10s', duration: '5s' }] } }),
          provider('b', { pricing: { model: 'per-image', price: 0.05 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }),
        ],
        traffic: uniform('1/s'),
        strategies: [{ use: 'failover', order: ['a', 'b'] }],
      }),
    );
    expect(s.requests.succeeded).toBe(20);
    expect(s.attempts).toEqual({ total: 25, retries: 0, failovers: 5, recovered: 5, exhausted: 0, hedges: 0 });
    expect(s.providers.a).toMatchObject({ attempts: 20, succeeded: 15, outcomes: { overloaded: 5, success: 15 } });
    expect(s.providers.b).toMatchObject({ attempts: 5, succeeded: 5, outcomes: { success: 5 } });
    expect(s.latencyMs).toEqual({ mean: 1050, p50: 1000, p90: 1200, p95: 1200, p99: 1200, max: 1200 });
    // A 15 × 0.04 = 0.60, B 5 × 0.05 = 0.25
    expect(s.cost.byProvider.a).toBeCloseTo(0.6, EXACT);
    expect(s.cost.byProvider.b).toBeCloseTo(0.25, EXACT);
  });
});

// ---------------------------------------------------------------------------------------------

describe('timeouts', () => {
  /** Fixed 5 s service against a 2 s client timeout, one attempt, 1/s for 10 s. */
  function slow(billing: { timeout: boolean }): ScenarioInput {
    return scenario({
      duration: '10s',
      providers: [provider('p', { pricing: { model: 'per-image', price: 0.04, billing }, tiers: { standard: { latency: { dist: 'fixed', value: '5s' } } } })],
      traffic: uniform('1/s'),
      policy: { timeout: '2s', maxAttempts: 1 },
    });
  }

  it('fails every request with `timeout` and counts no latency; unbilled by default', async () => {
    const s = await runOne(slow({ timeout: false }));
    expect(s.requests).toEqual({ total: 10, succeeded: 0, failed: 10, rejected: 0, deferred: 0 });
    expect(s.successRate).toBe(0);
    expect(s.providers.p).toMatchObject({ attempts: 10, succeeded: 0, outcomes: { timeout: 10 } });
    expect(s.failures).toEqual({ timeout: 10 });
    // `timeout` is retryable, but maxAttempts 1 leaves no attempt: each request is exhausted.
    expect(s.attempts).toEqual({ total: 10, retries: 0, failovers: 0, recovered: 0, exhausted: 10, hedges: 0 });
    expect(s.latencyMs).toEqual({ mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
    expect(s.cost.total).toBe(0);
    expect(s.cost.wasted).toBe(0);
  });

  it('bills the abandoned work when billing.timeout is true, all of it wasted', async () => {
    // The provider finishes each 5 s generation after the client left: 10 × $0.04 = $0.40.
    const s = await runOne(slow({ timeout: true }));
    expect(s.requests.failed).toBe(10);
    expect(s.providers.p!.outcomes.timeout).toBe(10);
    expect(s.cost.total).toBeCloseTo(0.4, EXACT);
    expect(s.cost.wasted).toBeCloseTo(0.4, EXACT);
    expect(s.cost.byProject.app).toBeCloseTo(0.4, EXACT);
    expect(s.latencyMs.max).toBe(0);
  });

  it.each([
    { service: '1s', billed: true, costUsd: 0.4 },
    { service: '5s', billed: true, costUsd: 0.4 },
    { service: '1s', billed: false, costUsd: 0 },
    { service: '5s', billed: false, costUsd: 0 },
  ])('bills a drawn `timeout` failure per billing.timeout ($billed) whether its work ends before or after the deadline ($service)', async ({ service, billed, costUsd }) => {
    // failures.timeout = 1: the provider never answers; the client gives up at 2 s. The GPU
    // works for `service` either way, so billing.timeout decides: 10 × $0.04 = $0.40, or $0.
    const s = await runOne(
      scenario({
        duration: '10s',
        providers: [
          provider('p', {
            pricing: { model: 'per-image', price: 0.04, billing: { timeout: billed } },
            tiers: { standard: { latency: { dist: 'fixed', value: service } } },
            failures: { timeout: 1 },
          }),
        ],
        traffic: uniform('1/s'),
        policy: { timeout: '2s', maxAttempts: 1 },
      }),
    );
    expect(s.providers.p!.outcomes).toEqual({ timeout: 10 });
    expect(s.requests.failed).toBe(10);
    expect(s.cost.total).toBeCloseTo(costUsd, EXACT);
    expect(s.cost.wasted).toBeCloseTo(costUsd, EXACT);
  });
});

// ---------------------------------------------------------------------------------------------

describe('rate limits', () => {
  it('retries a 429 after its Retry-After and serves at most the limit', async () => {
    // Token bucket of 1, refilled at 60/min = 1 a second; requests every 0.5 s (0, 0.5, ..., 9.5 s),
    // fixed 1 s service, maxAttempts 2.
    // - at k s (k = 0..9): the bucket is full again (the last take was at k − 1) → served, 1000 ms;
    // - at k + 0.5 s: 0.5 tokens → 429 with Retry-After ⌈0.5 s⌉ = 1 s; the 429 arrives 200 ms
    //   later, so the retry goes at k + 0.7 + 1 = k + 1.7 s; but the request at k + 1 took the
    //   token, so the retry finds 0.7 tokens → 429 again → exhausted (k = 0..8: 9 requests);
    // - the last one (9.5 s) retries at 10.7 s, when no one competes: 1.7 → 1 token → served;
    //   latency 200 (429 round trip) + 1000 (Retry-After) + 1000 (service) = 2200 ms.
    // Requests 20: 11 succeeded, 9 failed. Attempts 20 + 10 retries = 30: 11 success, 19
    // rate-limited. Latency: 10 × 1000 + 2200 → mean 12,200/11 = 1109.09; p50 = p90 = 1000
    // (10th of 11); p95 = p99 = max = 2200. Cost 11 × $0.04 = $0.44 (429s are free).
    const s = await runOne(
      scenario({
        duration: '10s',
        providers: [provider('p', { rateLimit: { rpm: 60, burst: 1 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } })],
        traffic: uniform('2/s'),
        policy: { maxAttempts: 2 },
      }),
    );
    expect(s.requests).toEqual({ total: 20, succeeded: 11, failed: 9, rejected: 0, deferred: 0 });
    expect(s.attempts).toEqual({ total: 30, retries: 10, failovers: 0, recovered: 1, exhausted: 9, hedges: 0 });
    expect(s.providers.p!.outcomes).toEqual({ 'rate-limited': 19, success: 11 });
    expect(s.failures).toEqual({ 'rate-limited': 9 });
    expect(s.latencyMs.mean).toBeCloseTo(12_200 / 11, 9);
    expect(s.latencyMs.p50).toBe(1000);
    expect(s.latencyMs.p90).toBe(1000);
    expect(s.latencyMs.max).toBe(2200);
    expect(s.latencyMs.max).toBeGreaterThanOrEqual(1000 /* Retry-After */ + 1000 /* service */);
    expect(s.cost.total).toBeCloseTo(0.44, EXACT);
  });

  it('refuses attempts once the spend quota of the period is used, and spends no more than it', async () => {
    // Quota $0.20 per 10 s at $0.04 an image = 5 images per period. Requests every second for
    // 30 s, served in 500 ms (each is billed before the next is sent). In each 10 s period the
    // first 5 are served and the next 5 get 429 `insufficient_quota`; maxAttempts 1.
    // 3 periods: 15 succeeded, 15 rate-limited; cost 3 × $0.20 = $0.60.
    const s = await runOne(
      scenario({
        duration: '30s',
        providers: [provider('p', { quota: { limit: 0.2, period: '10s' }, tiers: { standard: { latency: { dist: 'fixed', value: '500ms' } } } })],
        traffic: uniform('1/s'),
        policy: { maxAttempts: 1 },
      }),
    );
    expect(s.requests).toEqual({ total: 30, succeeded: 15, failed: 15, rejected: 0, deferred: 0 });
    expect(s.providers.p!.outcomes).toEqual({ 'rate-limited': 15, success: 15 });
    expect(s.cost.total).toBeCloseTo(0.6, EXACT);
    expect(s.latencyMs.max).toBe(500);
  });
});

// ---------------------------------------------------------------------------------------------

/** Two providers with lognormal latencies and every kind of drawn failure, 2/s Poisson for 30 min. */
function noisyMarket(strategies: ScenarioInput['strategies']): ScenarioInput {
  return scenario({
    duration: '30m',
    providers: [
      provider('a', {
        tiers: { standard: { latency: { dist: 'lognormal', median: '2s', p99: '8s' } } },
        failures: { serverError: 0.1, timeout: 0.02, generative: 0.05, errorLatency: { dist: 'uniform', min: '50ms', max: '400ms' } },
        capacity: { concurrency: 4, queue: 8 },
      }),
      provider('b', {
        pricing: { model: 'per-step', perStep: 0.002 },
        tiers: { standard: { latency: { dist: 'lognormal', median: '1s', p99: '5s' } } },
        failures: { serverError: 0.2, generative: 0.05 },
      }),
    ],
    traffic: { arrivals: { process: 'poisson', rate: '2/s' }, mix: [{ name: 'x', steps: { min: 20, max: 40 }, project: 'app' }] },
    policy: { timeout: '10s', maxAttempts: 4 },
    strategies,
  });
}

describe('determinism and common random numbers', () => {
  it('the same scenario and seed give identical reports; another seed does not', async () => {
    const obj = noisyMarket(['cheapest']);
    const first = await run(obj);
    const again = await run(obj);
    expect(again).toEqual(first);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
    const other = await run(obj, 2);
    expect(other.seed).toBe(2);
    expect(other.strategies[0]!.latencyMs).not.toEqual(first.strategies[0]!.latencyMs);
    expect(other.strategies[0]!.requests.total).not.toBe(first.strategies[0]!.requests.total);
  });

  it('two copies of the same built-in under different names see the same luck and give the same numbers', async () => {
    // Retries (a provider tried again after failing) draw backoff jitter; failures, latencies
    // and jitter must all be the same for both, so only the name differs.
    // The third strategy ranks the same way by other means: a costs $0.04 and b $0.002 × 20..40
    // steps = $0.04..$0.08 (a tie at 20 steps goes to the first provider), so `cheapest` always
    // tries [a, b], exactly the `failover` order: different strategies, same decisions, same numbers.
    const report = await run(
      noisyMarket([
        { use: 'cheapest', name: 'a' },
        { use: 'cheapest', name: 'b' },
        { use: 'failover', name: 'c', order: ['a', 'b'] },
      ]),
    );
    const [a, b, c] = report.strategies;
    expect(a!.name).toBe('a');
    expect(b!.name).toBe('b');
    expect(a!.attempts.retries).toBeGreaterThan(0); // the comparison covers jittered retries
    expect(a!.attempts.failovers).toBeGreaterThan(0);
    expect(a!.providers.a!.outcomes.timeout).toBeGreaterThan(0);
    expect({ ...b!, name: 'a' }).toEqual(a);
    expect({ ...c!, name: 'a' }).toEqual(a);
  });
});

// ---------------------------------------------------------------------------------------------

describe('generative failures', () => {
  /** One provider, generative probability 0.2, $0.04 an image, 2/s for 10 min, 3 attempts. */
  function generative(billGenerative: boolean): ScenarioInput {
    return scenario({
      duration: '10m',
      providers: [
        provider('p', {
          pricing: { model: 'per-image', price: 0.04, billing: { generative: billGenerative } },
          failures: { generative: 0.2 },
        }),
      ],
      traffic: { arrivals: { process: 'poisson', rate: '2/s' }, mix: [{ name: 'x', project: 'app' }] },
      policy: { maxAttempts: 3 },
    });
  }

  it('bills failed generations as waste and retries them', async () => {
    const s = await runOne(generative(true));
    const p = s.providers.p!;
    const g = p.outcomes.generative ?? 0;
    // Each attempt either succeeds or fails generatively; every failure but a third one is
    // retried at the same provider: attempts = requests + retries, failed = 3 failures in a row.
    expect(p.outcomes).toEqual({ generative: g, success: s.requests.succeeded });
    expect(s.attempts.total).toBe(g + s.requests.succeeded);
    expect(s.attempts.retries).toBe(s.attempts.total - s.requests.total);
    expect(s.attempts.retries).toBe(g - s.requests.failed);
    expect(s.attempts.exhausted).toBe(s.requests.failed);
    expect(s.failures).toEqual(s.requests.failed === 0 ? {} : { generative: s.requests.failed });
    // Every attempt costs $0.04; the generative ones are waste.
    expect(s.cost.wasted).toBeCloseTo(g * 0.04, LONG_SUM);
    expect(s.cost.total).toBeCloseTo((g + s.requests.succeeded) * 0.04, LONG_SUM);
    // The draws are Bernoulli(0.2): ~1,200 requests × (1 + 0.2 + 0.04) ≈ 1,488 attempts, ~298
    // generative (sd ≈ 15); P(three in a row) = 0.008 → ~10 requests fail.
    expect(g / s.attempts.total).toBeGreaterThan(0.16);
    expect(g / s.attempts.total).toBeLessThan(0.24);
    expect(s.attempts.recovered).toBeGreaterThan(0);
  });

  it('charges nothing for failed generations when billing.generative is false', async () => {
    const billed = await runOne(generative(true));
    const free = await runOne(generative(false));
    // Same seed, same draws: the same attempts fail; only the bill differs by the waste.
    expect(free.providers.p!.outcomes).toEqual(billed.providers.p!.outcomes);
    expect(free.cost.wasted).toBe(0);
    expect(free.cost.total).toBeCloseTo(free.requests.succeeded * 0.04, LONG_SUM);
    expect(free.cost.total).toBeCloseTo(billed.cost.total - billed.cost.wasted, LONG_SUM);
  });
});
