// The end-to-end tests need Debian's prometheus (scripts/install-prometheus.sh): they run only through
// `npm run test:e2e`, never in the default `vitest run` (their files are *.e2e.ts, not *.test.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
