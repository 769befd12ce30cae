import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/report/atomic.js';
import { LineFileWriter } from '../../src/report/line-file.js';
import { registerTempFile, removeOpenTempFiles, setTempFileHook } from '../../src/report/temp-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsim-temp-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

describe('temp files of killed runs', () => {
  it('are removed at the next write to the same target; a live process keeps its own', () => {
    const dead = deadPid();
    const stale = join(dir, `.attempts.jsonl.${dead}.tmp`);
    const live = join(dir, `.attempts.jsonl.${process.ppid}.tmp`);
    const other = join(dir, `.other.jsonl.${dead}.tmp`);
    for (const f of [stale, live, other]) writeFileSync(f, 'x'.repeat(1000));
    const log = new LineFileWriter(join(dir, 'attempts.jsonl'));
    log.write('{"a":1}');
    log.close();
    expect(readFileSync(join(dir, 'attempts.jsonl'), 'utf8')).toBe('{"a":1}\n');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('writeFileAtomic removes numbered temp files of a dead process', () => {
    const stale = join(dir, `.report.json.${deadPid()}.3.tmp`);
    writeFileSync(stale, '{');
    writeFileAtomic(join(dir, 'report.json'), '{}\n');
    expect(readdirSync(dir)).toEqual(['report.json']);
  });

  it('the registry holds the open attempt log until it is closed, for the CLI to remove on a signal', () => {
    const log = new LineFileWriter(join(dir, 'a.jsonl'));
    log.write('x');
    const temp = join(dir, `.a.jsonl.${process.pid}.tmp`);
    expect(existsSync(temp)).toBe(true);
    registerTempFile(join(dir, 'never-created.tmp'));
    expect(removeOpenTempFiles()).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    log.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('registers a temp file before creating it: the CLI hook (its signal handlers) runs while the file does not exist yet', () => {
    const seen: boolean[] = [];
    setTempFileHook(() => seen.push(readdirSync(dir).some((f) => f.endsWith('.tmp'))));
    try {
      const log = new LineFileWriter(join(dir, 'a.jsonl'));
      log.close();
      writeFileAtomic(join(dir, 'r.json'), '{}\n');
    } finally {
      setTempFileHook(undefined);
    }
    expect(seen).toEqual([false, false]);
    expect(readdirSync(dir).sort()).toEqual(['a.jsonl', 'r.json']);
  });
});
