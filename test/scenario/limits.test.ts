// Every number a scenario names stays within the documented limits (docs/scenario-reference.md,
// "Limits"), so no price, latency or total computed from it can overflow to Infinity; a value
// beyond them is a located error `file:line:col key.path: expected ...` (issue 15, defect 2).
import { problems as located } from './_problems.js';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';

/** A valid scenario; each case replaces one `{{KEY}}` with its own text. */
const BASE = `version: 1
name: limits
seed: 1
duration: {{DURATION}}
providers:
  - id: alpha
    reference: { size: 1024x1024, steps: {{REF_STEPS}} }
    pricing: { model: per-step, perStep: {{PER_STEP}}, quality: { hd: {{QUALITY}} }, features: { lora: { multiply: {{FEATURE}} } } }
    tiers:
      standard: { latency: { dist: fixed, value: {{LATENCY}} }, priceMultiplier: {{TIER}} }
    supports: { maxSteps: {{MAX_STEPS}} }
  - id: beta
    pricing: { model: credits, perImage: {{CREDITS}}, creditPrice: 0.01 }
    tiers:
      standard: { latency: { dist: fixed, value: 1s } }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix:
    - { name: all, size: {{SIZE}}, steps: {{STEPS}} }
`;

// Columns are those of the value on its line (1-based), e.g. line 8 `    pricing: { model: per-step, perStep: ` is 41 characters.
const OK: Readonly<Record<string, string>> = {
  DURATION: '1h',
  REF_STEPS: '30',
  PER_STEP: '0.001',
  QUALITY: '2',
  FEATURE: '1.5',
  LATENCY: '2s',
  TIER: '1',
  MAX_STEPS: '50',
  CREDITS: '4',
  SIZE: '1024x1024',
  STEPS: '30',
};

function scenario(over: Readonly<Record<string, string>>): string {
  const values = { ...OK, ...over };
  return BASE.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => values[key]!);
}

const problemsIn = (text: string): string[] => located(text, 'limits.yaml');

describe('scenario values within the limits', () => {
  it('accepts the base scenario and values at the limits', () => {
    expect(() => parseScenarioText(scenario({}), 'limits.yaml')).not.toThrow();
    const s = parseScenarioText(
      scenario({ PER_STEP: '1000000000', LATENCY: '3650d', STEPS: '10000', REF_STEPS: '10000', MAX_STEPS: '10000', SIZE: '16384x16384', TIER: '1000000' }),
      'limits.yaml',
    );
    expect(s.providers[0]?.tierList[0]?.latency).toEqual({ dist: 'fixed', value: 3650 * 86_400_000 });
  });

  it.each([
    ['a per-step price of 1e308', { PER_STEP: '1e308' }, 'limits.yaml:8:42 providers[0].pricing.perStep', /at most 1000000000/],
    ['a price over one billion as text', { PER_STEP: '"$2000000000"' }, 'limits.yaml:8:42 providers[0].pricing.perStep', /at most 1000000000/],
    ['a latency of 1e308 ms', { LATENCY: '1e308' }, 'limits.yaml:10:50 providers[0].tiers.standard.latency.value', /at most 3650d/],
    ['a latency of 3651 days', { LATENCY: '3651d' }, 'limits.yaml:10:50 providers[0].tiers.standard.latency.value', /at most 3650d/],
    ['a duration of 1e308 ms', { DURATION: '1e308' }, 'limits.yaml:4:11 duration', /at most 3650d/],
    ['a tier price multiplier of 1e308', { TIER: '1e308' }, 'limits.yaml:10:73 providers[0].tiers.standard.priceMultiplier', /at most 1000000/],
    ['a quality multiplier of 1e308', { QUALITY: '1e308' }, 'limits.yaml:8:64 providers[0].pricing.quality.hd', /at most 1000000/],
    ['a feature multiplier of 1e308', { FEATURE: '1e308' }, 'limits.yaml:8:99 providers[0].pricing.features.lora.multiply', /at most 1000000/],
    ['credits per image of 1e308', { CREDITS: '1e308' }, 'limits.yaml:13:42 providers[1].pricing.perImage', /at most 1000000000000/],
    ['mix steps of 9007199254740991', { STEPS: '9007199254740991' }, 'limits.yaml:19:44 traffic.mix[0].steps', /at most 10000/],
    ['reference steps of 1e6', { REF_STEPS: '1000000' }, 'limits.yaml:7:42 providers[0].reference.steps', /at most 10000/],
    ['supports.maxSteps of 1e9', { MAX_STEPS: '1000000000' }, 'limits.yaml:11:27 providers[0].supports.maxSteps', /at most 10000/],
    ['a mix size of 999999x999999', { SIZE: '999999x999999' }, 'limits.yaml:19:26 traffic.mix[0].size', /at most 16384 px/],
  ])('refuses %s with a located error', (_name, over, where, message) => {
    const found = problemsIn(scenario(over));
    expect(found).toHaveLength(1);
    expect(found[0]!.slice(0, where.length + 2)).toBe(`${where}: `);
    expect(found[0]).toMatch(message);
  });
});
