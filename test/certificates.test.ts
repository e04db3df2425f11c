/**
 * Every committed certificate in certificates/ is re-checked against its model: the model is the file in
 * models/*.safetensors whose SHA-256 the certificate's claim names (a certificate naming no shipped model fails).
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../checker/check.js';

const root = new URL('..', import.meta.url).pathname;
const models = new Map(
  readdirSync(join(root, 'models'))
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => {
      const bytes = readFileSync(join(root, 'models', f));
      return [createHash('sha256').update(bytes).digest('hex'), { file: f, bytes }] as const;
    }),
);
const certificates = readdirSync(join(root, 'certificates')).filter((f) => /\.json(\.gz)?$/.test(f)).sort();
const threads = Math.max(1, Math.min(4, availableParallelism()));

describe('committed certificates', () => {
  it('certificates/ is not empty', () => {
    expect(certificates.length).toBeGreaterThan(0);
  });

  for (const f of certificates) {
    it(`certificates/${f} verifies against its model`, { timeout: 600_000 }, async () => {
      const bytes = readFileSync(join(root, 'certificates', f));
      const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
      const sha = (JSON.parse(text.toString('utf8')) as { claim: { modelSha256: string } }).claim.modelSha256;
      const model = models.get(sha);
      expect(model, `no model in models/ has SHA-256 ${sha}`).toBeDefined();
      const v = await checkCertificate(bytes, model!.bytes, { threads });
      expect(v.verified ? 'verified' : v.error).toBe('verified');
      if (v.verified) expect(BigInt(v.counted)).toBeGreaterThanOrEqual(BigInt(v.claim.correct));
    });
  }
});
