/**
 * The acceptance test of `imgsim fit`: an attempt log simulated from scenarios/quickstart.yaml
 * (round-robin, so every provider gets thousands of attempts) is fitted back, and each
 * provider's latency median and p99 come back within 10%, its failure rates within 2
 * percentage points, its latency scaling as written, and its prices exactly.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_KEYS, fitProviders, type FitResult } from '../../src/fit/fit.js';
import { readAttemptLog } from '../../src/fit/read.js';
import { renderProvidersYaml } from '../../src/fit/render.js';
import { formatAttemptLine } from '../../src/metrics/attempt-log.js';
import { makeSampler } from '../../src/model/latency.js';
import { LineFileWriter } from '../../src/report/line-file.js';
import { loadScenario, parseScenarioText } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

const ROOT = path.join(import.meta.dirname, '../..');
const QUICKSTART = loadScenario(path.join(ROOT, 'scenarios/quickstart.yaml'));
/** 3 simulated hours at ~2 requests a second (the night side of the diurnal pattern): ~5,000 attempts per provider. */
const DURATION_MS = 3 * 3_600_000;

let fit: FitResult;
let logFile: string;

beforeAll(async () => {
  logFile = path.join(mkdtempSync(path.join(tmpdir(), 'imgsim-roundtrip-')), 'attempts.jsonl');
  const log = new LineFileWriter(logFile);
  await simulate(QUICKSTART, {
    strategies: ['round-robin'],
    durationMs: DURATION_MS,
    onAttempt: (r) => {
      log.write(formatAttemptLine(r));
    },
  });
  log.close();
  fit = fitProviders(readAttemptLog(logFile).attempts);
});

describe('fitting a log simulated from quickstart.yaml back to its providers', () => {
  it('finds every provider, each with thousands of attempts', () => {
    expect(fit.providers.map((p) => p.id).sort()).toEqual(QUICKSTART.providers.map((p) => p.id).sort());
    for (const p of fit.providers) expect(p.attempts).toBeGreaterThan(2_500);
  });

  it.each(QUICKSTART.providers.map((p) => [p.id, p] as const))('%s: median and p99 latency within 10%', (id, truth) => {
    const p = fit.providers.find((x) => x.id === id)!;
    const tier = p.tiers.find((t) => t.name === truth.defaultTier)!;
    const fitted = makeSampler(tier.latency!.best.spec);
    const expected = makeSampler(truth.tierList[0]!.latency);
    expect(Math.abs(fitted.median / expected.median - 1)).toBeLessThan(0.1);
    expect(Math.abs(fitted.quantile(0.99) / expected.quantile(0.99) - 1)).toBeLessThan(0.1);
  });

  it.each(QUICKSTART.providers.map((p) => [p.id, p] as const))('%s: failure rates within 2 percentage points', (id, truth) => {
    const p = fit.providers.find((x) => x.id === id)!;
    for (const [, key] of FAILURE_KEYS) {
      // malformed answers count as server errors in simulated time
      const expected = key === 'serverError' ? truth.failures.serverError + truth.failures.malformed : truth.failures[key];
      const rate = p.failures.find((f) => f.key === key)?.rate ?? 0;
      expect(Math.abs(rate - expected)).toBeLessThan(0.02);
    }
  });

  it('reads latency scaling and the reference request as written', () => {
    for (const truth of QUICKSTART.providers) {
      const p = fit.providers.find((x) => x.id === truth.id)!;
      expect([p.id, p.latencyScaling, p.reference]).toEqual([truth.id, truth.latencyScaling, truth.reference]);
    }
  });

  it('explains every billed attempt exactly, with the model each provider is priced by', () => {
    const models = Object.fromEntries(fit.providers.map((p) => [p.id, [p.price?.pricing.model, p.price?.exact]]));
    // creditmill's credits are $0.02 each: per image in USD, ControlNet one credit more
    expect(models).toEqual({ lumen: ['per-step', true], pixelforge: ['per-image', true], creditmill: ['per-image', true], fastlane: ['per-megapixel', true] });
    expect(fit.providers.find((p) => p.id === 'lumen')!.price!.pricing).toEqual({ model: 'per-step', perStep: 0.0008, features: { controlnet: { add: 0.004 } } });
  });

  it('finds no outage and no hour-of-day pattern where the scenario has none in the window', () => {
    for (const p of fit.providers) expect([p.id, p.outages, p.diurnal, p.hourly]).toEqual([p.id, [], undefined, []]);
  });

  it('writes providers that `imgsim validate` accepts in the scenario', () => {
    const yaml = renderProvidersYaml(fit, logFile);
    const text = `version: 1\nname: refit\nstart: 2026-06-01T00:00:00Z\n${yaml}traffic:\n  arrivals: { rate: 1/s }\n  mix: [{ name: a }]\n`;
    const s = parseScenarioText(text, 'refit.yaml');
    expect(s.providers.map((p) => p.id)).toEqual(fit.providers.map((p) => p.id));
  });
});
