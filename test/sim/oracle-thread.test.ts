/**
 * The hindsight oracle on its own thread (src/sim/oracle-thread.ts): the same report, byte for
 * byte, as the oracle's pass after the strategies on the main thread, on shipped scenarios with
 * several strategies, deferral and a replayed trace; a failing run stops the thread; the service
 * log hands on exactly the levels that are final. The thread runs the compiled worker, so these
 * runs import dist/ (rebuilt by the test setup when src/ changed).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessagePort } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { loadScenario, serializeReport, simulate } from '../../dist/index.js';
import { ServiceLog, SERVICE_LATE, SERVICE_NONE, SERVICE_WITHIN_SLO, RECORDED } from '../../src/metrics/service-log.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { ORACLE_THREAD_MIN_REQUESTS, oracleThreadPays } from '../../src/sim/oracle-thread.js';
import { simulate as simulateFromSource } from '../../src/sim/run.js';

const ROOT = path.join(import.meta.dirname, '../..');
const HOUR_MS = 3_600_000;

describe('ServiceLog hands on final levels', () => {
  it('flush sends the prefix of ids all recorded, close the rest (ids never recorded as 0)', () => {
    const sent: [number, number[]][] = [];
    const log = new ServiceLog((from, entries) => sent.push([from, [...entries]]));
    log.record(1, SERVICE_LATE);
    log.flush();
    expect(sent).toEqual([]); // id 0 has not ended yet
    log.record(0, SERVICE_WITHIN_SLO);
    log.record(3, SERVICE_NONE);
    log.flush();
    expect(sent).toEqual([[0, [SERVICE_WITHIN_SLO | RECORDED, SERVICE_LATE | RECORDED]]]);
    log.flush();
    expect(sent).toHaveLength(1); // nothing new
    log.record(5, SERVICE_LATE);
    log.close();
    expect(sent[1]).toEqual([2, [0, SERVICE_NONE | RECORDED, 0, SERVICE_LATE | RECORDED]]);
    expect([0, 1, 2, 3, 4, 5, 6].map((id) => log.at(id))).toEqual([SERVICE_WITHIN_SLO, SERVICE_LATE, SERVICE_NONE, SERVICE_NONE, SERVICE_NONE, SERVICE_LATE, SERVICE_NONE]);
  });
});

describe('when the oracle gets a thread', () => {
  const base = {
    version: 1,
    name: 'pays',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }],
    strategies: ['cheapest'],
  } as const;
  it('from the expected request count at the base rate', () => {
    const at = (rate: string, duration: string) => oracleThreadPays(scenarioFromObject({ ...base, duration, traffic: { arrivals: { process: 'poisson', rate }, mix: [{ name: 'a' }] } }), undefined);
    expect(ORACLE_THREAD_MIN_REQUESTS).toBe(100_000);
    expect(at('1000/s', '100s')).toBe(true); // 100,000 expected
    expect(at('1000/s', '99s')).toBe(false);
    expect(at('10/s', '1h')).toBe(false); // 36,000
  });
  it('from the size of a replayed trace', () => {
    const s = loadScenario(path.join(ROOT, 'scenarios/replay-litellm.yaml'));
    expect(oracleThreadPays(s, 8_000_000)).toBe(true);
    expect(oracleThreadPays(s, 7_999_999)).toBe(false);
  });
  it('insisting on the thread from the TypeScript sources is an error, not a silent fallback', async () => {
    const s = loadScenario(path.join(ROOT, 'test/fixtures/minimal.yaml'));
    await expect(simulateFromSource(s, { oracleThread: true })).rejects.toThrow(/compiled package/);
  });
});

describe('the oracle on its own thread gives the same report', () => {
  const cases: [string, number | undefined][] = [
    ['scenarios/quickstart.yaml', 2 * HOUR_MS], // three strategies: logs arrive one run after another
    ['scenarios/market-2026.yaml', 4 * HOUR_MS], // deferral: batch requests end hours after they arrive
    ['scenarios/replay-litellm.yaml', undefined], // a replayed trace
    ['bench/million.yaml', 60_000], // its own size: the thread also by default
  ];
  for (const [file, durationMs] of cases) {
    it(`${file}${durationMs === undefined ? '' : ` (${durationMs / 60_000} min)`}`, async () => {
      const s = loadScenario(path.join(ROOT, file));
      const opts = durationMs === undefined ? {} : { durationMs };
      const threaded = await simulate(s, { ...opts, oracleThread: true });
      const inline = await simulate(s, { ...opts, oracleThread: false });
      expect(threaded.oracle?.requests.total).toBeGreaterThan(0);
      for (const r of threaded.strategies) expect(r.regret?.lowerBound).toBeGreaterThan(0);
      expect(serializeReport(threaded)).toBe(serializeReport(inline));
    }, 60_000);
  }
});

describe('a run that fails', () => {
  it('stops the oracle thread and reports the strategy error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-oracle-thread-'));
    writeFileSync(
      path.join(dir, 'boom.js'),
      `let n = 0;
export default function boom() {
  return {
    name: 'boom',
    route(request, ctx) {
      if (++n === 5000) throw new Error('boom at request ' + request.id);
      return { candidates: [{ provider: ctx.providers[0].id }] };
    },
  };
}
`,
    );
    const file = path.join(dir, 'boom.yaml');
    writeFileSync(
      file,
      `version: 1
name: boom
seed: 3
start: 2026-06-01T00:00:00Z
duration: 1h
providers:
  - { id: p, pricing: { model: per-image, price: 0.01 }, tiers: { standard: { latency: { dist: fixed, value: 2s } } } }
traffic:
  arrivals: { process: poisson, rate: 10/s }
  mix: [{ name: a }]
strategies:
  - cheapest
  - { file: ./boom.js }
`,
    );
    const s = loadScenario(file);
    // The thread waits for the second strategy's levels, which never come.
    await expect(simulate(s, { oracleThread: true })).rejects.toThrow(/boom at request/);
    // And the next run is unaffected.
    const ok = await simulate(s, { oracleThread: true, strategies: ['cheapest'] });
    expect(ok.oracle?.requests.total).toBe(ok.strategies[0]!.requests.total);
  }, 60_000);
});

describe('the run thread never detaches a buffer', () => {
  // A transferred ArrayBuffer is detached, and the first detach in an isolate throws away every
  // optimized function that reads a typed array (V8's detaching protector): the event loop
  // among them, at the service log's first flush, 65,536 events into every run with the thread.
  it('hands the service levels on by copy', async () => {
    const posted: { kind?: unknown; transfer: unknown[] }[] = [];
    const original = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'postMessage')!.value as (this: MessagePort, message: unknown, transfer?: unknown) => void;
    const spy = vi.spyOn(MessagePort.prototype, 'postMessage').mockImplementation(function (this: MessagePort, message: unknown, transfer?: unknown) {
      posted.push({ kind: (message as { kind?: unknown } | null)?.kind, transfer: Array.isArray(transfer) ? transfer : [] });
      original.call(this, message, transfer);
    });
    try {
      const s = loadScenario(path.join(ROOT, 'bench/million.yaml'));
      const run = await simulate(s, { durationMs: 1_800_000, oracleThread: true }); // 180,000 requests
      expect(run.oracle?.requests.total).toBe(run.strategies[0]!.requests.total);
    } finally {
      spy.mockRestore();
    }
    const levels = posted.filter((p) => p.kind === 'levels');
    expect(levels.length).toBeGreaterThan(1); // flushed during the run, not only at its end
    expect(posted.flatMap((p) => p.transfer).filter((t) => t instanceof ArrayBuffer)).toEqual([]);
  }, 60_000);
});
