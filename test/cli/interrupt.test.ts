import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/imgsim.js', import.meta.url).pathname;
const SCENARIO = new URL('../../scenarios/market-2026.yaml', import.meta.url).pathname;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsim-interrupt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `imgsim run --attempts-log`, sends a signal once its temp file exists, and waits for
 * the exit (the bin runs dist/, rebuilt by test/_global-setup.ts when src/ is newer).
 */
async function interruptRun(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  const log = join(dir, 'attempts.jsonl');
  const args = [BIN, 'run', SCENARIO, '--strategy', 'cheapest', '--no-oracle', '--quiet', '--duration', '7d', '--out', join(dir, 'out'), '--attempts-log', log];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  const temp = join(dir, `.attempts.jsonl.${String(child.pid)}.tmp`);
  const deadline = Date.now() + 10_000;
  while (!existsSync(temp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(existsSync(temp)).toBe(true);
  child.kill(signal);
  return { ...(await exited), err };
}

describe('an interrupted run', () => {
  it('SIGINT removes the attempt log temp file and exits 130', async () => {
    const r = await interruptRun('SIGINT');
    expect(r).toMatchObject({ code: 130, signal: null });
    expect(r.err).toContain('interrupted');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(dir, 'attempts.jsonl'))).toBe(false);
  }, 30_000);

  it('SIGTERM does the same and exits 143', async () => {
    const r = await interruptRun('SIGTERM');
    expect(r).toMatchObject({ code: 143, signal: null });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 30_000);
});
