import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFitColumns, readAttemptLog } from '../../src/fit/read.js';
import { ImgsimError } from '../../src/scenario/errors.js';

const ROOT = path.join(import.meta.dirname, '../..');
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-read-'));
let n = 0;
function temp(text: string, ext = 'jsonl'): string {
  const file = path.join(TMP, `log${n++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    return (err as ImgsimError).message;
  }
  throw new Error('expected an error');
}

const LINE =
  '{"provider":"lumen","tier":"standard","start":"2026-06-01T00:00:00.627Z","latencyMs":4698.978,"outcome":"generative","status":500,"costUsd":0.03,"size":"1536x1024","steps":40,"quality":"hd","features":["controlnet"],"project":"app","strategy":"round-robin","request":0,"attempt":1}';

describe('reading an attempt log', () => {
  it('reads imgsim’s own attempt log with no mapping', () => {
    const log = readAttemptLog(temp(`${LINE}\n\n`));
    expect(log.attempts).toEqual([
      {
        provider: 'lumen',
        tier: 'standard',
        startMs: Date.UTC(2026, 5, 1, 0, 0, 0, 627),
        latencyMs: 4698.978,
        outcome: 'generative',
        costUsd: 0.03,
        size: '1536x1024',
        width: 1536,
        height: 1024,
        steps: 40,
        quality: 'hd',
        features: ['controlnet'],
      },
    ]);
  });

  it('reads the LiteLLM example with `litellm`: model, start to end, status with the error code, spend', () => {
    const log = readAttemptLog(path.join(ROOT, 'scenarios/traces/litellm-spend-logs.csv'), { columns: 'litellm' });
    expect(log.attempts).toHaveLength(40);
    expect(log.attempts[0]).toMatchObject({
      provider: 'black-forest-labs/FLUX.1-schnell',
      startMs: Date.UTC(2026, 5, 5, 9, 0, 33, 261),
      latencyMs: 5_560, // 09:00:38.821 − 09:00:33.261
      outcome: 'success',
      costUsd: 0.005662,
      steps: 8,
    });
    const outcomes = new Set(log.attempts.map((a) => a.outcome));
    expect(outcomes).toEqual(new Set(['success', 'server-error']));
  });

  it('reads a CSV log through an inline mapping, timing attempts by start and end', () => {
    const file = temp(['ts,done,vendor,http,usd', '1780272000,1780272002.5,alpha,200,0.04', '1780272001,1780272001.2,alpha,429,0'].join('\n'), 'csv');
    const log = readAttemptLog(file, { columns: 'start=ts,end=done,provider=vendor,status=http,cost=usd', timeFormat: 'unix-s' });
    expect(log.attempts.map((a) => [a.startMs - Date.UTC(2026, 5, 1), a.latencyMs, a.outcome, a.costUsd])).toEqual([
      [0, 2_500, 'success', 0.04],
      [1_000, 200, 'rate-limited', 0],
    ]);
  });

  it('keeps only the rows --where names', () => {
    const file = temp([LINE, LINE.replace('"round-robin"', '"cheapest"')].join('\n'));
    const log = readAttemptLog(file, { where: ['strategy=cheapest|random'] });
    expect([log.attempts.length, log.filteredRows]).toEqual([1, 1]);
  });

  it('takes the provider from --provider-column', () => {
    const log = readAttemptLog(temp(`${LINE}\n`), { providerColumn: 'project' });
    expect(log.attempts[0]!.provider).toBe('app');
  });

  it('reports bad rows with their line numbers, or skips and counts them', () => {
    const file = temp([LINE, LINE.replace('"start":"2026-06-01T00:00:00.627Z",', ''), LINE.replace('"generative"', '"sparkles"').replace('"status":500,', '')].join('\n'));
    expect(messageOf(() => readAttemptLog(file))).toBe(`${file}:2: missing \`start\` (mapped to \`start\`); end the mapping with \`?\` if rows may lack it`);
    const log = readAttemptLog(file, { onBadRow: 'skip' });
    expect([log.attempts.length, log.skippedRows]).toEqual([1, 2]);
    expect(log.warnings[1]).toMatch(new RegExp(`:3: unknown outcome "sparkles"`));
  });

  it('names a mapped column the CSV header lacks', () => {
    const file = temp('when,vendor\n1,a\n', 'csv');
    expect(messageOf(() => readAttemptLog(file, { columns: 'start=when,provider=vendr,latency=ms' }))).toMatch(/:1: the CSV header has no column `vendr` \(mapped to `provider`\); did you mean `vendor`\?/);
  });

  it('refuses an unknown mapping or field with the nearest name', () => {
    expect(messageOf(() => parseFitColumns('litelm'))).toMatch(/unknown mapping "litelm"; did you mean "litellm"\?/);
    expect(messageOf(() => parseFitColumns('provder=model'))).toMatch(/unknown field "provder"; did you mean "provider"\?/);
    expect(messageOf(() => parseFitColumns('provider'))).toMatch(/unknown mapping "provider"/);
  });
});
