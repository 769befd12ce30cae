// serve's memory is bounded by its configuration, not by what clients send: the journal keeps a
// bounded summary of each body (issue 15, defect 1), the per-project ledger a bounded table, and
// requests still waiting when the grace period ends get the documented 503.
import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalBody, JOURNAL_BODY_LIMITS } from '../../src/live/journal-body.js';
import { LiveLedger, MAX_LEDGER_PROJECTS, OTHER_PROJECTS, type JournalEntry } from '../../src/live/ledger.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { liveScenario } from './_live-scenario.js';

const SCENARIO = parseScenarioText(
  liveScenario('journal-bounds', [
    { id: 'lumen', price: 0.04, latency: '10ms' },
    { id: 'slow', price: 0.04, latency: '60s' },
  ]),
  'journal-bounds.yaml',
);
const AUTH = { authorization: 'Bearer x' };

/** A full major GC (vitest runs without --expose-gc). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('the journal keeps a bounded summary, never the parsed body', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(SCENARIO, { port: 0, timeScale: 0.01, journalSize: 64 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('the issue reproduction, scaled: [{},…] bodies are answered 400 and the heap stays flat', async () => {
    // 1 MB of `{},`: 333k objects once parsed (over 10 MB each if the journal kept them).
    const body = '[' + '{},'.repeat(333_333) + '{}]';
    const post = (): Promise<Response> => fetch(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: AUTH, body });
    expect((await post()).status).toBe(400);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 8; i++) expect((await post()).status).toBe(400);
    gc();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(grownMb).toBeLessThan(30);
    // Refused before parsing (json-limits.ts): nothing of it is kept.
    const refused = await (await post()).json();
    expect(refused).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
    const journal = async (): Promise<JournalEntry> => ((await (await fetch(`${server.url}/_imgsim/journal?limit=1`)).json()) as { entries: JournalEntry[] }).entries[0]!;
    const entry = await journal();
    expect(entry).toMatchObject({ outcome: 'invalid-request', code: 'invalid_json' });
    expect(entry.body).toBeUndefined();
    // A smaller array is parsed, answered 400, and journaled as a bounded summary.
    const small = await fetch(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: AUTH, body: '[' + '{},'.repeat(9_000) + '{}]' });
    expect(small.status).toBe(400);
    const kept = (await journal()).body as unknown[];
    expect(kept).toHaveLength(JOURNAL_BODY_LIMITS.items);
    expect(kept.at(-1)).toBe(`…[+${9_001 - (JOURNAL_BODY_LIMITS.items - 1)} items]`);
    // A normal request is still journaled as sent.
    const ok = await fetch(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024' }) });
    expect(ok.status).toBe(200);
    const last = await journal();
    expect(last.body).toEqual({ prompt: 'a lighthouse', size: '1024x1024' });
  });

  it('a valid request with a huge field is journaled cut, and its project name too', async () => {
    const prompt = 'p'.repeat(300_000);
    const project = 'q'.repeat(5_000);
    const res = await fetch(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: { ...AUTH, 'x-imgsim-project': project }, body: JSON.stringify({ prompt, size: '1024x1024' }) });
    expect([200, 400]).toContain(res.status);
    const entry = ((await (await fetch(`${server.url}/_imgsim/journal?limit=1`)).json()) as { entries: JournalEntry[] }).entries[0]!;
    // Cut to 1,000 characters, the marker included.
    expect((entry.body as { prompt: string }).prompt).toBe(`${'p'.repeat(984)}…[+299016 chars]`);
    expect(entry.project).toBe(`${'q'.repeat(986)}…[+4014 chars]`);
  });
});

describe('journalBody', () => {
  it('keeps a small body as it is (the same object)', () => {
    const body = { model: 'gpt-image-1', prompt: 'a cat', n: 2, features: ['inpainting'], image: { file: true, name: 'a.png', type: 'image/png', size: 12 } };
    expect(journalBody(body)).toBe(body);
    expect(journalBody(undefined)).toBeUndefined();
  });

  it('cuts keys, items, strings and depth, counting what it left out', () => {
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(journalBody(wide) as object)).toHaveLength(JOURNAL_BODY_LIMITS.keys);
    expect((journalBody(wide) as Record<string, unknown>)['…']).toBe('+9 keys');
    expect(journalBody({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '…' } } } });
    expect(journalBody({ ['k'.repeat(2_000)]: 1 })).toEqual({ [`${'k'.repeat(986)}…[+1014 chars]`]: 1 });
    const many = Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => 1));
    const cut = journalBody(many);
    expect(JSON.stringify(cut).match(/1|…/g)!.length).toBeLessThanOrEqual(JOURNAL_BODY_LIMITS.values);
    // Many long strings: at most 4,000 characters in all.
    const long = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(900)]));
    expect(JSON.stringify(journalBody(long)).length).toBeLessThan(JOURNAL_BODY_LIMITS.totalChars + 400);
    const nested = Array.from({ length: 40 }, () => ({ a: ['x'.repeat(2_000), { b: 'y'.repeat(2_000) }] }));
    expect(JSON.stringify(journalBody(nested)).length).toBeLessThan(JOURNAL_BODY_LIMITS.totalChars + 2_000);
    // A summary is within the limits itself: the journal's copy of it is the same object.
    for (const body of [cut, journalBody(wide), journalBody(long), journalBody(nested), journalBody('s'.repeat(5_000)), journalBody([Object.create(null), new Uint8Array(3)])]) {
      expect(journalBody(body)).toBe(body);
    }
  });
});

/** A billed success at provider `p`, tier `t`, answered in 1 ms. */
const SUCCESS = { wallEpochMs: 0, simEpochMs: 0, provider: 'p', body: undefined, tier: 't', outcome: 'success', code: undefined, status: 200, latencyMs: 1, simLatencyMs: 1 } as const;

