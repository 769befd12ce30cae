/**
 * A gateway's fees in simulated time (a strategy's `fees:`, docs/gateways.md#fees), through the
 * public `simulate()` on small scenarios: every figure worked out by hand beside it. Two
 * strategies that route alike, one direct and one through a gateway, see the same requests and
 * the same provider luck, so the gateway's bill is the direct one plus its fees.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, StrategyReport } from '../../src/metrics/report-types.js';
import { compareReports } from '../../src/report/compare.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSummaryTable } from '../../src/report/summary-table.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';
import { provider } from './_provider.js';
import { cli } from '../cli/_cli.js';

type Fees = Record<string, unknown>;

const EXACT = 12;
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-fees-'));

/**
 * One minute of uniform arrivals at 1/s (60 requests, 1024x1024, project `app`) at `flat`,
 * routed by `cheapest` directly and through a gateway charging `fees`.
 */
function directVsGateway(fees: Fees, over: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    version: 1,
    name: 'fees-test',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    duration: '1m',
    providers: [provider('flat')],
    traffic: { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'ref', project: 'app' }] },
    strategies: [
      { use: 'cheapest', name: 'direct' },
      { use: 'cheapest', name: 'gateway', fees },
    ],
    ...over,
  };
}

async function run(obj: ScenarioInput): Promise<{ report: Report; direct: StrategyReport; gateway: StrategyReport }> {
  const report = await simulate(scenarioFromObject(obj, path.join(TMP, 'scenario.yaml')));
  const [direct, gateway] = report.strategies;
  return { report, direct: direct!, gateway: gateway! };
}

