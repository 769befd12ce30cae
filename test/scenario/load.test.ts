import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { problems } from './_problems.js';
import { describe, expect, it } from 'vitest';
import { ImgsimError } from '../../src/scenario/errors.js';
import { loadScenario, parseScenarioText } from '../../src/scenario/load.js';

const MINIMAL = path.join(import.meta.dirname, '../fixtures/minimal.yaml');

/** The minimal fixture with one line replaced (1-based). */
function withLine(line: number, text: string): string {
  const lines = MINIMAL_TEXT.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
}

const MINIMAL_TEXT = (await import('node:fs')).readFileSync(MINIMAL, 'utf8');

describe('loading a valid scenario', () => {
  it('parses units and applies defaults in one place', () => {
    const s = loadScenario(MINIMAL);
    expect(s.startMs).toBe(Date.UTC(2026, 5, 1));
    expect(s.durationMs).toBe(3_600_000);
    expect(s.endMs).toBe(Date.UTC(2026, 5, 1, 1));
    const [alpha, beta] = s.providers;
    expect(alpha?.defaultTier).toBe('standard');
    expect(alpha?.tierList.map((t) => t.name)).toEqual(['standard', 'turbo']);
    expect(alpha?.account).toBe('alpha');
    expect(beta?.capacity).toEqual({ concurrency: 64, queue: 256 });
    expect(s.policy).toMatchObject({ timeout: 60_000, maxAttempts: 3, backoff: { initial: 200, max: 5_000, jitter: true } });
    expect(s.traffic.kind).toBe('synthetic');
    if (s.traffic.kind === 'synthetic') expect(s.traffic.arrivals.rate).toBe(2);
  });
});

describe('defaults that depend on other fields', () => {
  it('lets a provider serve the features its pricing prices when `supports.features` is not set', () => {
    const text = MINIMAL_TEXT.replace('      perStep: 0.001\n', '      perStep: 0.001\n      features: { controlnet: { add: 0.01 }, lora: { multiply: 1.5 } }\n');
    const alpha = parseScenarioText(text).providers[0]!;
    expect(alpha.supports.features).toEqual(['controlnet', 'lora']);
    const beta = parseScenarioText(text).providers[1]!;
    expect(beta.supports.features).toEqual([]);
  });
});

