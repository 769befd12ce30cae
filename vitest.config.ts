import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'threads',
    // Builds dist/ when src/ is newer: the CLI tests spawn bin/imgsim.js, which runs dist/.
    globalSetup: ['test/_global-setup.ts'],
  },
});
