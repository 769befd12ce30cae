import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './_cli.js';

const ROOT = path.join(import.meta.dirname, '../..');
const MINIMAL = path.join(ROOT, 'test/fixtures/minimal.yaml');

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'imgsim-cli-'));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('imgsim validate', () => {
  it('accepts every shipped scenario', async () => {
    const files = ['quickstart', 'market-2026', 'list-prices-2025'].map((n) => path.join(ROOT, 'scenarios', `${n}.yaml`));
    const { code, out } = await cli('validate', ...files);
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l.endsWith(')'))).toHaveLength(3);
  });

  it('names file, line 13, column and key path of a bad value, and exits 2 without a stack', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.yaml');
    const lines = readFileSync(MINIMAL, 'utf8').split('\n');
    // The fixture's line 12 is `perStep: 0.001`; a line before it moves it to line 13.
    lines.splice(11, 1, '      minSteps: 0', '      perStep: cheap');
    writeFileSync(file, lines.join('\n'));
    expect(readFileSync(file, 'utf8').split('\n')[12]).toBe('      perStep: cheap');
    const { code, err } = await cli('validate', file);
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:13:16 providers\\[0\\]\\.pricing\\.perStep: expected .*, got "cheap"$`, 'm'));
    expect(err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects a misspelled key by name', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'typo.yaml');
    writeFileSync(file, readFileSync(MINIMAL, 'utf8').replace('    tiers:\n      standard: { latency: { dist: lognormal', '    tiers:\n      standard: { latency: { dist: lognormal').replace('  - id: beta', '    failuers: {}\n  - id: beta'));
    const { code, err } = await cli('validate', file);
    expect(code).toBe(2);
    expect(err).toContain('providers[0].failuers: unknown key `failuers`; did you mean `failures`?');
  });

  it('checks the gateway configs a scenario names, placing their problems in the config file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'gw.yaml');
    writeFileSync(file, readFileSync(MINIMAL, 'utf8').replace('strategies:\n', 'strategies:\n  - { use: litellm, config: ./litellm.yaml }\n'));
    writeFileSync(path.join(dir, 'litellm.yaml'), 'model_list:\n  - model_name: img\n    litellm_params: { model: openai/alpha }\n  - model_name: img\n    litellm_params: { model: openai/gamma }\n');
    const { code, err } = await cli('validate', file);
    expect(code).toBe(2);
    expect(err).toMatch(/litellm\.yaml:4:5 model_list\[1\]: cannot tell which provider of the scenario this is; .* one of: alpha, beta/);
  });

  it('warns of hosted-only Portkey features and of targets serve cannot answer through the gateway, without failing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'pk.yaml');
    writeFileSync(file, readFileSync(MINIMAL, 'utf8').replace('strategies:\n', 'strategies:\n  - { use: portkey, config: ./hosted.json }\n').replace('  - id: beta\n', '  - id: beta\n    model: beta-1\n'));
    writeFileSync(
      path.join(dir, 'hosted.json'),
      '{\n  "strategy": { "mode": "fallback", "cb_config": { "failure_threshold": 3, "cooldown_interval": 60000 } },\n  "targets": [\n    { "virtual_key": "alpha", "retry": { "attempts": 1, "use_retry_after_headers": true } },\n    { "provider": "openai", "api_key": "k", "custom_host": "http://127.0.0.1:8787/beta/v1" }\n  ]\n}\n',
    );
    const { code, out, err } = await cli('validate', file);
    expect(code).toBe(0);
    expect(out).toContain('pk.yaml: ok');
    expect(err).toMatch(/^warning: .*hosted\.json:2:50 strategy\.cb_config: hosted Portkey only: the open-source gateway 1\.15\.2 ignores it/m);
    expect(err).toMatch(/^warning: .*hosted\.json:4:22 targets\[0\]\.virtual_key: hosted Portkey only: .*answers 400/m);
    expect(err).toMatch(/^warning: .*targets\[0\]\.retry\.use_retry_after_headers: hosted Portkey only: .*drops this key/m);
    expect(err).toMatch(/^warning: .*targets\[1\]\.custom_host: beta pins model beta-1: imgsim serve answers 404 model_not_found .*override_params: \{ model: "beta-1" \}/m);
    expect(err.match(/^warning:/gm)).toHaveLength(4);
    // The shipped open-source config: nothing hosted-only; its gridwatt targets (async dialect)
    // cannot be reached by the gateway's OpenAI images request, and say so.
    const shipped = await cli('validate', path.join(ROOT, 'scenarios', 'market-2026.yaml'));
    expect(shipped.code).toBe(0);
    const warnings = shipped.err.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(w).toMatch(/portkey\.json:\d+:\d+ \S+\.custom_host: gridwatt speaks the async dialect: imgsim serve answers the gateway's OpenAI images request 404/);
  });
});

describe('imgsim quote', () => {
  const scenario = (dir: string): string => {
    const file = path.join(dir, 'q.yaml');
    writeFileSync(
      file,
      `version: 1
name: q
providers:
  - id: lumen
    pricing: { model: per-step, base: 0.002, perStep: 0.001, offPeak: [{ from: "02:00", to: "06:00", discount: 0.3 }] }
    tiers:
      standard: { latency: { dist: fixed, value: 8s } }
      turbo: { latency: { dist: fixed, value: 400ms }, priceMultiplier: 1.5 }
  - id: fal
    pricing: { model: per-megapixel, perMegapixel: 0.025, includedSteps: 28, features: { controlnet: { add: 0.01 } } }
    tiers: { standard: { latency: { dist: fixed, value: 3s } } }
traffic: { arrivals: { rate: 1/s }, mix: [{ name: a }] }
`,
    );
    return file;
  };

  it('matches hand arithmetic: per-step with off-peak and turbo', async () => {
    const { code, out } = await cli('quote', scenario(tempDir()), '--size', '1024x1024', '--steps', '40', '--at', '2026-06-01T03:00:00Z', '--tier', 'turbo', '--provider', 'lumen', '--json');
    expect(code).toBe(0);
    const q = JSON.parse(out).quotes[0].quote;
    // (0.002 + 0.001 × 40) × (1 − 0.3) × 1.5 = 0.042 × 0.7 × 1.5 = 0.0441
    expect(q.totalUsd).toBeCloseTo(0.0441, 12);
  });

  it('matches hand arithmetic: per-megapixel with steps beyond the included ones and ControlNet', async () => {
    const { out } = await cli('quote', scenario(tempDir()), '--size', '2048x1024', '--steps', '56', '--features', 'controlnet', '--provider', 'fal', '--json');
    // 2.097152 MP × 0.025 × (56 / 28) + 0.01 = 0.1048576 + 0.01 = 0.1148576
    expect(JSON.parse(out).quotes[0].quote.totalUsd).toBeCloseTo(0.1148576, 12);
  });

  it('says why a provider cannot serve a request, and refuses bad options with exit 2', async () => {
    const file = scenario(tempDir());
    const { out } = await cli('quote', file, '--size', '1024x1024', '--steps', '30', '--features', 'controlnet');
    expect(out).toContain('lumen: cannot serve it: lumen does not support controlnet');
    expect((await cli('quote', file, '--size', 'big', '--steps', '30')).code).toBe(2);
    expect((await cli('quote', file, '--size', '1024x1024', '--steps', '30', '--features', 'lasers')).code).toBe(2);
  });
});

describe('imgsim fit', () => {
  it('fits the attempt log of a run: YAML on stdout that validates, the report on stderr', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'attempts.jsonl');
    expect((await cli('run', MINIMAL, '--out', dir, '--strategy', 'round-robin', '--duration', '20m', '--attempts-log', log, '--quiet')).code).toBe(0);
    const { code, out, err } = await cli('fit', log);
    expect(code).toBe(0);
    expect(err).toMatch(/^provider\s+tier\s+samples/m);
    // alpha's 2 s is fixed, its price 0.002 + 0.001 × 30 = 0.032 per image
    expect(out).toContain('standard: { latency: { dist: fixed, value: 2s } }');
    const scenario = path.join(dir, 'refit.yaml');
    writeFileSync(scenario, readFileSync(MINIMAL, 'utf8').replace(/providers:\n[\s\S]*?(?=traffic:)/, out.replace(/^#.*\n/gm, '')));
    expect((await cli('validate', scenario)).code).toBe(0);
  });

  it('writes --out and --json, and refuses bad options with exit 2', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'attempts.jsonl');
    await cli('run', MINIMAL, '--out', dir, '--strategy', 'cheapest', '--duration', '5m', '--attempts-log', log, '--quiet');
    expect((await cli('fit', log, '--out', path.join(dir, 'providers.yaml'), '--quiet')).code).toBe(0);
    expect(readFileSync(path.join(dir, 'providers.yaml'), 'utf8')).toMatch(/^providers:$/m);
    const json = await cli('fit', log, '--json', '--quiet');
    expect(JSON.parse(json.out).providers[0]).toMatchObject({ id: 'alpha' });
    const bad = await cli('fit', log, '--columns', 'litelm');
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/did you mean "litellm"/)]);
    expect((await cli('fit')).code).toBe(2);
    expect((await cli('fit', path.join(dir, 'nope.jsonl'))).code).toBe(2);
  });
});

describe('imgsim run', () => {
  it('writes report.json and report.md, byte-identical across runs, different for another seed', async () => {
    const dir = tempDir();
    const first = await cli('run', MINIMAL, '--out', path.join(dir, 'a'), '--quiet');
    const second = await cli('run', MINIMAL, '--out', path.join(dir, 'b'), '--quiet');
    const other = await cli('run', MINIMAL, '--out', path.join(dir, 'c'), '--quiet', '--seed', '999');
    expect([first.code, second.code, other.code]).toEqual([0, 0, 0]);
    const a = readFileSync(path.join(dir, 'a/report.json'), 'utf8');
    expect(readFileSync(path.join(dir, 'b/report.json'), 'utf8')).toBe(a);
    expect(readFileSync(path.join(dir, 'c/report.json'), 'utf8')).not.toBe(a);
    expect(JSON.parse(a)).toMatchObject({ imgsim: '1.0.0', scenario: 'minimal', seed: 7, mode: 'sim' });
    expect(readFileSync(path.join(dir, 'a/report.md'), 'utf8')).toContain('| cheapest');
  });

  it('adds the oracle and a regret column by default; --no-oracle leaves them out', async () => {
    const dir = tempDir();
    const on = await cli('run', MINIMAL, '--out', path.join(dir, 'on'), '--strategy', 'cheapest', '--duration', '5m');
    expect(on.out).toMatch(/^strategy .* wasted +regret +p50 /m);
    expect(on.out).toMatch(/^oracle: \$[\d.,]+ for [\d,]+ of [\d,]+ requests within SLO/m);
    const report = JSON.parse(readFileSync(path.join(dir, 'on/report.json'), 'utf8'));
    expect(report.oracle.requests.total).toBe(report.strategies[0].requests.total);
    expect(report.strategies[0].regret.lowerBound).toBeLessThanOrEqual(report.strategies[0].cost.total);
    const off = await cli('run', MINIMAL, '--out', path.join(dir, 'off'), '--strategy', 'cheapest', '--duration', '5m', '--no-oracle');
    expect(off.code).toBe(0);
    expect(off.out).not.toMatch(/regret|oracle/);
    expect(readFileSync(path.join(dir, 'off/report.json'), 'utf8')).not.toMatch(/"oracle"|"regret"/);
  });

  it('prints the summary table, and the report with --json', async () => {
    const dir = tempDir();
    const table = await cli('run', MINIMAL, '--out', dir, '--strategy', 'cheapest', '--duration', '10m');
    expect(table.out).toMatch(/^strategy\s+requests/m);
    expect(table.out).toMatch(/^cheapest\s+[\d,]+/m);
    const json = await cli('run', MINIMAL, '--out', dir, '--strategy', 'cheapest', '--duration', '10m', '--json');
    const report = JSON.parse(json.out);
    expect(report.strategies.map((s: { name: string }) => s.name)).toEqual(['cheapest']);
    // 10 minutes at 2/s: about 1,200 requests
    expect(report.strategies[0].requests.total).toBeGreaterThan(1_000);
    expect(report.window.end).toBe('2026-06-01T00:10:00.000Z');
  });

  it('exits 1 when a threshold is violated and names it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 't.yaml');
    writeFileSync(file, `${readFileSync(MINIMAL, 'utf8')}thresholds:\n  - { metric: cost.perSucceeded, max: 0.001 }\n`);
    const { code, out } = await cli('run', file, '--out', dir, '--duration', '5m');
    expect(code).toBe(1);
    expect(out).toContain('cost.perSucceeded');
  });

  it('writes the attempt log with --attempts-log: one JSON line per attempt', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'logs/attempts.jsonl');
    const { code, out } = await cli('run', MINIMAL, '--out', dir, '--strategy', 'cheapest', '--duration', '5m', '--attempts-log', log, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { strategies: { attempts: { total: number } }[] };
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(report.strategies[0]!.attempts.total);
    expect(JSON.parse(lines[0]!)).toMatchObject({ tier: 'standard', strategy: 'cheapest', attempt: 1 });
  });

  it('refuses bad arguments with exit 2', async () => {
    expect((await cli('run', MINIMAL, '--duration', 'forever')).code).toBe(2);
    expect((await cli('run', MINIMAL, '--strategy', 'nope-nope')).code).toBe(2);
    expect((await cli('run', MINIMAL, '--format', 'pdf')).code).toBe(2);
    expect((await cli('run')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('skips bad trace rows with --on-bad-row skip and reports them; fails on them by default', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 't.jsonl'), ['{"at": 0}', '{"at": 1000, "size": "huge"}', '{"at": 2000, "steps": 20}', ''].join('\n'));
    const file = path.join(dir, 's.yaml');
    writeFileSync(
      file,
      readFileSync(MINIMAL, 'utf8').replace(/traffic:\n(.*\n){3}/, 'traffic:\n  trace: t.jsonl\n'),
    );
    const failed = await cli('run', file, '--out', dir, '--quiet');
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/t\.jsonl:2/);
    const skipped = await cli('run', file, '--out', dir, '--on-bad-row', 'skip', '--json');
    expect(skipped.code).toBe(0);
    expect(skipped.err).toMatch(/skipped 1 bad rows/);
    expect(JSON.parse(skipped.out).strategies[0].requests.total).toBe(2);
  });
});

describe('imgsim live', () => {
  it('refuses --target without --server, whose ledger and journal would be the report (not a silent $0.00)', async () => {
    const { code, err } = await cli('live', MINIMAL, '--target', 'http://127.0.0.1:9');
    expect(code).toBe(2);
    expect(err).toContain('--target needs --server: the URL of the imgsim serve the gateway forwards to');
  });

  it('refuses a --header without NAME:VALUE', async () => {
    const { code, err } = await cli('live', MINIMAL, '--server', 'http://127.0.0.1:9', '--header', 'no-colon-here');
    expect(code).toBe(2);
    expect(err).toContain('--header: expected NAME:VALUE');
  });
});
