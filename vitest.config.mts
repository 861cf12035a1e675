import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests spawn real node processes (app + watchdog thread) that measure time: on a
    // 2-core machine, two files at once made them measure each other (late captures, flaky lines).
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
