import { defineConfig } from 'vitest/config';

// End-to-end browser tests: a real `bulwark serve` and Debian's Chromium driven by playwright-core.
// One browser at a time on this two-core machine, generous timeouts (never assert on speed).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['./test/e2e/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
