/**
 * Fixture corpus (test/fixtures/README.md): every pass/ file verifies, every fail/ and malformed/ file is rejected
 * (malformed/ before any step is read). The model of a fixture is the one in test/fixtures/models/ whose SHA-256 its
 * claim names, else the first model there.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';

const root = join(import.meta.dirname, '../fixtures');
const modelFiles = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.safetensors')).sort();
const models = new Map(modelFiles.map((f) => {
  const bytes = readFileSync(join(root, 'models', f));
  return [createHash('sha256').update(bytes).digest('hex'), bytes] as const;
}));
const modelFor = (bytes: Uint8Array): Uint8Array => {
  let sha: unknown;
  try {
    const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    sha = JSON.parse(new TextDecoder().decode(text))?.claim?.modelSha256;
  } catch {
    sha = undefined;
  }
  return models.get(sha as string) ?? readFileSync(join(root, 'models', modelFiles[0]));
};
/** The step and rule that must reject each checker-* fail fixture (the defect it is named after). */
const EXPECTED: Record<string, [string | null, string]> = {
  'bound-not-negative': ['count', 'cubic-count'], 'bound-too-tight': ['count', 'cubic-count'],
  'brute-force-claim-exceeds-count': ['count', 'count'], 'c-too-large-for-query-below-max': ['count', 'cubic-count'],
  'claim-exceeds-count': ['count', 'count'], 'count-step-not-last': ['expE2', 'count-step'], 'duplicate-case': ['count', 'cubic-count'],
  'duplicate-step-id': ['expE', 'step-id'], 'exp-hi-below-value': ['expP', 'exp-table'], 'exp-lo-above-value': ['expE', 'exp-table'],
  'exp-shift-not-row-max': ['expE', 'exp-table'], 'forward-reference': ['expE', 'reference'], 'good-bit-above-max': ['count', 'cubic-count'],
  'missing-reference': ['count', 'reference'], 'no-count-step': ['expP', 'count-step'], 'position-order-unsorted': ['count', 'cubic-count'],
  'scale-lo-above-value': ['scale', 'inv-sqrt-scale'], 'scale-wrong-dhead': ['scale', 'inv-sqrt-scale'], 'strategy-mismatch': ['count', 'count-step'],
  'total-not-v-pow-k': [null, 'claim'], 'wrong-k': [null, 'claim'], 'wrong-kind-reference': ['count', 'reference'],
  'wrong-model-sha': [null, 'claim'], 'wrong-source-table': ['count', 'cubic-count'],
};
const list = (dir: string) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.json') || f.endsWith('.json.gz')).sort();

describe('fixtures', () => {
  it('has a corpus', () => {
    expect(modelFiles.length).toBeGreaterThan(0);
    expect(list('pass').length + list('fail').length + list('malformed').length).toBeGreaterThan(30);
  });

  for (const f of list('pass')) {
    it(`pass/${f} verifies`, async () => {
      const bytes = readFileSync(join(root, 'pass', f));
      const v = await checkCertificate(bytes, modelFor(bytes));
      expect(v.verified ? 'verified' : v.error).toBe('verified');
    });
  }
  for (const f of list('fail')) {
    it(`fail/${f} is rejected`, async () => {
      const bytes = readFileSync(join(root, 'fail', f));
      const v = await checkCertificate(bytes, modelFor(bytes));
      expect(v.verified).toBe(false);
      const expected = EXPECTED[f.replace(/^checker-/, '').replace(/\.json$/, '')];
      if (f.startsWith('checker-') && !v.verified) expect([v.error.step, v.error.rule]).toEqual(expected);
    });
  }
  for (const f of list('malformed')) {
    it(`malformed/${f} is rejected before any step`, async () => {
      const bytes = readFileSync(join(root, 'malformed', f));
      const v = await checkCertificate(bytes, modelFor(bytes));
      expect(v.verified ? 'verified' : v.error.step).toBeNull();
      expect(v.verified ? '' : v.error.rule).toMatch(/^(json|gzip|schema|format|limits)$/);
    });
  }
});
