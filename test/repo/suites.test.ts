/**
 * The quick suite's lists (test/repo/suites.ts) cover every test file exactly once, and each shortened loop is one a
 * quick test reads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL_ONLY, QUICK_RUNS, QUICK_TESTS } from './suites.js';

const root = resolve(import.meta.dirname, '../..');
const testFiles = (readdirSync(join(root, 'test'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f.split('\\').join('/')}`)
  .sort();

describe('quick and full suites', () => {
  it('every test file is either quick or full-only, never both', () => {
    const listed = [...QUICK_TESTS, ...Object.keys(FULL_ONLY)].sort();
    expect(listed).toEqual(testFiles);
  });

  it('every shortened loop is read by a quick test', () => {
    const sources = QUICK_TESTS.map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    for (const name of Object.keys(QUICK_RUNS)) expect(sources, name).toContain(`process.env.${name}`);
  });
});
