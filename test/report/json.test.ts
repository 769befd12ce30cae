import { describe, expect, it } from 'vitest';
import { parseReport, round10, serializeReport } from '../../src/report/json.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import type { Report } from '../../src/metrics/report-types.js';
import { oracleReportSchema, reportSchema, strategyReportSchema } from '../../src/metrics/report-schema.js';
import { makeReport, withStrategy } from './_fixture.js';

/** Rebuilds every plain object with its keys in reverse order, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as Record<string, unknown>)[key]);
  return out;
}

function expectInvalid(text: string, message: RegExp): void {
  try {
    parseReport(text, 'base.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-report');
    expect((err as ImgsimError).message).toMatch(message);
    return;
  }
  throw new Error('expected parseReport to throw');
}

describe('round10', () => {
  it.each([
    [0.1 + 0.2, 0.3],
    [1 / 3, 0.3333333333],
    [2 / 3, 0.6666666667],
    [123456.78901234, 123456.789],
    [1e-12 / 3, 3.333333333e-13],
    [42, 42],
    [12345678901234, 12345678901234], // integers keep every digit
    [-0.1 - 0.2, -0.3],
  ])('%s → %s', (x, want) => {
    expect(round10(x)).toBe(want);
  });

  it('passes non-finite numbers through', () => {
    expect(round10(Number.NaN)).toBeNaN();
    expect(round10(Infinity)).toBe(Infinity);
  });
});

describe('serializeReport', () => {
  it('gives the same bytes for the same report built in another key order', () => {
    const a = serializeReport(makeReport());
    const b = serializeReport(reverseKeys(makeReport()) as Report);
    expect(b).toBe(a);
  });

  it('writes keys in the order of the types and sorts record keys', () => {
    const report = withStrategy(makeReport(), 'cheapest', {
      cost: { total: 1, perSucceeded: 1, wasted: 0, byProvider: { zeta: 1, alpha: 2, '10': 3, '9': 4 }, byProject: {} },
    });
    const text = serializeReport(reverseKeys(report) as Report);
    expect(text.indexOf('"imgsim"')).toBeLessThan(text.indexOf('"scenario"'));
    expect(text.indexOf('"scenario"')).toBeLessThan(text.indexOf('"strategies"'));
    // Record keys sorted by code units, integer-like ones included ("10" < "9" < "alpha").
    expect(text).toMatch(/"byProvider": \{\n\s+"10": 3,\n\s+"9": 4,\n\s+"alpha": 2,\n\s+"zeta": 1\n\s+\}/);
    const first = text.slice(text.indexOf('"name": "cheapest"'));
    const order = ['"name"', '"requests"', '"successRate"', '"cost"', '"latencyMs"', '"attempts"', '"providers"', '"slo"', '"budget"', '"credits"', '"thresholds"', '"latencyByUrgency"', '"failures"', '"costByHour"', '"latencyCdfMs"'];
    const at = order.map((k) => first.indexOf(k));
    expect(at).toEqual([...at].sort((x, y) => x - y));
    // outcomes sorted: generative < server-error < success
    expect(first).toMatch(/"outcomes": \{\n\s+"generative": 8,\n\s+"server-error": 12,\n\s+"success": 880\n/);
  });

  it('writes every object in the order its zod schema declares, whatever the order built', () => {
    const regret = { usd: 1, ratio: 0.1, lowerBound: 2 };
    const oracle = { cost: 1, unconstrainedCost: 0.5, requests: { total: 1, withinSlo: 1, late: 0, unserved: 0 }, unconstrained: { withinSlo: 1, late: 0, unservable: 0 } };
    const report = { ...withStrategy(makeReport(), 'cheapest', { regret }), oracle };
    const written = JSON.parse(serializeReport(reverseKeys(report) as Report)) as Record<string, Record<string, unknown>>;
    // The schema's own key lists (declaration order) are the expectation: a field added to the
    // schema moves with it into report.json without a second list anywhere.
    expect(Object.keys(written)).toEqual(Object.keys(reportSchema.shape));
    expect(Object.keys((written.strategies as unknown as Record<string, unknown>[])[0]!)).toEqual(Object.keys(strategyReportSchema.shape));
    expect(Object.keys(written.oracle!)).toEqual(Object.keys(oracleReportSchema.shape));
    // Urgency-keyed objects come as interactive, then batch (built here in the other order).
    expect(serializeReport(reverseKeys(report) as Report)).toMatch(/"byUrgency": \{\n\s+"interactive": \{[^}]+\},\n\s+"batch"/);
  });

  it('matches JSON.stringify layout: two-space indent, trailing newline', () => {
    const text = serializeReport(makeReport());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    expect(text).toContain('\n  "strategies": [\n    {\n      "name": "cheapest",');
    expect(text).toContain('"alerts": []\n');
    expect(text).toContain('"costByHour": []');
  });

  it('rounds float noise to 10 significant digits and keeps integers', () => {
    const report = withStrategy(makeReport(), 'cheapest', { successRate: 0.1 + 0.2 });
    const text = serializeReport(report);
    expect(text).toContain('"successRate": 0.3,');
    // goodput 900 / 86,400 = 0.01041666666…
    expect(text).toContain('"goodput": 0.01041666667,');
    expect(text).toContain('"total": 1000,');
  });

  it('writes NaN as null and drops undefined fields', () => {
    const report = withStrategy(makeReport(), 'cheapest', {
      cost: { total: 0, perSucceeded: Number.NaN, wasted: 0, byProvider: {}, byProject: {} },
      budget: { spent: 0, alerts: [{ threshold: 0.5, at: '2026-06-01T10:00:00.000Z', project: undefined, period: 0 }] },
    });
    const text = serializeReport(report);
    expect(text).toContain('"perSucceeded": null,');
    expect(text).toContain('"threshold": 0.5,\n            "at": "2026-06-01T10:00:00.000Z",\n            "period": 0\n');
  });

  it('keeps fields it does not know, sorted, after the known ones', () => {
    const report = { ...makeReport(), zNew: 1, aNew: { b: 2, a: 1 } } as unknown as Report;
    const text = serializeReport(report);
    expect(text.indexOf('"strategies"')).toBeLessThan(text.indexOf('"aNew"'));
    expect(text.indexOf('"aNew"')).toBeLessThan(text.indexOf('"zNew"'));
    expect(text).toContain('"aNew": {\n    "a": 1,\n    "b": 2\n  },');
  });
});

describe('parseReport', () => {
  it('round-trips a serialised report', () => {
    const text = serializeReport(makeReport());
    expect(parseReport(text, 'r.json')).toEqual(JSON.parse(text));
    expect(serializeReport(parseReport(text, 'r.json'))).toBe(text);
  });

  it('reads null back as NaN', () => {
    const text = serializeReport(withStrategy(makeReport(), 'cheapest', { successRate: Number.NaN }));
    expect(parseReport(text, 'r.json').strategies[0]?.successRate).toBeNaN();
  });

  it('fills missing extension fields of a contract-only report', () => {
    const spec = {
      imgsim: '1.0.0',
      scenario: 'quickstart',
      seed: 42,
      mode: 'sim',
      window: { start: '2026-06-01T00:00:00.000Z', end: '2026-06-02T00:00:00.000Z' },
      strategies: [
        {
          name: 'cheapest',
          requests: { total: 0, succeeded: 0, failed: 0, rejected: 0, deferred: 0 },
          successRate: 0,
          cost: { total: 0, perSucceeded: 0, wasted: 0, byProvider: {}, byProject: {} },
          latencyMs: { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 },
          attempts: { total: 0, retries: 0, failovers: 0, recovered: 0, exhausted: 0 },
          providers: { lumen: { attempts: 0, succeeded: 0, cost: 0, outcomes: { 'server-error': 0 } } },
          slo: { attainment: 0, goodput: 0 },
          budget: { spent: 0, alerts: [{ threshold: 0.5, at: '2026-06-01T01:00:00.000Z' }] },
          credits: { lumen: { bought: 0, used: 0, expired: 0, cash: 0 } },
          thresholds: [
            { metric: 'successRate', limit: 0.99, value: 1, ok: true },
            { metric: 'successRate', limit: 0.99, value: 0.5, ok: false },
            { metric: 'latencyMs.p95', limit: 100, value: 50, ok: true },
          ],
        },
      ],
    };
    const s = parseReport(JSON.stringify(spec), 'spec.json').strategies[0]!;
    expect(s.attempts.hedges).toBe(0);
    expect(s.providers.lumen).toMatchObject({ peakInFlight: 0, peakQueue: 0 });
    expect(s.credits.lumen).toMatchObject({ expiredUsd: 0, bundles: 0 });
    expect(s.budget.alerts).toEqual([{ threshold: 0.5, at: '2026-06-01T01:00:00.000Z', period: 0 }]);
    expect(s.slo.byUrgency).toEqual({});
    expect(s.latencyByUrgency).toEqual({});
    expect(s.failures).toEqual({});
    expect(s.costByHour).toEqual([]);
    expect(s.latencyCdfMs).toEqual([]);
    // kind inferred as the side that explains ok: 1 >= 0.99 ok → min; 0.5 < 0.99 failing → min; 50 <= 100 ok → max
    expect(s.thresholds.map((t) => t.kind)).toEqual(['min', 'min', 'max']);
  });

  it.each([
    ['not json', /^base\.json: not valid JSON/],
    ['[]', /^base\.json: expected an object, got \[\]/],
    // The first problem in the report's key order, and how many more there are.
    ['{}', /^base\.json: imgsim: expected a string, got nothing \(and 5 more problems\)\. Is this a report\.json/],
    ['{"imgsim":"1","scenario":"s","seed":1,"mode":"simulated","window":{"start":"a","end":"b"},"strategies":[]}', /^base\.json: mode: expected "sim" or "live", got "simulated"\. Is this/],
  ])('rejects garbage: %s', (text, message) => {
    expectInvalid(text, message);
  });

  it('names the key path of a missing or mistyped field', () => {
    const good = JSON.parse(serializeReport(makeReport()));
    good.strategies[1].latencyMs.p95 = 'fast';
    expectInvalid(JSON.stringify(good), /^base\.json: strategies\[1\]\.latencyMs\.p95: expected a number, got "fast"/);
    delete good.strategies[1].latencyMs;
    expectInvalid(JSON.stringify(good), /strategies\[1\]\.latencyMs: expected an object, got nothing/);
    const noSeed = JSON.parse(serializeReport(makeReport()));
    delete noSeed.seed;
    expectInvalid(JSON.stringify(noSeed), /^base\.json: seed: expected a number/);
    const badPair = JSON.parse(serializeReport(makeReport()));
    badPair.strategies[2].latencyCdfMs[0] = [1, 0.5, 7];
    expectInvalid(JSON.stringify(badPair), /^base\.json: strategies\[2\]\.latencyCdfMs\[0\]: expected an \[ms, fraction\] pair, got \[1,0\.5,7\]\. Is this/);
    const badOutcome = JSON.parse(serializeReport(makeReport()));
    badOutcome.strategies[0].providers.lumen.outcomes.success = true;
    badOutcome.strategies[0].thresholds[0].kind = 'above';
    expectInvalid(
      JSON.stringify(badOutcome),
      /^base\.json: strategies\[0\]\.providers\.lumen\.outcomes\.success: expected a number, got true \(and 1 more problem\)\. Is this/,
    );
    const badAlert = JSON.parse(serializeReport(makeReport()));
    badAlert.strategies[0].budget.alerts[1].at = 5;
    expectInvalid(JSON.stringify(badAlert), /strategies\[0\]\.budget\.alerts\[1\]\.at: expected a string, got 5/);
  });
});
