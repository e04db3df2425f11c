/**
 * Runs every fixture in test/fixtures/ (pass → verified; fail and malformed → rejected, malformed before any step)
 * against the model its claim names (test/fixtures/README.md), checks that each prover-* fail fixture is rejected by
 * the step and rule its defect names, and that the prover-* files on disk are exactly what
 * test/fixtures/generate.ts produces today (regenerate with `node --import tsx test/fixtures/generate.ts`).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { EXPECTED_FAIL, generateFixtures } from '../fixtures/generate.js';

const root = new URL('../fixtures/', import.meta.url).pathname;
const modelFiles = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.safetensors')).sort();
const models = new Map(modelFiles.map((f) => {
  const bytes = readFileSync(join(root, 'models', f));
  return [createHash('sha256').update(bytes).digest('hex'), bytes] as const;
}));
function modelFor(bytes: Uint8Array): Uint8Array {
  let sha: unknown;
  try {
    const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    sha = (JSON.parse(new TextDecoder().decode(text)) as { claim?: { modelSha256?: unknown } } | null)?.claim?.modelSha256;
  } catch {
    sha = undefined;
  }
  return models.get(sha as string) ?? readFileSync(join(root, 'models', modelFiles[0]));
}
const list = (dir: string) => readdirSync(join(root, dir)).filter((f) => /\.json(\.gz)?$/.test(f)).sort();

describe('fixtures', () => {
  it('the prover fixtures on disk are what generate.ts writes', async () => {
    const files = await generateFixtures();
    for (const [rel, data] of files) {
      const onDisk = readFileSync(join(root, rel));
      expect(Buffer.from(data).equals(onDisk), `${rel} differs from a fresh generation`).toBe(true);
    }
    const prover = ['pass', 'fail', 'malformed'].flatMap((d) => list(d).filter((f) => f.startsWith('prover-')).map((f) => `${d}/${f}`));
    expect(prover.sort()).toEqual([...files.keys()].filter((k) => !k.startsWith('models/')).sort());
    expect(list('fail').filter((f) => f.startsWith('prover-')).length).toBeGreaterThanOrEqual(20);
  });

  it('every pass fixture verifies, every fail and malformed fixture is rejected', async () => {
    const wrong: string[] = [];
    for (const dir of ['pass', 'fail', 'malformed']) {
      for (const f of list(dir)) {
        const bytes = readFileSync(join(root, dir, f));
        const v = await checkCertificate(bytes, modelFor(bytes));
        if (dir === 'pass' && !v.verified) wrong.push(`${dir}/${f}: ${JSON.stringify(v.error)}`);
        if (dir !== 'pass' && v.verified) wrong.push(`${dir}/${f}: verified`);
        if (dir === 'malformed' && !v.verified && (v.error.step !== null || !/^(json|gzip|schema|format|limits)$/.test(v.error.rule))) {
          wrong.push(`${dir}/${f}: rejected by step ${v.error.step}, rule ${v.error.rule} (expected before any step)`);
        }
        if (dir === 'fail' && f.startsWith('prover-') && !v.verified) {
          const expected = EXPECTED_FAIL[f.replace(/^prover-/, '').replace(/\.json$/, '')];
          const got: [string | null, string] = [v.error.step, v.error.rule];
          if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${dir}/${f}: rejected by ${JSON.stringify(got)}, expected ${JSON.stringify(expected)} (${v.error.message})`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