describe('costByProject is bounded', () => {
  it('keeps the top projects by cost and folds the rest into (other), totals exact', () => {
    const ledger = new LiveLedger(['p'], 0);
    let total = 0;
    // Ten big spenders, then a spray of one-cent project names.
    for (let i = 0; i < 10; i++) {
      ledger.record({ ...SUCCESS, id: `r${i}`, project: `big-${i}`, costUsd: 5 });
      total += 5;
    }
    for (let i = 0; i < 5_000; i++) {
      ledger.record({ ...SUCCESS, id: `s${i}`, project: `spray-${i}`, costUsd: 0.01 });
      total += 0.01;
    }
    const byProject = ledger.snapshot().providers.p!.costByProject;
    expect(Object.keys(byProject).length).toBeLessThanOrEqual(MAX_LEDGER_PROJECTS + 1);
    for (let i = 0; i < 10; i++) expect(byProject[`big-${i}`]).toBe(5);
    expect(byProject[OTHER_PROJECTS]).toBeGreaterThan(0);
    const sum = Object.values(byProject).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(total, 6);
    expect(ledger.snapshot().providers.p!.costUsd).toBeCloseTo(total, 6);
    const costLines = ledger.metrics([]).split('\n').filter((l) => l.startsWith('imgsim_cost_usd_total{'));
    expect(costLines.length).toBeLessThanOrEqual(MAX_LEDGER_PROJECTS + 1);
  });
});

describe('the grace period', () => {
  /** A POST answered by node:http (connection: close is not a plain request for the fast front). */
  function viaNodeHttp(url: string, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}/slow/v1/images/generations`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json', connection: 'close' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('requests still waiting when it ends get 503 server_shutting_down, not a bare close', async () => {
    const server = await startServer(SCENARIO, { port: 0, timeScale: 1, graceMs: 100 });
    const body = JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024' });
    const fast = fetch(`${server.url}/slow/v1/images/generations`, { method: 'POST', headers: AUTH, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const slow = viaNodeHttp(server.url, body);
    while (server.providers.inFlight() < 2) await new Promise((r) => setTimeout(r, 5));
    const closing = server.close();
    for (const answer of await Promise.all([fast, slow])) {
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.text)).toMatchObject({ error: { type: 'server_error', code: 'server_shutting_down' } });
    }
    await closing;
    const ledger = server.providers.ledgerSnapshot();
    expect(ledger.totals.outcomes).toEqual({ shutdown: 2 });
    expect(ledger.totals.costUsd).toBe(0);
  });
});
