import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const ROOT = path.join(import.meta.dirname, '../..');
const CHARTS = path.join(ROOT, 'test/fixtures/charts.yaml');

async function quietly(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), err };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('imgsim run --format html,png', () => {
  it('writes report.html and the PNG charts, and report.md references the charts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-visual-'));
    vi.stubEnv('GITHUB_STEP_SUMMARY', '');
    const { code, err } = await quietly(['run', CHARTS, '--out', dir, '--format', 'json,md,html,png', '--duration', '1h']);
    expect(err).toBe('');
    expect(code).toBe(0);
    for (const f of ['report.json', 'report.md', 'report.html', 'charts/cost-over-time.png', 'charts/latency-cdf-interactive.png', 'charts/budget-burn-down.png', 'charts/effective-price.png']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## Charts\n\n![Cumulative cost over simulated time](charts/cost-over-time.png)\n');
    expect(md).toContain('![Cost per image vs interactive p95 latency](charts/cost-vs-latency.png)');
  });

  it('appends report.md to $GITHUB_STEP_SUMMARY, charts or not', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-summary-'));
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary);
    expect((await quietly(['run', CHARTS, '--out', dir, '--format', 'json', '--duration', '1h'])).code).toBe(0);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n# imgsim report: charts\n')).toBe(true);
    expect(text).toContain('## Strategies');
    // No PNGs were written, so no chart section; and no report.md either (format json only).
    expect(text).not.toContain('## Charts');
    expect(existsSync(path.join(dir, 'report.md'))).toBe(false);
  });

  it('keeps report.md byte-stable with charts', async () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '');
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-stable-'));
      expect((await quietly(['run', CHARTS, '--out', dir, '--format', 'md,png', '--duration', '30m'])).code).toBe(0);
      texts.push(readFileSync(path.join(dir, 'report.md'), 'utf8'));
    }
    expect(texts[1]).toBe(texts[0]);
  });
});

describe('imgsim run without html or png', () => {
  /** Modules `run` imports statically, from src/cli/main.ts down: what every run loads. */
  function staticImports(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^import (?!type )[^;]*?from '([^']+)';/gms)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) staticImports(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')), seen);
      else seen.add(spec);
    }
    return seen;
  }

  it('never loads Chart.js or the canvas: they are imported only when asked for', () => {
    // main.ts imports each command when it runs; `run` is this graph.
    const loaded = staticImports(path.join(ROOT, 'src/cli/run.ts'));
    expect(loaded.has(path.join(ROOT, 'src/sim/run.ts'))).toBe(true);
    expect(loaded.has('node:fs')).toBe(true);
    for (const heavy of ['chart.js', '@napi-rs/canvas', 'playwright-core']) expect(loaded.has(heavy), heavy).toBe(false);
    expect(loaded.has(path.join(ROOT, 'src/report/visual.ts'))).toBe(false);
  });
});
