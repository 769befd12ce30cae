import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../src/model/request.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedTrace } from '../../src/scenario/resolve.js';
import { TraceReader } from '../../src/traffic/trace.js';
import { openTraffic } from '../../src/traffic/traffic.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/traces');
const HOUR = 3_600_000;
/** 2026-06-01T00:00:00Z; every trace below runs for one hour from here. */
const START = Date.UTC(2026, 5, 1);
const END = START + HOUR;
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-trace-'));

function reader(file: string, onBadRow: 'fail' | 'skip' = 'fail', format?: 'jsonl' | 'csv'): TraceReader {
  const trace: ResolvedTrace = { file, format: format ?? (file.endsWith('.csv') ? 'csv' : 'jsonl'), onBadRow };
  return new TraceReader(trace, START, END);
}

function pullAll(r: TraceReader): ImageRequest[] {
  const out: ImageRequest[] = [];
  for (let q = r.next(); q !== undefined; q = r.next()) out.push(q);
  return out;
}

let tempCount = 0;
/** Writes a temporary trace file and returns its path. */
function temp(text: string, ext: 'jsonl' | 'csv' = 'jsonl'): string {
  const file = path.join(TMP, `t${tempCount++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** The error a trace throws, or a failure when it does not throw. */
function errorOf(file: string): ImgsimError {
  try {
    pullAll(reader(file));
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    return err as ImgsimError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

/** A request with the trace defaults, overridden by `fields`. */
function request(fields: Partial<ImageRequest> & Pick<ImageRequest, 'id' | 'arrivalMs'>): ImageRequest {
  return {
    className: 'trace',
    size: '1024x1024',
    width: 1024,
    height: 1024,
    steps: 30,
    features: [],
    validate: false,
    urgency: 'interactive',
    project: 'default',
    prompt: '',
    promptChars: 0,
    ...fields,
  };
}

/** Row 2 of both fixtures: every column set (a batch ControlNet + LoRA job with a 12 h deadline). */
function catalogRow(extra: Partial<ImageRequest> = {}): ImageRequest {
  return request({
    id: 1,
    arrivalMs: START + 2_000,
    size: '1792x1024',
    width: 1792,
    height: 1024,
    steps: 50,
    quality: 'hd',
    features: ['controlnet', 'lora'],
    urgency: 'batch',
    deadlineMs: START + 2_000 + 12 * HOUR,
    project: 'catalog',
    tier: 'turbo',
    validate: true,
    ...extra,
  });
}

describe('replaying the fixtures', () => {
  it('turns every JSONL row into the exact request, ISO and offset `at` alike', () => {
    const r = reader(path.join(FIXTURES, 'basic.jsonl'));
    expect(pullAll(r)).toEqual([
      // "2026-06-01T00:00:01Z" is 1 s after the start
      request({ id: 0, arrivalMs: START + 1_000, project: 'app', prompt: 'a red fox', promptChars: 9 }),
      // 2000 ms offset; deadline 12h after `at`; unknown field `user` ignored
      catalogRow(),
      // "3s" after the start; steps as a digit string
      request({ id: 2, arrivalMs: START + 3_000, size: '512x512', width: 512, height: 512, steps: 20 }),
      // 02:00:04+02:00 is 00:00:04Z; a prompt's length wins over promptChars
      request({ id: 3, arrivalMs: START + 4_000, prompt: 'ünïcödé ✓', promptChars: 9 }),
      // the same instant again is in order; promptChars stands in for a dropped prompt
      request({ id: 4, arrivalMs: START + 4_000, promptChars: 120 }),
    ]);
    expect(r.rowsBeforeStart).toBe(1);
    expect(r.skippedRows).toBe(0);
  });

  it('turns every CSV row into the exact request, with quoted commas and doubled quotes', () => {
    const prompt = 'a lighthouse, at dusk, "cinematic"';
    expect(prompt.length).toBe(34);
    expect(pullAll(reader(path.join(FIXTURES, 'basic.csv')))).toEqual([
      request({ id: 0, arrivalMs: START + 1_000, project: 'app', prompt: 'a red fox', promptChars: 9 }),
      catalogRow({ prompt, promptChars: 34 }),
      // features separated by `|`; validate "no"; an empty quoted prompt is no prompt
      request({ id: 2, arrivalMs: START + 3_000, size: '512x512', width: 512, height: 512, steps: 20, features: ['inpainting', 'lora'] }),
      // a short row leaves the remaining columns unset
      request({ id: 3, arrivalMs: START + 4_000, prompt: 'ünïcödé ✓', promptChars: 9 }),
      request({ id: 4, arrivalMs: START + 4_000 }),
    ]);
  });

  it('stops at the first row at or after the end and closes the file', () => {
    // Both fixtures end with a broken row after the end row: it is never read, so never reported.
    for (const name of ['basic.jsonl', 'basic.csv']) {
      const r = reader(path.join(FIXTURES, name));
      const all = pullAll(r);
      expect(all.at(-1)!.arrivalMs).toBeLessThan(END);
      expect(r.next()).toBeUndefined();
      expect(Reflect.get(Reflect.get(r, 'lines') as object, 'fd')).toBeUndefined();
      r.close(); // closing twice is harmless
    }
  });

  it('shares one parsed features array between rows that list the same features', () => {
    const file = temp('{"at": 1, "features": ["lora"]}\n{"at": 2, "features": ["lora"]}\n{"at": 3, "features": "lora"}\n');
    const [a, b, c] = pullAll(reader(file));
    expect(b!.features).toBe(a!.features);
    expect(c!.features).toBe(a!.features);
    expect(Object.isFrozen(a!.features)).toBe(true);
  });
});

describe('bad rows', () => {
  it('fail on the first bad row with its file and line', () => {
    const file = path.join(FIXTURES, 'bad.jsonl');
    const err = errorOf(file);
    expect(err.code).toBe('invalid-trace');
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: unparseable JSON`));
  });

  it('are skipped and counted with onBadRow: skip, keeping the messages as warnings', () => {
    const file = path.join(FIXTURES, 'bad.jsonl');
    const r = reader(file, 'skip');
    expect(pullAll(r).map((q) => q.arrivalMs - START)).toEqual([1_000, 3_000, 9_000]);
    expect(r.skippedRows).toBe(9);
    expect(r.warnings.map((w) => w.slice(file.length + 1))).toEqual([
      expect.stringMatching(/^2: unparseable JSON/),
      '4: bad `size` "huge": expected a size WIDTHxHEIGHT such as "1024x1024"',
      '5: bad `steps` -3: expected a whole number >= 1',
      '6: unknown feature "sparkles"; expected one of inpainting, outpainting, lora, controlnet, ip-adapter',
      expect.stringMatching(/^7: bad `at` "yesterday": expected an ISO 8601 time/),
      "8: out of order: `at` 2026-06-01T00:00:02.500Z is earlier than the previous row's 2026-06-01T00:00:03.000Z; sort the trace by time",
      '9: bad `urgency` "asap": expected interactive or batch',
      '10: expected a JSON object, got [1,2]',
      '11: missing `at`',
    ]);
  });

  it('are skipped and counted in CSV too', () => {
    const file = path.join(FIXTURES, 'bad.csv');
    const r = reader(file, 'skip');
    expect(pullAll(r)).toEqual([
      request({ id: 0, arrivalMs: START + 1_000, prompt: 'ok', promptChars: 2 }),
      request({ id: 1, arrivalMs: START + 6_000, prompt: 'fine, "quoted"', promptChars: 14 }),
    ]);
    expect(r.skippedRows).toBe(5);
    expect(r.warnings.map((w) => w.slice(file.length + 1))).toEqual([
      '3: unterminated quoted field 6 (quoted fields must close on the same line; multi-line fields are not supported)',
      '4: unexpected text after the closing quote of field 6; a quote inside a quoted field is written twice ("")',
      '5: unknown feature "sparkles"; expected one of inpainting, outpainting, lora, controlnet, ip-adapter',
      '6: bad `urgency` "soon": expected interactive or batch',
      '7: missing `at`',
    ]);
  });

  it.each([
    ['{"at": 2000, "size": "1024*1024"}', 'bad `size` "1024*1024"'],
    ['{"at": 2000, "steps": 0}', 'bad `steps` 0'],
    ['{"at": 2000, "steps": 2.5}', 'bad `steps` 2.5'],
    ['{"at": 2000, "features": ["contrlnet"]}', 'unknown feature "contrlnet"; did you mean "controlnet"?'],
    ['{"at": "2026-06-01T00:00:02"}', 'bad `at` "2026-06-01T00:00:02"'], // no zone
    ['{"at": -5}', 'bad `at` -5'],
    ['{"at": 500}', 'out of order'],
    ['{"at": 2000, "deadline": "soon"}', 'bad `deadline` "soon"'],
    ['{"at": 2000, "validate": "maybe"}', 'bad `validate` "maybe"'],
    ['{"at": 2000, "project": 7}', 'bad `project` 7: expected text'],
  ])('reports %s as line 2', (row, what) => {
    const file = temp(`{"at": 1000}\n${row}\n`);
    const r = reader(file);
    let err: unknown;
    try {
      pullAll(r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-trace');
    expect((err as ImgsimError).message.startsWith(`${file}:2: ${what}`)).toBe(true);
    expect(Reflect.get(Reflect.get(r, 'lines') as object, 'fd')).toBeUndefined(); // the reader closed its file before throwing
  });

  it('keeps only the first ten messages but counts every skipped row', () => {
    const rows = Array.from({ length: 25 }, (_, i) => `{"at": ${i}, "size": "x"}`);
    const r = reader(temp(`${rows.join('\n')}\n{"at": 99}\n`), 'skip');
    expect(pullAll(r)).toHaveLength(1);
    expect(r.skippedRows).toBe(25);
    expect(r.warnings).toHaveLength(10);
  });

  it('rejects a CSV without an `at` column whatever onBadRow says', () => {
    const file = temp('when,size\n1000,512x512\n', 'csv');
    expect(() => pullAll(reader(file, 'skip'))).toThrow(/:1: the CSV header has no `at` column/);
  });

  it('reports a missing file as file-not-found', () => {
    expect(() => reader(path.join(TMP, 'nope.jsonl'))).toThrow(expect.objectContaining({ code: 'file-not-found' }));
  });
});

