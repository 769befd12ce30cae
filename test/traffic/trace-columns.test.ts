import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../src/model/request.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { loadScenario, parseScenarioText } from '../../src/scenario/load.js';
import type { ResolvedTrace } from '../../src/scenario/resolve.js';
import { simulate } from '../../src/sim/run.js';
import { parseTimestamp } from '../../src/traffic/trace-columns.js';
import { TraceReader } from '../../src/traffic/trace.js';

const ROOT = path.join(import.meta.dirname, '../..');
const TRACES = path.join(ROOT, 'scenarios/traces');
const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1);
const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-columns-'));

let tempCount = 0;
function temp(text: string, ext: 'jsonl' | 'csv' = 'jsonl'): string {
  const file = path.join(TMP, `t${tempCount++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

function reader(file: string, extra: Partial<ResolvedTrace> = {}, startMs = START, endMs = START + 24 * HOUR): TraceReader {
  return new TraceReader({ file, format: file.endsWith('.csv') ? 'csv' : 'jsonl', onBadRow: 'fail', ...extra }, startMs, endMs);
}

function pullAll(r: TraceReader): ImageRequest[] {
  const out: ImageRequest[] = [];
  for (let q = r.next(); q !== undefined; q = r.next()) out.push(q);
  return out;
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

describe('timestamp formats', () => {
  it.each([
    ['iso', '2026-06-01T09:00:00.120Z', START + 9 * HOUR + 120],
    ['iso', '2026-06-01 09:00:00.120', START + 9 * HOUR + 120], // a space and no zone: UTC
    ['iso', '2026-06-01T11:00:00+02:00', START + 9 * HOUR],
    ['iso', '2026-06-01 09:00:00.123456 UTC', START + 9 * HOUR + 123], // microseconds cut to ms
    ['unix-s', 1780304400, START + 9 * HOUR], // 2026-06-01T09:00:00Z = 1,780,304,400 s
    ['unix-s', '1780304400.25', START + 9 * HOUR + 250],
    ['unix-ms', '1780304400120', START + 9 * HOUR + 120],
    ['auto', 2000, START + 2000],
    ['auto', '90s', START + 90_000],
  ] as const)('reads %s %j', (format, value, ms) => {
    expect(parseTimestamp(value, format, START)).toBe(ms);
  });

  it.each([
    ['iso', 1780304400],
    ['iso', 'yesterday'],
    ['unix-s', '2026-06-01T09:00:00Z'],
    ['unix-ms', true],
    ['auto', '2026-06-01T09:00:00'], // the plain format wants a zone
  ] as const)('rejects %s %j', (format, value) => {
    expect(parseTimestamp(value, format, START)).toBeUndefined();
  });
});

describe('a column mapping', () => {
  it('reads renamed CSV columns and paths into a JSON column, with Unix seconds', () => {
    const file = temp(
      [
        'ts,image_size,req,team',
        // 1,780,272,001 s = 2026-06-01T00:00:01Z
        '1780272001,512x512,"{""steps"": 20, ""extra"": {""tier"": ""turbo""}}",app',
        '1780272002,,"{""steps"": 40}",',
      ].join('\n'),
      'csv',
    );
    const r = reader(file, { columns: { at: 'ts', size: 'image_size', steps: 'req.steps', tier: 'req.extra.tier?', project: 'team' }, timeFormat: 'unix-s' });
    const [a, b] = pullAll(r);
    expect(a).toMatchObject({ arrivalMs: START + 1_000, size: '512x512', width: 512, steps: 20, tier: 'turbo', project: 'app' });
    // empty cells are "not given": the defaults apply
    expect(b).toMatchObject({ arrivalMs: START + 2_000, size: '1024x1024', steps: 40, tier: undefined, project: 'default' });
  });

  it('reads nested JSONL keys, and a key that is itself dotted, with Unix milliseconds', () => {
    const file = temp(
      [
        '{"timestamp": 1780272001000, "request": {"size": "512x512", "n_steps": 12}, "meta.project": "app"}',
        '{"timestamp": 1780272002000, "request": {"size": "1792x1024", "n_steps": 30}, "meta.project": "catalog", "steps": 99}',
      ].join('\n'),
    );
    const r = reader(file, { columns: { at: 'timestamp', size: 'request.size', steps: 'request.n_steps', project: 'meta.project' }, timeFormat: 'unix-ms' });
    expect(pullAll(r).map((q) => [q.arrivalMs - START, q.size, q.steps, q.project])).toEqual([
      [1_000, '512x512', 12, 'app'],
      [2_000, '1792x1024', 30, 'catalog'], // the mapping wins over a column named `steps`
    ]);
  });

  it('still reads fields it does not name from columns named after them', () => {
    const file = temp('{"when": 1000, "steps": 12}\n');
    expect(pullAll(reader(file, { columns: { at: 'when' } }))[0]).toMatchObject({ arrivalMs: START + 1_000, steps: 12 });
  });

  it('makes a row that lacks a mapped column a bad row with its line number, unless the mapping ends in `?`', () => {
    const jsonl = temp('{"ts": 1000, "img": {"size": "512x512"}}\n{"ts": 2000, "img": {}}\n{"ts": 3000}\n');
    expect(messageOf(() => pullAll(reader(jsonl, { columns: { at: 'ts', size: 'img.size' } })))).toBe(
      `${jsonl}:2: missing \`img.size\` (mapped to \`size\`); end the mapping with \`?\` if rows may lack it`,
    );
    const skipping = reader(jsonl, { columns: { at: 'ts', size: 'img.size' }, onBadRow: 'skip' });
    expect(pullAll(skipping)).toHaveLength(1);
    expect(skipping.warnings.map((w) => w.slice(jsonl.length + 1, jsonl.length + 3))).toEqual(['2:', '3:']);
    expect(pullAll(reader(jsonl, { columns: { at: 'ts', size: 'img.size?' } })).map((q) => q.size)).toEqual(['512x512', '1024x1024', '1024x1024']);

    const csv = temp('ts,size,steps\n1000,512x512,20\n2000,512x512\n', 'csv');
    expect(messageOf(() => pullAll(reader(csv, { columns: { at: 'ts', steps: 'steps' } })))).toBe(
      `${csv}:3: missing column \`steps\` (mapped to \`steps\`): the row has 2 cells`,
    );
  });

  it('names a column the CSV header lacks at line 1, with the nearest header', () => {
    const csv = temp('timestamp,image_size\n1000,512x512\n', 'csv');
    expect(messageOf(() => pullAll(reader(csv, { columns: { at: 'timestamp', size: 'img_size' } })))).toBe(
      `${csv}:1: the CSV header has no column \`img_size\` (mapped to \`size\`); did you mean \`image_size\`?; end the mapping with \`?\` if the column may be absent`,
    );
  });

  it('reports a path into a value that is not JSON', () => {
    const csv = temp('ts,req\n1000,not json\n', 'csv');
    expect(messageOf(() => pullAll(reader(csv, { columns: { at: 'ts', steps: 'req.steps' } })))).toBe(
      `${csv}:2: column \`req\` is "not json", not a JSON object with \`steps\` (mapped to \`steps\`)`,
    );
  });

  it('says which time format a bad timestamp should have', () => {
    const file = temp('{"ts": "2026-06-01T00:00:01Z"}\n');
    expect(messageOf(() => pullAll(reader(file, { columns: { at: 'ts' }, timeFormat: 'unix-s' })))).toMatch(/:1: bad `at` "2026-06-01T00:00:01Z": expected seconds since 1970-01-01 UTC/);
  });
});