describe('fees factor by factor', () => {
  it('marks up each billed amount: 5% of 60 × $0.04 = $0.12', async () => {
    const { direct, gateway } = await run(directVsGateway({ markup: '5%' }));
    expect(direct.cost.total).toBeCloseTo(2.4, EXACT);
    expect(direct.cost).not.toHaveProperty('fees');
    expect(gateway.cost.byProvider.flat).toBeCloseTo(2.4, EXACT);
    expect(gateway.cost.fees).toEqual({ total: expect.closeTo(0.12, EXACT), markup: expect.closeTo(0.12, EXACT), perGeneration: 0, perMillionTokens: 0, monthly: 0, creditPurchase: 0 });
    // The fees are in the total, the cost per image, the request's groups and the budget.
    expect(gateway.cost.total).toBeCloseTo(2.52, EXACT);
    expect(gateway.cost.perSucceeded).toBeCloseTo(2.52 / 60, EXACT);
    expect(gateway.cost.byProject.app).toBeCloseTo(2.52, EXACT);
    expect(gateway.cost.byClass?.ref).toBeCloseTo(2.52, EXACT);
    expect(gateway.budget.spent).toBeCloseTo(2.52, EXACT);
    expect(gateway.costByHour[0]).toBeCloseTo(2.52, EXACT);
  });

  it('charges the fixed fee per billed attempt, not per unbilled failure', async () => {
    // 30% server errors, not billed (the default): each request retries up to maxAttempts.
    const flaky = provider('flat', { failures: { serverError: 0.3 } });
    const { gateway } = await run(directVsGateway({ perGeneration: 0.001 }, { providers: [flaky] }));
    const billed = gateway.providers.flat!.succeeded;
    expect(gateway.providers.flat!.attempts).toBeGreaterThan(billed);
    expect(gateway.cost.byProvider.flat).toBeCloseTo(billed * 0.04, EXACT);
    expect(gateway.cost.fees?.perGeneration).toBeCloseTo(billed * 0.001, EXACT);
    // Billed server errors (billing.serverError: true) are generations too, and their fees wasted.
    const billedErrors = provider('flat', { failures: { serverError: 0.3 }, pricing: { model: 'per-image', price: 0.04, billing: { serverError: true } } });
    const { gateway: g2 } = await run(directVsGateway({ perGeneration: 0.001 }, { providers: [billedErrors] }));
    const attempts = g2.providers.flat!.attempts;
    const errors = g2.providers.flat!.outcomes['server-error'] ?? 0;
    expect(errors).toBeGreaterThan(0);
    expect(g2.cost.fees?.perGeneration).toBeCloseTo(attempts * 0.001, EXACT);
    expect(g2.cost.wasted).toBeCloseTo(errors * 0.041, EXACT);
  });

  it('charges per million tokens at a per-token provider', async () => {
    // Three rows with prompts of 40, 41 and 0 characters: 10, 11 and 0 prompt tokens, each
    // with 1,056 medium image tokens: 1,066 + 1,067 + 1,056 = 3,189 tokens.
    const trace = path.join(TMP, 'prompts.jsonl');
    const rows = [40, 41, 0].map((n, i) => JSON.stringify({ at: `2026-06-01T00:00:0${i}Z`, prompt: 'x'.repeat(n), quality: 'medium', project: 'app' }));
    writeFileSync(trace, `${rows.join('\n')}\n`);
    const tokens = provider('tok', {
      pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { low: 272, medium: 1056 } } },
    });
    const { direct, gateway } = await run(directVsGateway({ perMillionTokens: 0.5 }, { providers: [tokens], traffic: { trace } }));
    // Provider: prompt 21 tokens × $5 / 1M + 3 × 1,056 × $40 / 1M = 0.000105 + 0.12672 = 0.126825.
    expect(direct.cost.total).toBeCloseTo(0.126825, EXACT);
    // Fee: 3,189 × $0.50 / 1M = $0.0015945.
    expect(gateway.cost.fees?.perMillionTokens).toBeCloseTo(0.0015945, EXACT);
    expect(gateway.cost.total).toBeCloseTo(0.126825 + 0.0015945, EXACT);
  });

  it('charges the monthly fee per started 30-day month, at the start of each', async () => {
    // 61 days: months start on days 0, 30 and 60 → 3 × $49 = $147. One request an hour.
    const { direct, gateway } = await run(
      directVsGateway({ monthly: 49 }, { duration: '61d', traffic: { arrivals: { process: 'uniform', rate: '1/h' }, mix: [{ name: 'ref', project: 'app' }] } }),
    );
    expect(gateway.cost.fees?.monthly).toBe(147);
    expect(gateway.cost.total).toBeCloseTo(direct.cost.total + 147, 9);
    // Account-level: in no project, each month's fee in the hour it starts.
    expect(gateway.cost.byProject.app).toBeCloseTo(direct.cost.byProject.app!, 9);
    for (const hour of [0, 720, 1440]) expect(gateway.costByHour[hour]! - direct.costByHour[hour]!).toBeCloseTo(49, 9);
    expect(gateway.costByHour[1]).toBeCloseTo(direct.costByHour[1]!, 9);
  });

  it('charges a fee on each top-up of prepaid credits', async () => {
    // 60 × $0.04 = $2.40 paid from credits in top-ups of $1 (5.5%, $0.80 minimum): 3 top-ups ×
    // max($0.055, $0.80) = $2.40.
    const small = await run(directVsGateway({ creditPurchase: { percent: '5.5%', minimum: 0.8, topUp: 1 } }));
    expect(small.gateway.cost.fees?.creditPurchase).toBeCloseTo(2.4, EXACT);
    // Top-ups of $100: one, 5.5% × $100 = $5.50.
    const large = await run(directVsGateway({ creditPurchase: { percent: '5.5%', minimum: 0.8, topUp: 100 } }));
    expect(large.gateway.cost.fees?.creditPurchase).toBeCloseTo(5.5, EXACT);
    // With a 50% markup the credits pay $3.60: 4 top-ups of $1, $3.20; plus a fixed $0.10 each: $3.60.
    const marked = await run(directVsGateway({ markup: '50%', creditPurchase: { percent: '5.5%', minimum: 0.8, fixed: 0.1, topUp: 1 } }));
    expect(marked.gateway.cost.fees?.markup).toBeCloseTo(1.2, EXACT);
    expect(marked.gateway.cost.fees?.creditPurchase).toBeCloseTo(3.6, EXACT);
    expect(marked.gateway.cost.fees?.total).toBeCloseTo(4.8, EXACT);
    // Account-level: not the request's project.
    expect(marked.gateway.cost.byProject.app).toBeCloseTo(2.4 + 1.2, EXACT);
  });

  it('takes a markup above 100%: 150% of $2.40 = $3.60', async () => {
    const { gateway } = await run(directVsGateway({ markup: '150%' }));
    expect(gateway.cost.fees?.markup).toBeCloseTo(3.6, EXACT);
  });

  it('adds every fee at once', async () => {
    // $0.12 markup + 60 × $0.001 + $49 monthly + one $10 top-up of $2.58 (max($0.55, $0.80)) = $49.98.
    const { gateway } = await run(directVsGateway({ markup: '5%', perGeneration: 0.001, monthly: 49, creditPurchase: { percent: '5.5%', minimum: 0.8, topUp: 10 } }));
    expect(gateway.cost.fees?.total).toBeCloseTo(49.98, EXACT);
    expect(gateway.cost.total).toBeCloseTo(52.38, EXACT);
  });
});

