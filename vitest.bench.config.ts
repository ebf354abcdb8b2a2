import { defineConfig } from 'vitest/config';

/**
 * `npm run bench` (test/bench/): not part of `npm test`. Builds dist/ first (the benchmark runs the
 * built CLI and imports dist/), then runs the benchmark files one at a time: they trace the real
 * kernel and time exec storms, so nothing may run beside them.
 */
export default defineConfig({
  test: {
    include: ['test/bench/**/*.bench-run.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 1_200_000,
    hookTimeout: 120_000,
    teardownTimeout: 120_000,
    reporters: ['default'],
  },
});
