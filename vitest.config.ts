import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    // At least two test files at a time: vitest's default is one fewer than the cores, so on a
    // 2-core machine (CI's) one file ran at a time and the second core sat idle (the main process
    // only transforms and reports). On 2 cores `vitest run` takes ~120 s instead of ~235 s; a
    // third file at a time gains nothing more.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Builds dist/ when src/ is newer: the CLI tests spawn bin/imgsim.js, which runs dist/.
    globalSetup: ['test/_global-setup.ts'],
  },
});
