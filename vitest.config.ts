import { defineConfig } from 'vitest/config';

// Agent tests start real agent processes (about 1.5 CPU-seconds each): two cores
// hold two test files at a time without turning timeouts into flakes.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
