import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/report/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsim-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the whole file, creating its folder', () => {
    const file = join(dir, 'reports', 'quickstart', 'report.json');
    const big = `${'x'.repeat(1 << 20)}\n`;
    writeFileAtomic(file, big);
    expect(readFileSync(file, 'utf8')).toBe(big);
    expect(readdirSync(join(dir, 'reports', 'quickstart'))).toEqual(['report.json']);
  });

  it('replaces an existing file and writes bytes as given', () => {
    const file = join(dir, 'report.md');
    writeFileSync(file, 'old');
    writeFileAtomic(file, new Uint8Array([0xe2, 0x9c, 0x93])); // ✓ in UTF-8
    expect(readFileSync(file, 'utf8')).toBe('✓');
    expect(readdirSync(dir)).toEqual(['report.md']);
  });

  it('leaves no temp file and the target intact when the rename fails', () => {
    // The target is a directory: rename(file, dir) fails (EISDIR) after the temp file is written.
    const target = join(dir, 'report.json');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'keep');
    expect(() => writeFileAtomic(target, '{}\n')).toThrow();
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('keep');
  });

  it('leaves no temp file and the previous content when writing fails', () => {
    const file = join(dir, 'report.json');
    writeFileSync(file, 'previous');
    // Not a string or bytes: writing throws once the temp file is open.
    expect(() => writeFileAtomic(file, { length: 3 } as unknown as Uint8Array)).toThrow();
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(readFileSync(file, 'utf8')).toBe('previous');
  });

  it('uses a fresh temp name per write, so writes in a row do not collide', () => {
    const file = join(dir, 'a.txt');
    for (let i = 0; i < 5; i++) writeFileAtomic(file, `v${i}`);
    expect(readFileSync(file, 'utf8')).toBe('v4');
    expect(existsSync(join(dir, `.a.txt.${process.pid}.0.tmp`))).toBe(false);
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });
});
