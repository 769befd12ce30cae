// Trace rows get the same bounds as live requests and scenarios (issue 15, defect 2): a row
// whose steps, size or deadline is beyond docs/scenario-reference.md "Limits" is a bad row with
// its line number, failing the run or skipped with `onBadRow: skip`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImgsimError } from '../../src/scenario/errors.js';
import type { ResolvedTrace } from '../../src/scenario/resolve.js';
import { TraceReader } from '../../src/traffic/trace.js';

const START = Date.UTC(2026, 5, 1);
const END = START + 3_600_000;
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-trace-bounds-'));

function reader(text: string, name: string, onBadRow: 'fail' | 'skip'): TraceReader {
  const file = path.join(TMP, name);
  writeFileSync(file, text);
  const trace: ResolvedTrace = { file, format: name.endsWith('.csv') ? 'csv' : 'jsonl', onBadRow };
  return new TraceReader(trace, START, END);
}

function drain(r: TraceReader): number[] {
  const steps: number[] = [];
  for (let q = r.next(); q !== undefined; q = r.next()) steps.push(q.steps);
  return steps;
}

describe('trace rows beyond the limits', () => {
  it.each([
    ['steps 1e20', '{"at": 2000, "steps": 1e20}', 'bad `steps` 100000000000000000000: expected a whole number from 1 to 10000'],
    ['steps 9007199254740991', '{"at": 2000, "steps": 9007199254740991}', 'bad `steps` 9007199254740991: expected a whole number from 1 to 10000'],
    ['steps 10001 as text', '{"at": 2000, "steps": "10001"}', 'bad `steps` "10001": expected a whole number from 1 to 10000'],
    ['a size of 999999x999999', '{"at": 2000, "size": "999999x999999"}', 'bad `size` "999999x999999": expected a size WIDTHxHEIGHT with each side at most 16384 px'],
    ['a deadline of 1e20 ms', '{"at": 2000, "deadline": "100000000000000000000"}', 'bad `deadline` "100000000000000000000": expected a duration of at most 3650d'],
  ])('%s is a bad row on its line', (_name, row, message) => {
    const r = reader(`{"at": 1000, "steps": 10000}\n${row}\n`, `${_name.replace(/\W/g, '-')}.jsonl`, 'fail');
    let err: unknown;
    try {
      drain(r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-trace');
    expect((err as ImgsimError).message).toContain(`.jsonl:2: ${message}`);
  });

  it('skips such rows with onBadRow: skip and keeps the rest', () => {
    const r = reader('at,steps\n1000,30\n2000,100000000000000000000\n3000,10000\n', 'skip.csv', 'skip');
    expect(drain(r)).toEqual([30, 10000]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/skip\.csv:3: bad `steps` "100000000000000000000"/);
  });
});
