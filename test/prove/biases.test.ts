/**
 * Models with nonzero biases (SPEC §1), on random tiny models (V ≤ 6, K ≤ 4), with a fixed fast-check seed:
 *  - the exhaustive evaluator (path tables, biases folded in) counts what a naive forward pass that applies every bias
 *    literally counts (src/model/forward.ts shares no code with the path tables);
 *  - cubic, brute force and subcubic certificates (the factored modes included) are verified by the checker, which
 *    proves exactly the claimed count, and that count is at most the literal forward pass's;
 *  - the hand-built models/max4-v16-hand-biases.safetensors is what test/model/hand-biased-model.ts builds, and its
 *    committed certificates (re-checked by test/certificates.test.ts) claim at most its literal count.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { evaluateExhaustive } from '../../src/eval/exhaustive.js';
import { forwardLastPosition } from '../../src/model/forward.js';
import { parseModel, type Model } from '../../src/model/model.js';
import { bruteForceCertificate } from '../../src/prove/brute-force.js';
import { certificateBytes, type Certificate } from '../../src/prove/certificate.js';
import { cubicCertificate } from '../../src/prove/cubic.js';
import { proveSubcubic } from '../../src/prove/subcubic/prove.js';
import { ALL_VARIANTS, variantName } from '../../src/prove/subcubic/variants.js';
import { HAND_BIASED_FILE, handBiasedModel } from '../model/hand-biased-model.js';
import { buildModel, type ModelKind, type TinySpec } from './models.js';

const root = join(import.meta.dirname, '../..');

const SEED = 20260412;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 30);

const biasedSpecArb: fc.Arbitrary<TinySpec> = fc.record({
  kind: fc.constantFrom<ModelKind>('normal', 'solver', 'solver', 'integer'),
  vocab: fc.integer({ min: 3, max: 6 }),
  k: fc.integer({ min: 2, max: 4 }),
  dModel: fc.integer({ min: 2, max: 6 }),
  dHead: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  scale: fc.constantFrom(0.05, 0.3, 1),
  biases: fc.constantFrom(0.1, 0.5, 2),
});

/** Over all V^K sequences, from the literal forward pass: margin > +tol (surely correct), > −tol (possibly), > 0. */
function literalTruth(model: Model): { sure: number; maybe: number; float: number } {
  const { k: K, vocab: V } = model.config;
  const total = V ** K;
  const tokens = new Int32Array(total * K);
  for (let n = 0; n < total; n++) for (let p = K - 1, r = n; p >= 0; p--, r = Math.floor(r / V)) tokens[n * K + p] = r % V;
  const logits = forwardLastPosition(model, tokens, total);
  const tol = 1e-9 * (1 + logits.reduce((s, x) => Math.max(s, Math.abs(x)), 0));
  let sure = 0; let maybe = 0; let float = 0;
  for (let n = 0; n < total; n++) {
    const m = Math.max(...tokens.subarray(n * K, (n + 1) * K));
    let other = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) other = Math.max(other, logits[n * V + x]);
    const margin = logits[n * V + m] - other;
    if (margin > tol) sure++;
    if (margin > -tol) maybe++;
    if (margin > 0) float++;
  }
  return { sure, maybe, float };
}

/** The checker's count for a certificate, after asserting that it verifies and proves exactly the claim. */
async function checked(certificate: Certificate, bytes: Uint8Array): Promise<number> {
  const v = await checkCertificate(certificateBytes(certificate), bytes);
  if (!v.verified) throw new Error(`${certificate.claim.strategy} rejected: ${JSON.stringify(v.error)}`);
  expect(v.counted).toBe(certificate.claim.correct);
  return Number(v.counted);
}

describe('models with biases', () => {
  it('the exhaustive evaluator counts what the literal forward pass counts', async () => {
    await fc.assert(
      fc.asyncProperty(biasedSpecArb, async (spec) => {
        const { model } = buildModel(spec);
        expect(model.biases).toBeDefined();
        const truth = literalTruth(model);
        const { correct } = await evaluateExhaustive(model, { threads: 1 });
        expect(correct).toBeGreaterThanOrEqual(truth.sure);
        expect(correct).toBeLessThanOrEqual(truth.maybe);
        if (truth.sure === truth.maybe) expect(correct).toBe(truth.float);
      }),
      { seed: SEED, numRuns: 2 * RUNS },
    );
  });

  it('cubic, brute-force and subcubic certificates verify, and prove at most the literal count', async () => {
    // Ten subcubic variants per model, drawn from all 100 (the factored direct and attention modes included).
    const variants = fc.shuffledSubarray(ALL_VARIANTS, { minLength: 10, maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(biasedSpecArb, variants, async (spec, vs) => {
        const { model, bytes } = buildModel(spec);
        const truth = literalTruth(model);
        const cubic = await checked(cubicCertificate(model).certificate, bytes);
        expect(cubic).toBeLessThanOrEqual(truth.maybe);
        const bf = await checked((await bruteForceCertificate(model, { threads: 1 })).certificate, bytes);
        expect(bf).toBeLessThanOrEqual(truth.maybe);
        for (const v of vs) {
          const n = await checked(proveSubcubic(model, v).certificate, bytes);
          expect(n, variantName(v)).toBeLessThanOrEqual(truth.maybe);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the hand-built biased model is what its generator writes; its certificates claim at most its literal count', () => {
    const bytes = readFileSync(join(root, HAND_BIASED_FILE));
    expect(Buffer.from(handBiasedModel()).equals(bytes)).toBe(true);
    const model = parseModel(new Uint8Array(bytes));
    const truth = literalTruth(model);
    expect(truth.sure).toBe(truth.maybe);
    const stem = HAND_BIASED_FILE.replace(/^models\/(.*)\.safetensors$/, '$1.');
    const claims = Object.fromEntries(readdirSync(join(root, 'certificates')).filter((f) => f.startsWith(stem)).map((f) => {
      const { claim } = JSON.parse(readFileSync(join(root, 'certificates', f), 'utf8')) as Certificate;
      expect(claim.modelSha256).toBe(model.sha256);
      return [f.slice(stem.length), Number(claim.correct)];
    }));
    expect(Object.keys(claims).sort()).toEqual(['brute-force.json', 'cubic.json', 'subcubic.json']);
    expect(claims['brute-force.json']).toBe(truth.float);
    expect(claims['cubic.json']).toBeLessThanOrEqual(truth.float);
    expect(claims['subcubic.json']).toBeLessThanOrEqual(truth.float);
  });
});