describe('aggregated rows (`count`, `until`)', () => {
  const B0 = 1780272000; // 2026-06-01T00:00:00Z in Unix seconds
  const bucket = (s: number, n: number, size: string): string => JSON.stringify({ start_time: s, end_time: s + 3600, num_model_requests: n, size });

  it('spreads each row over its interval and merges the rows of a bucket in time order', () => {
    const file = temp([bucket(B0, 4, '1024x1024'), bucket(B0, 2, '1792x1024'), bucket(B0 + 3600, 1, '1024x1024')].join('\n'));
    const got = pullAll(reader(file, { columns: 'openai-usage' }));
    // 4 requests in the hour: at (i + ½) × 15 min; 2 requests: at (i + ½) × 30 min
    expect(got.map((q) => [(q.arrivalMs - START) / 60_000, q.size])).toEqual([
      [7.5, '1024x1024'],
      [15, '1792x1024'],
      [22.5, '1024x1024'],
      [37.5, '1024x1024'],
      [45, '1792x1024'],
      [52.5, '1024x1024'],
      [90, '1024x1024'], // the next bucket: one request at its middle
    ]);
    expect(got.map((q) => q.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('puts every request of a row at `at` when there is no `until`, and a count of 0 adds none', () => {
    const file = temp('{"t": 60, "n": 3}\n{"t": 120, "n": 0}\n{"t": 180, "n": 1}\n');
    const got = pullAll(reader(file, { columns: { at: 't', count: 'n' }, timeFormat: 'unix-s' }, 0, 1e6));
    expect(got.map((q) => q.arrivalMs)).toEqual([60_000, 60_000, 60_000, 180_000]);
  });

  it('stops at the end of the run and skips requests before its start', () => {
    const file = temp([bucket(B0, 4, '1024x1024'), bucket(B0 + 3600, 4, '1024x1024')].join('\n'));
    const got = pullAll(reader(file, { columns: 'openai-usage' }, START + 30 * 60_000, START + 75 * 60_000));
    expect(got.map((q) => (q.arrivalMs - START) / 60_000)).toEqual([37.5, 52.5, 67.5]);
  });

  it('rejects a bucket that starts before the previous one ends', () => {
    const file = temp([bucket(B0, 2, '1024x1024'), bucket(B0 + 1800, 2, '1024x1024')].join('\n'));
    expect(messageOf(() => pullAll(reader(file, { columns: 'openai-usage' })))).toMatch(/:2: bucket overlap: this row starts at 2026-06-01T00:30:00.000Z, before the previous bucket ends at 2026-06-01T01:00:00.000Z/);
  });

  it.each([
    ['{"t": 60, "n": -1, "u": 90}', 'bad `count` -1: expected a whole number >= 0'],
    ['{"t": 60, "n": 2, "u": 30}', 'bad `until` 30: it is before `at`'],
  ])('reports %s', (row, message) => {
    const file = temp(`${row}\n`);
    expect(messageOf(() => pullAll(reader(file, { columns: { at: 't', count: 'n', until: 'u' }, timeFormat: 'unix-s' }, 0, 1e6)))).toBe(`${file}:1: ${message}`);
  });
});

describe('the ready-made mappings', () => {
  it('litellm: reads the example spend log as it is (startTime, team_id, the request body)', () => {
    const file = path.join(TRACES, 'litellm-spend-logs.csv');
    const got = pullAll(reader(file, { columns: 'litellm' }, Date.UTC(2026, 5, 5, 9), Date.UTC(2026, 5, 5, 10)));
    expect(got).toHaveLength(40);
    // row 1: "2026-06-05 09:00:33.261" (no zone: UTC); steps 8 and the prompt from proxy_server_request
    expect(got[0]).toMatchObject({ arrivalMs: Date.UTC(2026, 5, 5, 9, 0, 33, 261), size: '1024x1024', steps: 8, project: 'team-catalog', prompt: 'a red fox in the snow' });
    expect(got.some((q) => q.quality === 'hd' && q.size === '1792x1024')).toBe(true);
  });

  it('openai-usage: replays every counted request of the example export', () => {
    const file = path.join(TRACES, 'openai-usage-images.jsonl');
    const expected = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .reduce((sum, line) => sum + (JSON.parse(line) as { num_model_requests: number }).num_model_requests, 0);
    const got = pullAll(reader(file, { columns: 'openai-usage' }));
    expect(got).toHaveLength(expected);
    expect(got.every((q, i) => i === 0 || q.arrivalMs >= got[i - 1]!.arrivalMs)).toBe(true);
    expect(new Set(got.map((q) => `${q.size} ${q.project}`))).toEqual(new Set(['1024x1024 proj_app', '1792x1024 proj_catalog']));
  });

  it.each(['replay-litellm', 'replay-openai-usage'])('scenarios/%s.yaml validates and runs', async (name) => {
    const report = await simulate(loadScenario(path.join(ROOT, 'scenarios', `${name}.yaml`)));
    for (const s of report.strategies) {
      expect(s.requests.total).toBeGreaterThan(0);
      expect(s.requests.succeeded / s.requests.total).toBeGreaterThan(0.9);
    }
  });
});

describe('the mapping in a scenario', () => {
  const scenario = (trace: string): string => `version: 1
name: t
providers:
  - id: alpha
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
traffic:
  trace:
    file: ${path.join(TRACES, 'openai-usage-images.jsonl')}
${trace}
`;

  it.each([
    ['    columns: { at: start_time, sise: size }', ':10:32 traffic.trace.columns.sise: unknown key `sise`; did you mean `size`?'],
    ['    columns: litelm', ':10:14 traffic.trace.columns: unknown column mapping `litelm`; did you mean `litellm`?'],
    ['    timeFormat: unix', ':10:17 traffic.trace.timeFormat: expected a time format: auto, iso, unix-s, unix-ms'],
    ['    columns: { at: start_time, until: end_time }', ':10:39 traffic.trace.columns.until: `until` spreads'],
  ])('rejects %s with its place', (line, message) => {
    expect(messageOf(() => parseScenarioText(scenario(line), 'x.yaml'))).toContain(`x.yaml${message}`);
  });
});
