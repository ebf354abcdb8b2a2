import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'action/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real-kernel and end-to-end tests share one kernel and start bpftrace: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
