import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Probes WebGPU once for the run instead of once per test file (each probe loads Dawn, which may print warnings).
    globalSetup: ['test/backend/probe-webgpu.ts'],
  },
});
