/**
 * The negative corpus written by test/fixtures/make-hostile.ts: every test/fixtures/{fail,malformed}/neg.<step>.<rule>.
 * <defect>.json is rejected naming exactly that step (`-`: none) and rule, and every step kind has such a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';

const root = join(import.meta.dirname, '../fixtures');
const model = readFileSync(join(root, 'models/checker-solver-k3-v5.safetensors'));
const files = ['fail', 'malformed'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.startsWith('neg.')).map((f) => [d, f] as const));

describe('negative corpus', () => {
  it('breaks every step kind and every structural rule', () => {
    const rules = new Set(files.map(([, f]) => f.split('.')[2]));
    for (const r of ['inv-sqrt-scale', 'exp-table', 'exp-grid', 'cubic-count', 'brute-force-count', 'subcubic-count', 'prefix-count',
      'claim', 'reference', 'step-id', 'count-step', 'count', 'json', 'schema', 'format', 'limits']) expect(rules, r).toContain(r);
  });
  for (const [dir, f] of files) {
    it(`${dir}/${f}`, async () => {
      const [, step, rule] = f.split('.');
      const v = await checkCertificate(readFileSync(join(root, dir, f)), model);
      expect(v.verified ? null : [v.error.step ?? '-', v.error.rule]).toEqual([step, rule]);
    });
  }
});