describe('fees and the budget', () => {
  it('count toward the budget: a limit the fees exhaust refuses requests', async () => {
    // A $1.20 limit. The request arriving at t s is refused once the t − 1 answers billed by then
    // (2 s each) reach it. Direct, $0.04 each: (t − 1) × 0.04 >= 1.2 first at t = 31, so
    // requests 0–30 are served (31, $1.24), 29 refused. Through a gateway with a $0.04 fee per
    // generation each costs $0.08: (t − 1) × 0.08 >= 1.2 at t = 16: 16 served ($1.28), 44 refused.
    const budget = { limit: 1.2, onExhausted: 'reject' };
    const { direct, gateway } = await run(directVsGateway({ perGeneration: 0.04 }, { budget } as Partial<ScenarioInput>));
    expect(direct.requests).toMatchObject({ succeeded: 31, rejected: 29 });
    expect(direct.budget.spent).toBeCloseTo(1.24, EXACT);
    expect(gateway.requests).toMatchObject({ succeeded: 16, rejected: 44 });
    expect(gateway.cost.fees?.perGeneration).toBeCloseTo(0.64, EXACT);
    expect(gateway.budget.spent).toBeCloseTo(1.28, EXACT);
  });
});

describe('fees in thresholds and reports', () => {
  it('gates on cost.fees.*; a strategy without fees reads 0', async () => {
    const thresholds = [{ metric: 'cost.fees.total', max: 0.1 }, { metric: 'cost.fees.markup', max: 1 }];
    const { direct, gateway } = await run(directVsGateway({ markup: '5%' }, { thresholds }));
    expect(direct.thresholds.map((t) => [t.value, t.ok])).toEqual([
      [0, true],
      [0, true],
    ]);
    expect(gateway.thresholds[0]).toMatchObject({ metric: 'cost.fees.total', ok: false });
    expect(gateway.thresholds[0]!.value).toBeCloseTo(0.12, EXACT);
  });

  it('shows a fees column and a Fees section, direct and gateway side by side', async () => {
    const { report } = await run(directVsGateway({ markup: '5%' }));
    const summary = renderSummaryTable(report);
    expect(summary).toMatch(/cost total\s+fees/);
    expect(summary).toMatch(/direct .*\$2\.40\s+—/);
    expect(summary).toMatch(/gateway .*\$2\.52\s+\$0\.12/);
    const md = renderMarkdown(report);
    expect(md).toContain('## Fees');
    expect(md).toMatch(/\| gateway +\| +\$2\.40 \| +\$0\.12 \| +\$0\.12 \|/);
  });

  it('adds no fees column to a report without fees', async () => {
    const { report } = await run({ ...directVsGateway({}), strategies: ['cheapest'] });
    expect(renderSummaryTable(report)).not.toMatch(/\bfees\b/);
    expect(renderMarkdown(report)).not.toContain('## Fees');
  });
});

describe('fees in comparisons', () => {
  it('compares fees like costs, only for strategies with fees', async () => {
    const before = await run(directVsGateway({ markup: '5%' }));
    const after = await run(directVsGateway({ markup: '10%' }));
    const c = compareReports(before.report, after.report);
    const [direct, gateway] = c.strategies;
    expect(direct!.checks.map((k) => k.metric)).not.toContain('fees');
    // Fees $0.12 → $0.24: +100%, beyond the 1% cost tolerance; the total $2.52 → $2.64 (+4.76%) too.
    const fees = gateway!.checks[1]!;
    expect(fees).toMatchObject({ metric: 'fees', path: 'cost.fees.total', verdict: 'regressed' });
    expect(fees.baseline).toBeCloseTo(0.12, EXACT);
    expect(fees.current).toBeCloseTo(0.24, EXACT);
    expect(gateway!.checks[0]).toMatchObject({ metric: 'cost', verdict: 'regressed' });
  });
});

