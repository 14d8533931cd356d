import { defineConfig } from 'vitest/config';

// Whole fleets of processes: a test waits (eventually/waitFor, up to 20 s by default) for what a
// fleet does asynchronously, so the per-test limit leaves room for those waits on a loaded machine.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
