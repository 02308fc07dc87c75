import { defineConfig } from 'vitest/config';

// Headless Chromium against loopback servers: one file at a time, generous timeouts.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
