/**
 * `npm run test:quick`: the quick suite, a subset of vitest.config.ts's (test/repo/suites.ts lists it and says why
 * each other file is left out), with shorter property loops. `npm test` remains the whole suite.
 */
import { defineConfig } from 'vitest/config';
import full from './vitest.config.js';
import { QUICK_RUNS, QUICK_TESTS } from './test/repo/suites.js';

export default defineConfig({
  test: {
    ...full.test,
    include: [...QUICK_TESTS],
    env: Object.fromEntries(Object.entries(QUICK_RUNS).map(([name, runs]) => [name, process.env[name] ?? runs])),
  },
});
