/**
 * Properties of the prover against the real checker, on random tiny models (V 3–8, K 2–4, d 2–8, adversarial
 * weights included), with a fixed fast-check seed:
 *  - completeness: the checker verifies every certificate the prover writes, and proves exactly the claimed count
 *    (the prover's reimplementation of each count rule agrees with the checker's);
 *  - soundness against the float ground truth: checked bound ≤ the number of possibly-correct sequences;
 *  - brute force equals the float evaluation except near-ties (when the exp tables keep full precision);
 *  - cubic ≤ brute force (when the exp tables keep full precision).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { adaptiveFracBits } from '../../src/prove/attention.js';
import { bruteForceCertificate } from '../../src/prove/brute-force.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { cubicCertificate } from '../../src/prove/cubic.js';
import { exactQK } from '../../src/prove/exact.js';
import { buildModel, floatTruth, tinySpecArb } from './models.js';

const SEED = 20240611;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 60);

describe('prover properties on random tiny models', () => {
  it('cubic and brute force: accepted, exact counts, sound, brute force = float count away from ties', async () => {
    await fc.assert(
      fc.asyncProperty(tinySpecArb, async (spec) => {
        const { model, bytes } = buildModel(spec);
        const truth = floatTruth(model);

        const cubic = cubicCertificate(model);
        const vc = await checkCertificate(certificateBytes(cubic.certificate), bytes);
        if (!vc.verified) throw new Error(`cubic rejected: ${JSON.stringify(vc.error)}`);
        expect(vc.counted).toBe(cubic.certificate.claim.correct);
        const cubicCount = Number(cubic.certificate.claim.correct);
        expect(cubicCount).toBeLessThanOrEqual(truth.maybe);

        const bf = await bruteForceCertificate(model, { threads: 1 });
        const vb = await checkCertificate(certificateBytes(bf.certificate), bytes);
        if (!vb.verified) throw new Error(`brute force rejected: ${JSON.stringify(vb.error)}`);
        expect(vb.counted).toBe(bf.certificate.claim.correct);
        const bfCount = Number(bf.certificate.claim.correct);
        expect(bfCount).toBeLessThanOrEqual(truth.maybe);
        // With the tables at full precision (fracBits not capped), only near-ties can be lost, and brute force
        // proves at least what cubic does. (With capped tables, every weight of a sequence can have lo = 0: the
        // brute-force rule's strict T_x < 0 then fails, while cubic's ≤ b with b < 0 still holds.)
        const F = adaptiveFracBits(exactQK(model), 1 / Math.sqrt(model.config.dHead), 64, 64, 100_000);
        if (F <= 256) {
          // The prover's own float count (mid-point table weights) differs from the reference only on float ties.
          expect(bf.figures.floatCorrect).toBeGreaterThanOrEqual(truth.sure);
          expect(bf.figures.floatCorrect).toBeLessThanOrEqual(truth.maybe);
          expect(bfCount).toBeGreaterThanOrEqual(truth.sure);
          expect(cubicCount).toBeLessThanOrEqual(bfCount);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the exp tables of a model whose scores span thousands of nats are still accepted (lo = 0 below 2^−F)', async () => {
    const { model, bytes } = buildModel({ kind: 'large', vocab: 6, k: 3, dModel: 4, dHead: 3, seed: 7, scale: 3 });
    const bf = await bruteForceCertificate(model, { threads: 1 });
    expect(bf.figures.fracBits).toBe(256);
    const v = await checkCertificate(certificateBytes(bf.certificate), bytes);
    expect(v.verified).toBe(true);
  });
});
