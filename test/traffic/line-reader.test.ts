import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAttemptLog } from '../../src/fit/read.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { LineReader, MAX_LINE_BYTES } from '../../src/traffic/line-reader.js';
import { TraceReader } from '../../src/traffic/trace.js';

const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-lines-'));
const START = Date.UTC(2026, 5, 1);
let count = 0;
function temp(text: string, ext = 'jsonl'): string {
  const file = path.join(TMP, `l${count++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

function readAll(r: LineReader): string[] {
  const out: string[] = [];
  for (let l = r.next(); l !== undefined; l = r.next()) out.push(l);
  return out;
}

describe('LineReader line limit', () => {
  it('reports an over-long line with its number and goes on at the next line, whatever the chunking', () => {
    // Lines longer than the limit end inside a read, across reads, and at the end of the file.
    const long = 'x'.repeat(200_000);
    const file = temp(`a\n${long}\nb\n${'y'.repeat(101)}\nc\n${long}`);
    const seen: string[] = [];
    const r = new LineReader(file, 'trace', 'invalid-trace', '', { maxLineBytes: 100, onOverlong: (problem) => seen.push(`${r.lineNo}: ${problem}`) });
    expect(readAll(r)).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual([
      '2: line of 200000 bytes is longer than the 100 bytes a trace line may have',
      '4: line of 101 bytes is longer than the 100 bytes a trace line may have',
      '6: line of 200000 bytes is longer than the 100 bytes a trace line may have',
    ]);
  });

  it('without a handler, an over-long line is a located error', () => {
    const file = temp(`a\n${'z'.repeat(300)}\n`);
    const r = new LineReader(file, 'attempt log', 'invalid-trace', '', { maxLineBytes: 100 });
    expect(r.next()).toBe('a');
    expect(() => r.next()).toThrow(ImgsimError);
    expect(() => new LineReader(file, 'attempt log', 'invalid-trace', '', { maxLineBytes: 100 }).next()).not.toThrow();
    const again = new LineReader(file, 'attempt log', 'invalid-trace', '', { maxLineBytes: 100 });
    again.next();
    expect(() => again.next()).toThrow(`${file}:2: line of 300 bytes is longer than the 100 bytes an attempt log line may have`);
  });

  it('a line of exactly the limit is read', () => {
    const file = temp(`${'q'.repeat(100)}\r\nw`);
    expect(readAll(new LineReader(file, 'trace', 'invalid-trace', '', { maxLineBytes: 100 }))).toEqual(['q'.repeat(100), 'w']);
  });
});

describe('a trace line over the limit (1 MiB)', () => {
  const line = (s: number): string => JSON.stringify({ at: new Date(START + s * 1000).toISOString() });
  const huge = JSON.stringify({ at: new Date(START + 2000).toISOString(), prompt: 'p'.repeat(MAX_LINE_BYTES) });
  const file = temp(`${line(1)}\n${huge}\n${line(3)}\n`);

  it('is a bad row with its line number', () => {
    const r = new TraceReader({ file, format: 'jsonl', onBadRow: 'fail' }, START, START + 3_600_000);
    expect(r.next()?.arrivalMs).toBe(START + 1000);
    expect(() => r.next()).toThrow(`${file}:2: line of ${huge.length} bytes is longer than the 1 MiB a trace line may have`);
  });

  it('is skipped with onBadRow: skip', () => {
    const r = new TraceReader({ file, format: 'jsonl', onBadRow: 'skip' }, START, START + 3_600_000);
    const at: number[] = [];
    for (let q = r.next(); q !== undefined; q = r.next()) at.push(q.arrivalMs - START);
    expect(at).toEqual([1000, 3000]);
    expect(r.skippedRows).toBe(1);
    expect(r.warnings).toEqual([`${file}:2: line of ${huge.length} bytes is longer than the 1 MiB a trace line may have`]);
  });
});

describe('an attempt log line over the limit (imgsim fit)', () => {
  const ok = '{"provider":"lumen","tier":"standard","start":"2026-06-01T00:00:00.627Z","latencyMs":4698.978,"outcome":"success","status":200,"costUsd":0.024,"size":"1024x1024","steps":30,"features":[],"project":"app","strategy":"round-robin","request":0,"attempt":1}';
  const huge = `{"pad":"${'p'.repeat(MAX_LINE_BYTES)}"}`;
  const file = temp(`${ok}\n${huge}\n${ok}\n`);

  it('is a bad row: located with fail, skipped and counted with skip', () => {
    expect(() => readAttemptLog(file)).toThrow(`${file}:2: line of ${huge.length} bytes is longer than the 1 MiB an attempt log line may have`);
    const log = readAttemptLog(file, { onBadRow: 'skip' });
    expect([log.attempts.length, log.skippedRows]).toEqual([2, 1]);
  });
});
