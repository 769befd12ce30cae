// `imgsim forecast` and `imgsim merge`: worker threads from the compiled CLI (dist/, rebuilt by
// test/_global-setup.ts when src/ is newer), shards merged in-process, and bad input.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './_cli.js';

const ROOT = path.join(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/imgsim.js');
const MINIMAL = path.join(ROOT, 'test/fixtures/minimal.yaml');
/** Small: 6 runs of 10 simulated minutes at 2/s, two strategies. */
const SMALL = ['--runs', '6', '--horizon', '10m'];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'imgsim-forecast-'));
}

/** Runs the built CLI in its own process. */
function bin(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('imgsim forecast on worker threads (dist/)', () => {
  it('writes the same forecast.json with 1 and 2 worker threads, and shards merged equal it byte for byte', async () => {
    const dir = tempDir();
    const [one, two] = await Promise.all([
      bin('forecast', MINIMAL, ...SMALL, '--workers', '1', '--out', path.join(dir, 'w1')),
      bin('forecast', MINIMAL, ...SMALL, '--workers', '2', '--out', path.join(dir, 'w2'), '--quiet'),
    ]);
    expect(one.err).toBe('');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.out).toMatch(/^strategy +cost mean +P50 +P90 +P99 +regret P50 +per image P50/m);
    expect(one.out).toMatch(/^Hindsight oracle \(the cheapest routing on each run's realised draws\): plan \$[\d,.]+ at the median/m);
    expect(one.out).toContain('on 1 worker thread)');
    expect(two.out).toBe('');
    const single = readFileSync(path.join(dir, 'w1/forecast.json'), 'utf8');
    expect(readFileSync(path.join(dir, 'w2/forecast.json'), 'utf8')).toBe(single);
    const parsed = JSON.parse(single);
    expect(parsed).toMatchObject({ runs: 6, horizon: { duration: '10m', ms: 600_000 } });
    expect(Object.keys(parsed.strategies[0].cost)).toEqual(expect.arrayContaining(['mean', 'p50', 'p90', 'p99']));

    // Three shards on the main thread, merged in-process, in another order.
    const parts = path.join(dir, 'parts');
    for (const k of [1, 2, 3]) {
      const r = await cli('forecast', MINIMAL, ...SMALL, '--workers', '0', '--shard', `${k}/3`, '--out', parts);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`shard ${k}/3: 2 of 6 runs written to`);
    }
    expect(readdirSync(parts).sort()).toEqual(['forecast.part-1-of-3.json', 'forecast.part-2-of-3.json', 'forecast.part-3-of-3.json']);
    const files = [3, 1, 2].map((k) => path.join(parts, `forecast.part-${k}-of-3.json`));
    const merged = await cli('merge', ...files, '--out', path.join(dir, 'merged'));
    expect(merged.code).toBe(0);
    expect(merged.out).toContain('3 parts merged');
    expect(readFileSync(path.join(dir, 'merged/forecast.json'), 'utf8')).toBe(single);
    expect(readFileSync(path.join(dir, 'merged/forecast.md'), 'utf8')).toBe(readFileSync(path.join(dir, 'w1/forecast.md'), 'utf8'));

    // A missing shard, a repeated one, and a part of another forecast are refused.
    const missing = await cli('merge', files[0]!, files[1]!);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/2 of 6 runs are missing \(runs 1, 4\); the parts given are shards 3\/3, 1\/3 of 3: merge every shard/);
    const twice = await cli('merge', files[0]!, files[1]!, files[0]!);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/run 2 is in both .*part-3-of-3\.json and .*part-3-of-3\.json/);
    const other = path.join(dir, 'other');
    expect((await cli('forecast', MINIMAL, ...SMALL, '--seed', '8', '--workers', '0', '--shard', '1/3', '--out', other)).code).toBe(0);
    const mixed = await cli('merge', files[1]!, files[2]!, path.join(other, 'forecast.part-1-of-3.json'));
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/are parts of different forecasts: their seed differ \(8 vs 7\)/);
  });
});