describe('reading in chunks', () => {
  it('reads a trace far larger than the 64 KiB buffer, with lines split across chunks', () => {
    // 20,000 rows of ~90–200 bytes (≈ 3 MB, ~45 chunks) with multi-byte characters, one
    // 200 KB line (larger than the buffer: it must grow) and a bad row near the end.
    const N = 20_000;
    const LONG_ROW = 12_345;
    const promptOf = (i: number): string => (i === LONG_ROW ? 'ü'.repeat(100_000) : `row ${i} ${'é✓'.repeat(i % 50)}`);
    const lines: string[] = [];
    for (let i = 0; i < N; i++) lines.push(JSON.stringify({ at: i * 100, prompt: promptOf(i), steps: 1 + (i % 80) }));
    lines.splice(N - 10, 0, '{"at": "garbage"}');
    const file = temp(`${lines.join('\n')}\n`);

    const r = reader(file, 'skip');
    let n = 0;
    let ok = true;
    for (let q = r.next(); q !== undefined; q = r.next()) {
      ok &&= q.id === n && q.arrivalMs === START + n * 100 && q.prompt === promptOf(n) && q.steps === 1 + (n % 80);
      n++;
    }
    expect(ok).toBe(true);
    expect(n).toBe(N);
    // The bad row is line N − 9 (1-based), however many chunks came before it.
    expect(r.warnings).toEqual([`${file}:${N - 9}: bad \`at\` "garbage": expected an ISO 8601 time with a zone, such as "2026-06-01T00:00:00Z", or milliseconds or a duration such as "500ms", "2s", "5m", "1h", "30d" or a number of milliseconds after start`]);
  });

  it('reads CSV with CRLF line endings, a byte-order mark and no final newline', () => {
    const rows = ['\uFEFFat,prompt,steps'];
    for (let i = 0; i < 5_000; i++) rows.push(`${i},"prompt, number ${i}",${10 + (i % 5)}`);
    const all = pullAll(reader(temp(rows.join('\r\n'), 'csv')));
    expect(all).toHaveLength(5_000);
    expect(all[4_999]).toEqual(request({ id: 4_999, arrivalMs: START + 4_999, prompt: 'prompt, number 4999', promptChars: 19, steps: 14 }));
  });
});

describe('a scenario with a trace', () => {
  it('picks the CSV format from the extension and replays through openTraffic', () => {
    const s = scenarioFromObject({
      version: 1,
      name: 't',
      start: '2026-06-01T00:00:00Z',
      duration: '1h',
      providers: [{ id: 'alpha', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } } }],
      traffic: { trace: { file: path.join(FIXTURES, 'bad.csv'), onBadRow: 'skip' } },
    });
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    expect(source).toBeInstanceOf(TraceReader);
    expect([source.next()?.prompt, source.next()?.prompt, source.next()]).toEqual(['ok', 'fine, "quoted"', undefined]);
  });
});