describe('fees in the scenario', () => {
  it('refuses a bare number of percent and fees inside a nested strategy, located', () => {
    const at = (obj: ScenarioInput): string => {
      try {
        scenarioFromObject(obj, path.join(TMP, 'scenario.yaml'));
      } catch (err) {
        if (err instanceof ImgsimError) return err.message;
      }
      return 'no error';
    };
    expect(at(directVsGateway({ markup: 5 }))).toMatch(/strategies\[1\]\.fees\.markup: expected a percentage such as "5\.5%"/);
    const nested = { ...directVsGateway({}), strategies: [{ use: 'hedged', base: { use: 'cheapest', fees: { markup: '5%' } } }] } as ScenarioInput;
    expect(at(nested)).toMatch(/strategies\[0\]\.base\.fees: fees apply to a whole strategy entry: move `fees` to strategies\[0\]/);
  });
});

describe('imgsim quote --strategy and imgsim explain itemise the fees', () => {
  /** The scenario file of {@link directVsGateway}, with a per-token provider beside `flat`. */
  function scenarioFile(): string {
    const file = path.join(TMP, 'quote.yaml');
    const tok = provider('tok', { pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056 } } } });
    const fees = { markup: '5%', perGeneration: 0.001, perMillionTokens: 0.5, monthly: 49, creditPurchase: { percent: '5.5%', topUp: 100 } };
    writeFileSync(file, JSON.stringify(directVsGateway(fees, { providers: [provider('flat'), tok] })));
    return file;
  }

  it('quote adds the fees of the strategy named to each price, factor by factor', async () => {
    const { code, out } = await cli('quote', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--quality', 'medium', '--prompt-chars', '41', '--strategy', 'gateway', '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out) as { strategy: string; monthly: number; quotes: { provider: string; fees: { lines: { kind: string; usd: number }[]; totalUsd: number } }[] };
    expect(json.strategy).toBe('gateway');
    expect(json.monthly).toBe(49);
    const [flat, tok] = json.quotes;
    // flat, $0.04: markup 0.002, per generation 0.001, no tokens; credits pay 0.043 × 5.5% = 0.002365.
    expect(flat!.fees.lines.map((l) => [l.kind, l.usd])).toEqual([
      ['markup', expect.closeTo(0.002, EXACT)],
      ['perGeneration', 0.001],
      ['perMillionTokens', 0],
      ['creditPurchase', expect.closeTo(0.002365, EXACT)],
    ]);
    expect(flat!.fees.totalUsd).toBeCloseTo(0.045365, EXACT);
    // tok: 11 prompt tokens × $5 / 1M + 1,056 × $40 / 1M = 0.000055 + 0.04224 = 0.042295; fees:
    // markup 5% = 0.00211475; 0.001; 1,067 tokens × $0.50 / 1M = 0.0005335; credits pay
    // 0.042295 + 0.00211475 + 0.001 + 0.0005335 = 0.04594325, × 5.5% = 0.00252687875.
    expect(tok!.fees.lines.map((l) => l.usd)).toEqual([0.00211475, 0.001, 0.0005335, 0.00252687875].map((x) => expect.closeTo(x, EXACT)));
    expect(tok!.fees.totalUsd).toBeCloseTo(0.04594325 + 0.00252687875, EXACT);
  });

  it('quote without --strategy prints what it always did; an unknown name is an error', async () => {
    const plain = await cli('quote', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--json');
    expect(JSON.parse(plain.out)).not.toHaveProperty('strategy');
    expect(plain.out).not.toContain('fees');
    const text = await cli('quote', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--quality', 'medium', '--strategy', 'gateway');
    expect(text.out).toContain("strategy gateway: its gateway's fees are added to each price below");
    expect(text.out).toContain('plus a monthly platform fee $49 per started 30-day month (not per request)');
    expect(text.out).toMatch(/markup\s+\+\s+5% of \$0\.04\s+0\.002\n/);
    expect(text.out).toContain('total with fees $0.045365');
    const bad = await cli('quote', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--strategy', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--strategy: no strategy "nope"');
  });

  it("explain shows the fees on the chosen provider's price", async () => {
    const { out } = await cli('explain', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--quality', 'medium', '--strategy', 'gateway', '--json');
    const s = (JSON.parse(out) as { strategies: { fees: { provider: string; priceUsd: number; totalUsd: number; lines: { kind: string }[] } }[] }).strategies[0]!;
    // cheapest: flat at $0.04 (tok is $0.04224 with an empty prompt); with the fees $0.045365.
    expect(s.fees.provider).toBe('flat');
    expect(s.fees.totalUsd).toBeCloseTo(0.045365, EXACT);
    const direct = await cli('explain', scenarioFile(), '--size', '1024x1024', '--steps', '30', '--quality', 'medium', '--strategy', 'direct', '--json');
    expect(JSON.parse(direct.out).strategies[0]).not.toHaveProperty('fees');
  });
});