describe('imgsim forecast --format html,png', () => {
  it('writes the fan chart as PNG and forecast.html, and merge writes the same chart from the shards', async () => {
    const dir = tempDir();
    const single = await cli('forecast', MINIMAL, ...SMALL, '--workers', '0', '--format', 'md,html,png', '--out', path.join(dir, 'one'), '--quiet');
    expect(single.code).toBe(0);
    expect(readdirSync(path.join(dir, 'one')).sort()).toEqual(['charts', 'forecast.html', 'forecast.md']);
    // No sweep, no sweep chart: only the fan chart is drawn.
    expect(readdirSync(path.join(dir, 'one/charts'))).toEqual(['spend-fan.png']);
    const png = readFileSync(path.join(dir, 'one/charts/spend-fan.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR: width and height, big-endian, at bytes 16-23.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 700]);
    const html = readFileSync(path.join(dir, 'one/forecast.html'), 'utf8');
    expect(html).toContain('<canvas id="canvas-spend-fan"');
    expect(html).toContain('Not drawn: no rate sweep in this forecast');
    // forecast.md's tables, and the scenario the forecast ran.
    expect(html).toMatch(/<section id="strategies"><h2>Strategies<\/h2><div class="table-wrap"><table>/);
    expect(html).toContain('<summary>' + MINIMAL + '</summary>');

    const parts = path.join(dir, 'parts');
    for (const k of [1, 2]) expect((await cli('forecast', MINIMAL, ...SMALL, '--workers', '0', '--shard', `${k}/2`, '--out', parts, '--quiet')).code).toBe(0);
    const merged = await cli('merge', path.join(parts, 'forecast.part-1-of-2.json'), path.join(parts, 'forecast.part-2-of-2.json'), '--format', 'png', '--out', path.join(dir, 'merged'), '--quiet');
    expect(merged.code).toBe(0);
    expect(readFileSync(path.join(dir, 'merged/charts/spend-fan.png'))).toEqual(png);
  });
});

describe('imgsim forecast: bad input exits 2 with a clear message', () => {
  it.each([
    [['--runs', '0'], /--runs: expected a whole number >= 1, got "0"/],
    [['--runs', 'many'], /--runs: expected a whole number >= 1, got "many"/],
    [['--shard', '3/2'], /--shard: expected k\/n with 1 <= k <= n/],
    [['--shard', '0/2'], /--shard: expected k\/n/],
    [['--shard', 'half'], /--shard: expected k\/n/],
    [['--runs', '2', '--shard', '1/3'], /3 shards for 2 runs would leave shards without runs/],
    [['--sweep', 'rate=10/s'], /--sweep: expected rate=A\.\.B/],
    [['--sweep', 'rate=20/s..10/s'], /--sweep: the range must go up/],
    [['--sweep', 'rate=1/s..2/s', '--shard', '1/2'], /--sweep cannot be sharded/],
    [['--sweep', 'providers.alpha.capacity.concurrency=4,8', '--shard', '1/2'], /--sweep cannot be sharded \(its runs are compared value by value\)/],
    [['--sweep', 'providers.alpha.reserved.slots=0,4'], /provider "alpha" has no `reserved` block/],
    [['--sweep', 'providers.gamma.capacity.concurrency=4'], /no provider "gamma" in .*; providers are alpha, beta/],
    [['--sweep', 'providers.alpha.capacity.concurrency=4', '--tolerance', '0.1'], /--tolerance applies to a rate sweep/],
    [['--probe-runs', '2'], /--probe-runs applies to a sweep/],
    [['--horizon', 'soon'], /--horizon: expected a duration/],
    [['--workers=1.5'], /--workers: expected a whole number >= 0, got "1.5"/],
    [['--format', 'pdf'], /--format: unknown format "pdf"; formats are json, md, html, png/],
    [['--strategy', 'Nope'], /no strategy "Nope" in the scenario/],
    [['--sweep', 'rate=1/s..2/s', '--tolerance', '2'], /--tolerance: expected a fraction of the range between 0 and 1/],
  ])('forecast %j', async (args, message) => {
    const r = await cli('forecast', MINIMAL, '--workers', '0', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses a file that is not a partial forecast, and merge without files', async () => {
    const r = await cli('merge', MINIMAL);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/minimal\.yaml: not JSON/);
    expect((await cli('merge')).err).toMatch(/merge: name the partial forecast files/);
    expect((await cli('merge', '/nonexistent/part.json')).err).toMatch(/cannot read it \(ENOENT\)/);
  });
});

describe('imgsim forecast --sweep', () => {
  it('prints each strategy’s sustainable rate and writes the probes to forecast.json', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'slots.yaml');
    // 10 slots of a fixed 1 s: 10/s at most.
    writeFileSync(
      file,
      `version: 1
name: slots
start: 2026-06-01T00:00:00Z
duration: 1m
providers:
  - id: solo
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    capacity: { concurrency: 10, queue: 10000 }
traffic:
  arrivals: { rate: 2/s }
  mix: [{ name: app }]
strategies: [cheapest]
policy: { timeout: 10m, maxAttempts: 1 }
slo: { interactive: { p95: 2s } }
`,
    );
    const r = await cli('forecast', file, '--runs', '1', '--workers', '0', '--sweep', 'rate=1/s..20/s', '--probe-runs', '1', '--probe-horizon', '2m', '--tolerance', '5%', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Sweep 1\/s\.\.20\/s \(1 runs of 2m per probe; SLO attainment >= 95% interactive, 95% batch\)/);
    const row = /^cheapest +(\d+(\.\d+)?)\/s +[\d.]+% interactive +solo \(/m.exec(r.out);
    expect(row).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThan(8);
    expect(Number(row![1])).toBeLessThanOrEqual(11);
    const f = JSON.parse(readFileSync(path.join(dir, 'forecast.json'), 'utf8'));
    expect(f.sweep.strategies[0].probes.length).toBeGreaterThan(3);
    expect(f.sweep.tolerancePerSec).toBeCloseTo(0.95, 9);
  });

  it('refuses a sweep over a replayed trace', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'trace.yaml');
    writeFileSync(
      file,
      readFileSync(MINIMAL, 'utf8').replace(/traffic:[\s\S]*?strategies:/, `traffic:\n  trace: ${path.join(ROOT, 'test/fixtures/traces/basic.jsonl')}\nstrategies:`),
    );
    const r = await cli('forecast', file, '--workers', '0', '--sweep', 'rate=1/s..2/s');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/a replayed trace has its own rate; --sweep needs synthetic traffic/);
  });
});
