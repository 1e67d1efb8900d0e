import { defineConfig } from 'vitest/config';

// The tests run against the compiled build (dist/), because the transport
// workers are plain Node modules loaded from there, as a user's install would.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
