import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/**
 * Runs the CLI in-process and captures what it prints.
 * @param argv - arguments after `imgsim`
 * @returns the exit code and what went to stdout and stderr
 */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
