import { defineConfig } from 'vitest/config';

// The tests run against the compiled build (dist/), because the transport
// workers are plain Node modules loaded from there, as a user's install would.
//
// Two projects: `unit` is the main suite (`npm test`); `faults` is the fault and load suite
// (`npm run test:faults`): backpressure, misbehaving peers, stress, fuzzing. Each of its
// cases has a watchdog that prints the engine's state when something hangs.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Each works in both places (see the files): the suite's own environment (no proxy, CA
    // bundle or .netrc of the machine's), and how a crashed test fork ended (its file, its
    // signal or exit code), which vitest does not say.
    globalSetup: ['test/setup/environment.ts', 'test/setup/fork-exits.ts'],
    setupFiles: ['test/setup/environment.ts', 'test/setup/fork-exits.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/faults/**'] } },
      // --expose-gc: the leak checks measure the heap after a full collection.
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.test.ts'], testTimeout: 120_000, execArgv: ['--expose-gc'] } },
    ],
  },
});
