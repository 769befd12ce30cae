/**
 * The oracle's thread yields the CPU to the run (src/sim/thread-priority.ts): on Linux it takes
 * nice 10 and no other thread changes; a real `imgsim run` large enough for the thread shows one
 * thread at nice 10 while it runs, and every other thread at 0.
 * The helper runs in threads of its own (the test's thread is vitest's, which must keep its
 * priority), from dist/ (rebuilt by the test setup when src/ changed).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ORACLE_THREAD_NICE } from '../../src/sim/thread-priority.js';

const ROOT = path.join(import.meta.dirname, '../..');
const LINUX = process.platform === 'linux';

/** The nice value of a thread, from its stat line (field 19; the name in parentheses may hold spaces). */
function niceOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** Runs the helper in a new thread with each value in turn; @returns what it last returned and the thread's nice value as /proc shows it */
async function inThread(...nices: number[]): Promise<{ returned: number | null; seen: number | null }> {
  const module = new URL('../../dist/sim/thread-priority.js', import.meta.url).href;
  const code = `
    import { parentPort } from 'node:worker_threads';
    import { readFileSync } from 'node:fs';
    const { lowerThreadPriority } = await import(${JSON.stringify(module)});
    let returned = null;
    for (const nice of ${JSON.stringify(nices)}) returned = lowerThreadPriority(nice) ?? null;
    let seen = null;
    try {
      const stat = readFileSync('/proc/thread-self/stat', 'utf8');
      seen = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    } catch {}
    parentPort.postMessage({ returned, seen });`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe('lowerThreadPriority', () => {
  it('gives the calling thread the nice value asked for, on Linux only, and leaves other threads alone', async () => {
    const before = LINUX ? niceOf('/proc/thread-self/stat') : undefined;
    const { returned, seen } = await inThread(ORACLE_THREAD_NICE);
    if (!LINUX) {
      expect(returned).toBeNull();
      return;
    }
    expect(ORACLE_THREAD_NICE).toBe(10);
    // A test run that is itself niced (say at 15) keeps its value: the helper only raises it.
    expect(returned).toBe(Math.max(before!, ORACLE_THREAD_NICE));
    expect(seen).toBe(returned);
    // This thread (and so the process's other threads) kept its priority.
    expect(niceOf('/proc/thread-self/stat')).toBe(before);
  });

  it('only ever raises a nice value (lowering it needs privileges)', async () => {
    const { returned } = await inThread(19);
    expect(returned).toBe(LINUX ? 19 : null); // 19 is the highest nice value there is
    // A thread at 19 asked for 10 keeps 19.
    const { returned: again } = await inThread(19, 10);
    expect(again).toBe(LINUX ? 19 : null);
  });
});

describe("the oracle's thread in a run", () => {
  it.runIf(LINUX)('runs at nice 10 beside the run, whose other threads keep theirs', async () => {
    // 150,000 requests: above the thread's threshold (100,000), about half a second of run.
    const scenario = path.join(ROOT, 'bench/inflight.yaml');
    const out = mkdtempSync(path.join(tmpdir(), 'imgsim-nice-'));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/imgsim.js'), 'run', scenario, '--duration', '150s', '--out', out, '--quiet'], { stdio: 'ignore' });
    const seen = new Map<string, number>();
    const poll = setInterval(() => {
      try {
        for (const tid of readdirSync(`/proc/${child.pid}/task`)) seen.set(tid, Math.max(seen.get(tid) ?? 0, niceOf(`/proc/${child.pid}/task/${tid}/stat`)));
      } catch {
        // The process or a thread ended between the listing and the read.
      }
    }, 5);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearInterval(poll);
    expect(code).toBe(0);
    const nices = [...seen.values()];
    // Relative to the process's own nice value (0 unless the tests themselves run niced).
    const base = seen.get(String(child.pid))!;
    const oracle = Math.max(base, ORACLE_THREAD_NICE);
    if (oracle > base) expect(nices.filter((n) => n === oracle)).toHaveLength(1);
    expect(nices.filter((n) => n !== base && n !== oracle)).toEqual([]);
  });
});
