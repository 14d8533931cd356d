import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['lib/**/*.test.ts', 'app/**/*.test.ts', 'components/**/*.test.ts', 'test/**/*.test.ts'],
    // Each browser-test file runs a whole stack (Postgres database, Redis, control plane, gateway,
    // Next and Chromium): one file at a time keeps a two-core CI machine from starving them.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
