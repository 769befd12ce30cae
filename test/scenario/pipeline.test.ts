/**
 * Validators and the pipeline in the scenario language: the checks across fields (located
 * errors), the warning when validation would be free, and the pipeline's quote (generation +
 * validator call vs the bundle), priced by hand.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { problems } from './_problems.js';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenarioText, scenarioFromObject } from '../../src/scenario/load.js';
import { validationWarnings } from '../../src/scenario/warnings.js';
import { pipelineQuote, validationBy } from '../../src/model/pricing/pipeline.js';
import type { QuoteRequest } from '../../src/model/pricing/types.js';
import { cli } from '../cli/_cli.js';

const EXAMPLE = path.join(import.meta.dirname, '../../scenarios/pipelines/validation.yaml');

const HEAD = `version: 1
name: p
providers:
  - id: gen
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
traffic:
  arrivals: { rate: 1/m }
  mix: [{ name: checked, validate: true }]
`;

const VISION = `  - id: vision
    pricing: { model: per-image, price: 0.003 }
    tiers: { standard: { latency: { dist: fixed, value: 500ms } } }
`;

const request: QuoteRequest = { size: '1024x1024', width: 1024, height: 1024, steps: 30, features: [], validate: true, promptChars: 400, urgency: 'interactive' };

describe('validators in a scenario', () => {
  it('resolves a validator and a pipeline with its defaults', () => {
    const s = parseScenarioText(`${HEAD}validators:\n${VISION}`, 'x.yaml');
    expect(s.pipeline?.validator.id).toBe('vision');
    expect(s.pipeline?.maxAttempts).toBe(2);
    // The pipeline timeout defaults to the policy's (60 s).
    expect(s.pipeline?.timeoutMs).toBe(60_000);
    expect(s.pipeline?.validator.latencyScaling).toBe('none');
    expect(s.providers.map((p) => p.id)).toEqual(['gen']);
  });

  it('accepts thresholds on the validator, reported as a provider', () => {
    const s = parseScenarioText(`${HEAD}validators:\n${VISION}thresholds:\n  - { metric: providers.vision.cost, max: 1 }\n  - { metric: cost.byProvider.vision, max: 1 }\n`, 'x.yaml');
    expect(s.thresholds).toHaveLength(2);
  });

  it('leaves a scenario without validators as it was (no keys added)', () => {
    const s = parseScenarioText(HEAD, 'x.yaml');
    expect('pipeline' in s).toBe(false);
    expect('validators' in s).toBe(false);
  });

  it('rejects a validator id taken by a provider, credits pricing and a validation price, with their places', () => {
    const text = `${HEAD}validators:
  - id: gen
    pricing: { model: credits, perImage: 1, creditPrice: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 500ms } } }
  - id: v2
    pricing: { model: per-image, price: 0.003, validation: { price: 0.001 } }
    tiers: { standard: { latency: { dist: fixed, value: 500ms } } }
`;
    expect(problems(text)).toEqual([
      'x.yaml:11:9 validators[0].id: duplicate id "gen": provider and validator ids must all differ',
      'x.yaml:12:23 validators[0].pricing.model: a validator is priced in USD: per call (`per-image`) or per token (`per-token`), not in credits',
      'x.yaml:15:60 validators[1].pricing.validation: a validator does not validate its own check; remove `validation`',
    ]);
  });

  it('rejects a pipeline without validators, and an unknown validator with a suggestion', () => {
    expect(problems(`${HEAD}pipeline: { maxAttempts: 3 }\n`)).toEqual(['x.yaml:10:11 pipeline: no validator to call: list one under `validators`']);
    expect(problems(`${HEAD}validators:\n${VISION}pipeline: { validator: visoin }\n`)).toEqual([
      'x.yaml:14:24 pipeline.validator: unknown validator "visoin"; did you mean "vision"?',
    ]);
  });

  it('rejects keys a validator does not have', () => {
    const [p] = problems(`${HEAD}validators:\n${VISION}    capacity: { concurrency: 4 }\n`);
    expect(p).toBe('x.yaml:14:5 validators[0].capacity: unknown key `capacity`; valid keys are id, model, reference, pricing, tiers, failures');
  });
});

describe('the warning when validation would be free', () => {
  it('names the class and the providers that price no validation', () => {
    const s = parseScenarioText(HEAD, 'x.yaml');
    expect(validationWarnings(s)).toEqual([
      'traffic.mix[0].validate: class "checked" asks for validation, which is free at gen (no `pricing.validation`): define a validator under `validators` to price it as a separate call',
    ]);
  });

  it('is silent with a validator, without validated traffic, or when every provider bundles validation', () => {
    expect(validationWarnings(parseScenarioText(`${HEAD}validators:\n${VISION}`, 'x.yaml'))).toEqual([]);
    expect(validationWarnings(parseScenarioText(HEAD.replace('validate: true', 'validate: false'), 'x.yaml'))).toEqual([]);
    expect(validationWarnings(parseScenarioText(HEAD.replace('price: 0.04 }', 'price: 0.04, validation: { price: 0.004 } }'), 'x.yaml'))).toEqual([]);
  });

  it('leaves out providers that cannot serve the class: one without its features never sees it', () => {
    const two = HEAD.replace(
      '    tiers: { standard: { latency: { dist: fixed, value: 2s } } }\n',
      '    tiers: { standard: { latency: { dist: fixed, value: 2s } } }\n  - id: lined\n    pricing: { model: per-image, price: 0.05, features: { controlnet: { add: 0.01 } } }\n    tiers: { standard: { latency: { dist: fixed, value: 2s } } }\n',
    );
    expect(validationWarnings(parseScenarioText(two, 'x.yaml'))[0]).toContain('free at gen and lined (no');
    const controlnet = two.replace('validate: true }', 'validate: true, features: [controlnet] }');
    expect(validationWarnings(parseScenarioText(controlnet, 'x.yaml'))[0]).toContain('which is free at lined (no');
    expect(validationWarnings(parseScenarioText(controlnet.replace('price: 0.05,', 'price: 0.05, validation: { price: 0.004 },'), 'x.yaml'))).toEqual([]);
  });

  it('is printed by imgsim validate, which still succeeds', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'imgsim-pipeline-')), 'free.yaml');
    writeFileSync(file, HEAD);
    const { code, err } = await cli('validate', file, '--quiet');
    expect(code).toBe(0);
    expect(err).toBe(`warning: ${file}: ${validationWarnings(parseScenarioText(HEAD, 'x.yaml'))[0]!}\n`);
  });
});

describe('the pipeline quote', () => {
  const s = loadScenario(EXAMPLE);
  const [bundle, solo] = s.providers;
  const at = { atMs: s.startMs };

  it('decides who validates by one rule', () => {
    expect(validationBy(bundle!, true, true)).toBe('bundle');
    expect(validationBy(solo!, true, true)).toBe('validator');
    expect(validationBy(solo!, true, false)).toBe('free');
    expect(validationBy(solo!, false, true)).toBe('none');
  });

  it('prices generation + a validator call at a provider without a bundle', () => {
    const q = pipelineQuote(s, solo!, request, at);
    expect(q.by).toBe('validator');
    // $0.034 generation + $0.003 vision-check = $0.037.
    expect(q.generation.ok && q.generation.totalUsd).toBeCloseTo(0.034, 12);
    expect(q.validation?.validator).toBe('vision-check');
    expect(q.validation?.quote.ok && q.validation.quote.totalUsd).toBeCloseTo(0.003, 12);
    expect(q.totalUsd).toBeCloseTo(0.037, 12);
  });

  it('prices the bundle with its discount and no call at a provider with one', () => {
    const q = pipelineQuote(s, bundle!, request, at);
    expect(q.by).toBe('bundle');
    expect(q.validation).toBeUndefined();
    // (0.040 + 0.004) × (1 − 0.10) = 0.0396.
    expect(q.totalUsd).toBeCloseTo(0.0396, 12);
  });

  it('prices a per-token validator by its tokens', () => {
    const perToken = scenarioFromObject({
      version: 1,
      name: 'tokens',
      providers: [{ id: 'gen', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } } }],
      validators: [
        {
          id: 'llm-judge',
          pricing: { model: 'per-token', inputPerMillion: 2.5, outputPerMillion: 10, outputTokens: { '1024x1024': { standard: 765 } } },
          tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } },
        },
      ],
      traffic: { arrivals: { rate: '1/m' }, mix: [{ name: 'checked', validate: true }] },
    });
    const q = pipelineQuote(perToken, perToken.providers[0]!, request, at);
    // ⌈400 chars / 4⌉ = 100 prompt tokens × 2.5/1M = 0.00025; 765 image tokens × 10/1M = 0.00765.
    expect(q.validation?.quote.ok && q.validation.quote.totalUsd).toBeCloseTo(0.00025 + 0.00765, 12);
    expect(q.totalUsd).toBeCloseTo(0.04 + 0.0079, 12);
  });

  it('imgsim quote itemises the pipeline and ranks by its total', async () => {
    const { code, out } = await cli('quote', EXAMPLE, '--size', '1024x1024', '--steps', '30', '--validate');
    expect(code).toBe(0);
    expect(out).toContain('generation at solo: $0.034');
    expect(out).toContain('+ validation at vision-check (tier standard)');
    expect(out).toContain('total $0.037 (generation + validation at vision-check)');
    expect(out).toContain("total $0.0396 (validation in the provider's bundle: no validator call)");
    expect(out).toMatch(/cheapest first:[\s\S]*solo[^\n]*\$0\.037\n[^\n]*bundle[^\n]*\$0\.0396/);
    const json = JSON.parse((await cli('quote', EXAMPLE, '--size', '1024x1024', '--steps', '30', '--validate', '--json')).out) as {
      quotes: { provider: string; pipeline: { by: string; totalUsd: number } }[];
    };
    expect(json.quotes.map((q) => [q.provider, q.pipeline.by, +q.pipeline.totalUsd.toFixed(10)])).toEqual([
      ['bundle', 'bundle', 0.0396],
      ['solo', 'validator', 0.037],
    ]);
  });

  it('imgsim explain adds the validator call to the breakdown of a provider without a bundle', async () => {
    const { code, out } = await cli('explain', EXAMPLE, '--size', '1024x1024', '--steps', '30', '--validate', '--strategy', 'cheapest');
    expect(code).toBe(0);
    expect(out).toContain('solo (standard): $0.034 generation + $0.003 validation at vision-check = $0.037');
    // The candidates table shows the price cheapest ranked by: solo's with the call.
    expect(out).toMatch(/\n\s+1\s+solo\s+standard\s+\$0\.037\s/);
    expect(out).toMatch(/\n\s+2\s+bundle\s+standard\s+\$0\.0396\s/);
  });
});
