import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Serial, broker and emulator tests own real processes and ports: keep them from starving each other.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