describe('problems a person can act on', () => {
  it('names file, line, column and key path of a bad value', () => {
    const text = withLine(12, '      perStep: cheap');
    expect(problems(text)).toEqual(['x.yaml:12:16 providers[0].pricing.perStep: expected an amount in USD such as 0.04 or "$0.04", got "cheap"']);
  });

  it('rejects a misspelled key by name and suggests the nearest', () => {
    const text = MINIMAL_TEXT.replace('  - id: beta', '    failuers: { serverError: 0.1 }\n  - id: beta');
    expect(problems(text)).toEqual(['x.yaml:16:5 providers[0].failuers: unknown key `failuers`; did you mean `failures`?']);
  });

  it('reports every problem in the file, not only the first', () => {
    const text = withLine(5, 'duration: forever').replace('rate: 2/s', 'rate: fast');
    const found = problems(text);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^x\.yaml:5:11 duration: expected a duration/);
    expect(found[1]).toMatch(/^x\.yaml:21:\d+ traffic\.arrivals\.rate: expected a rate/);
  });

  it('says what is missing', () => {
    const text = MINIMAL_TEXT.replace('      perStep: 0.001\n', '');
    expect(problems(text)[0]).toMatch(/^x\.yaml:10:7 providers\[0\]\.pricing\.perStep: missing; expected/);
  });

  it('rejects an unknown pricing model with the list of models', () => {
    const text = withLine(10, '      model: per-vibe');
    expect(problems(text)[0]).toMatch(/^x\.yaml:10:14 providers\[0\]\.pricing\.model: expected `model` to be one of per-image, per-step, .*, got "per-vibe"$/);
  });

  it('rejects duplicate provider ids', () => {
    const text = MINIMAL_TEXT.replace('id: beta', 'id: alpha');
    expect(problems(text)).toContain('x.yaml:16:9 providers[1].id: duplicate provider id "alpha" (also providers[0])');
  });

  it('rejects a failover order naming an unknown provider', () => {
    const text = MINIMAL_TEXT.replace('order: [alpha, beta]', 'order: [alpha, betta]');
    expect(problems(text)).toEqual(['x.yaml:26:37 strategies[1].order[1]: unknown provider "betta"; did you mean "beta"?']);
  });

  it('rejects weights naming an unknown provider and weights summing to 0', () => {
    const text = MINIMAL_TEXT.replace('  - cheapest\n', '  - { use: weighted, weights: { alpha: 0, gamma: 0 } }\n');
    const found = problems(text);
    expect(found.some((p) => p.includes('strategies[0].weights.gamma: unknown provider "gamma"'))).toBe(true);
    expect(found.some((p) => p.includes('strategies[0].weights: the weights sum to 0'))).toBe(true);
  });

  it('rejects mix weights summing to 0', () => {
    const text = MINIMAL_TEXT.replace('weight: 1,', 'weight: 0,');
    expect(problems(text)).toEqual(['x.yaml:23:5 traffic.mix: the mix weights sum to 0; give at least one class a positive weight']);
  });

  it('rejects a tier no provider has', () => {
    const text = MINIMAL_TEXT.replace('steps: 30 }\nstrategies', 'steps: 30, tier: trubo }\nstrategies');
    expect(problems(text)[0]).toMatch(/traffic\.mix\[0\]\.tier: unknown tier "trubo"; did you mean "turbo"\?/);
  });

  it('rejects a strategy that does not exist, suggesting the nearest', () => {
    const text = MINIMAL_TEXT.replace('  - cheapest\n', '  - chepest\n');
    expect(problems(text)).toEqual(['x.yaml:25:5 strategies[0]: unknown strategy `chepest`; did you mean `cheapest`?']);
    const text2 = MINIMAL_TEXT.replace('  - cheapest\n', '  - { use: cheepest }\n');
    expect(problems(text2)).toEqual(['x.yaml:25:12 strategies[0].use: unknown strategy `cheepest`; did you mean `cheapest`?']);
  });

  it('rejects a trace or strategy file that is missing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-'));
    const file = path.join(dir, 's.yaml');
    const text = MINIMAL_TEXT.replace(/traffic:\n(.*\n){3}/, 'traffic:\n  trace: traces/none.jsonl\n').replace(
      '  - cheapest\n',
      '  - { file: ./strategies/mine.ts }\n',
    );
    writeFileSync(file, text);
    let err: unknown;
    try {
      loadScenario(file);
    } catch (e) {
      err = e;
    }
    const found = (err as ImgsimError).problems.map((p) => `${p.path}: ${p.message}`);
    expect(found).toEqual([
      'traffic.trace: trace file not found: traces/none.jsonl (paths are relative to the scenario file)',
      'strategies[0].file: strategy file not found: ./strategies/mine.ts (paths are relative to the scenario file)',
    ]);
  });

  it('rejects failure probabilities summing over 1 and a lognormal p99 below its median', () => {
    const text = MINIMAL_TEXT.replace(
      '      standard: { latency: { dist: lognormal, median: 5s, p99: 12s } }',
      '      standard: { latency: { dist: lognormal, median: 5s, p99: 2s } }\n    failures: { serverError: 0.6, timeout: 0.6 }',
    );
    const found = problems(text);
    expect(found.some((p) => p.includes('providers[1].tiers.standard.latency.p99: p99 must be greater than median'))).toBe(true);
    expect(found.some((p) => p.includes('providers[1].failures: failure probabilities sum to 1.2'))).toBe(true);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('version: 1\nname: [unclosed\n')[0]).toMatch(/^x\.yaml:\d+:\d+ YAML: /);
  });

  it('refuses YAML alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    expect(problems(bomb.join('\n'))).toEqual([expect.stringMatching(/alias bomb/)]);
  });

  it('refuses files over the size limit', () => {
    expect(problems(`# ${'x'.repeat(3 * 1024 * 1024)}\n`)[0]).toMatch(/limited to/);
  });

  it('refuses a document that is not a mapping', () => {
    expect(problems('- just\n- a list\n')).toEqual(['x.yaml:1:1 expected a mapping with `version: 1`, `name`, `providers` and `traffic`']);
  });

  it('says when a scenario file does not exist', () => {
    expect(() => loadScenario('no/such/file.yaml')).toThrow(/no such scenario file/);
  });
});

describe('credits purchase settings', () => {
  it('rejects an upfront list that `purchase: auto` would ignore', () => {
    const text = MINIMAL_TEXT.replace(
      '    pricing: { model: per-image, price: 0.04 }',
      '    pricing: { model: credits, perImage: 1, bundles: [{ credits: 100, price: 1 }], upfront: [{ bundle: 0, count: 2 }] }',
    );
    expect(problems(text)).toEqual([
      'x.yaml:17:93 providers[1].pricing.upfront: bundles listed under `upfront` are bought only with `purchase: upfront`; set it, or remove the list',
    ]);
  });
});
