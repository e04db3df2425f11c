/**
 * docs/paper.md §8 / SPEC §4.6: the reference's `mean_query+diff` step bounds (a_q − ā)·R(x) by (a_q − ā)·R*, which holds only
 * for a_q ≥ ā. On models whose path matrices are set directly (d_model = 2V + 1, W_E one-hot plus a common
 * direction), a search finds claimed cases that contain wrong sequences; mechcert's sound form never claims them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import type { Model } from '../../src/model/model.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { gridMantissa, proveSubcubic } from '../../src/prove/subcubic/prove.js';
import { rationalParts } from '../../src/prove/scale.js';
import { referenceSubcubic } from '../../src/prove/subcubic/reference.js';
import type { Variant } from '../../src/prove/subcubic/variants.js';
import { caseSequences, settableModel, trueCount, truthTable } from './subcubic-helpers.js';

const SEED = 20241124;
const MEAN: Variant = { eu: 'mean_query+max_diff', attention: 'mean_query+diff', error: 'exact_EQKE+max_diff_exact' };

/** Claimed cases of the reference form that contain a sequence the model gets wrong. */
function overClaims(model: Model, ok: Uint8Array, v: Variant, oneSided = false) {
  const { vocab: V, k: K } = model.config;
  return referenceSubcubic(model, v, oneSided).cases
    .map((cs) => ({ ...cs, wrong: caseSequences(V, K, cs).filter((i) => !ok[i]) }))
    .filter((cs) => cs.wrong.length > 0);
}

/** The sound prover's certificate: verified, and no claimed case holds a wrong sequence. */
async function soundHolds(model: Model, bytes: Uint8Array, ok: Uint8Array, v: Variant): Promise<void> {
  const { vocab: V, k: K } = model.config;
  const r = proveSubcubic(model, v);
  const verdict = await checkCertificate(certificateBytes(r.certificate), bytes);
  expect(verdict.verified).toBe(true);
  const gaps = (r.certificate.evidence.steps.at(-1) as unknown as { gaps: number[][][] }).gaps;
  gaps.forEach((gm, m) => gm.forEach((row, c) => row.forEach((g, q) => {
    if (g > 0) expect(caseSequences(V, K, { q, m, c, g }).filter((i) => !ok[i])).toEqual([]);
  })));
  expect(Number(r.certificate.claim.correct)).toBeLessThanOrEqual(trueCount(ok));
}

describe('the reference form of mean_query+diff over-claims; the sound form does not', () => {
  it('a hand-built model: the reference claims (q=0, m=3, c=1, g=1), which holds the wrong sequence 3 3 0', async () => {
    // V = 4, K = 3. EU rows all w (δ = 0 under mean_query), EVOU[3] = [−100, −10, −10, 0] (R* = −10, R_min = −100),
    // other EVOU rows flat (W = 0), EQKE gives query 0 attention 1/2 on the max and queries 1–3 nearly 1 (ā ≈ 7/8).
    const { model, bytes } = settableModel(3, [80, 0, 0, 0], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [-100, -10, -10, 0]],
      [[1.386, 0, 0, 0], [0, 0, 0, 20], [0, 0, 0, 20], [0, 0, 0, 20]]);
    const ok = truthTable(model);
    const bad = overClaims(model, ok, MEAN);
    expect(bad.map(({ q, m, c, g, wrong }) => ({ q, m, c, g, wrong }))).toEqual([{ q: 0, m: 3, c: 1, g: 1, wrong: [3 * 16 + 3 * 4 + 0] }]);
    // With m−g+1 tokens (the sound count) the reference would even claim more sequences than are correct.
    const ref = referenceSubcubic(model, MEAN);
    expect(ref.countPlusOne).toBeGreaterThan(trueCount(ok));
    // The over-claim is that one step: the reference pipeline with only it made one-sided claims nothing wrong.
    expect(overClaims(model, ok, MEAN, true)).toEqual([]);
    await soundHolds(model, bytes, ok, MEAN);
    // A certificate that also claims the reference's cell (with the reference's ā) is rejected by the checker.
    const cert = JSON.parse(JSON.stringify(proveSubcubic(model, MEAN).certificate)) as { claim: { correct: string }; evidence: { steps: Record<string, unknown>[] } };
    const step = cert.evidence.steps[3] as { gaps: number[][][]; abar: string[][] };
    step.gaps[3][1][0] = 1;
    step.abar[3][1] = String(Math.round(0.875 * 2 ** 32));
    cert.claim.correct = String(Number(cert.claim.correct) + 1);
    // Fill every absent exp-grid entry, so that the rejection is the logit bound's and not a missing exponential.
    const grid = cert.evidence.steps[2] as { base: number; stepBits: number; fracBits: number; hi: (string | null)[] };
    const r = rationalParts((cert.evidence.steps[0] as { lo: string }).lo); const rh = rationalParts((cert.evidence.steps[0] as { hi: string }).hi);
    grid.hi = grid.hi.map((h, i) => h ?? gridMantissa(grid.base + i, grid.stepBits, grid.fracBits, r, rh).toString());
    const n0 = grid.hi.length;
    grid.hi.push(...Array.from({ length: 400 - n0 }, (_, i) => gridMantissa(grid.base + n0 + i, grid.stepBits, grid.fracBits, r, rh).toString()));
    const verdict = await checkCertificate(new TextEncoder().encode(JSON.stringify(cert)), bytes);
    expect(verdict.verified).toBe(false);
    if (!verdict.verified) expect(verdict.error.message).toMatch(/q=0 m=3 c=1 g=1: largest wrong logit bound is not below −ε/);
  });

  type Params = typeof arb extends fc.Arbitrary<infer T> ? T : never;
  // Structured random models: one output token boosted on the direct path, the max row of EVOU suppressing it.
  const arb = fc.record({
    K: fc.constantFrom(2, 3),
    boost: fc.integer({ min: 0, max: 90 }),
    x0: fc.integer({ min: 0, max: 2 }),
    suppress: fc.integer({ min: 0, max: 150 }),
    mild: fc.integer({ min: 0, max: 20 }),
    attn: fc.array(fc.double({ min: -4, max: 20, noNaN: true }), { minLength: 4, maxLength: 4 }),
    noise: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 16, maxLength: 16 }),
  });
  const build = (p: Params) => {
    const w = [0, 0, 0, 0]; w[p.x0] = p.boost;
    const EV = [0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((x) => (t === 3 ? (x === 3 ? 0 : x === p.x0 ? -p.suppress : -p.mild) : p.noise[t * 4 + x] / 4)));
    const Q = [0, 1, 2, 3].map((q) => [0, 1, 2, 3].map((k) => (k === 3 ? p.attn[q] : p.noise[q * 4 + k] / 8)));
    return settableModel(p.K, w, EV, Q);
  };

  it('a fast-check search finds over-claiming models (reported as a counterexample)', () => {
    const res = fc.check(fc.property(arb, (p) => {
      const { model } = build(p);
      return overClaims(model, truthTable(model), MEAN).length === 0;
    }), { seed: SEED, numRuns: 400 });
    expect(res.failed).toBe(true);
    const { model } = build(res.counterexample![0]);
    expect(overClaims(model, truthTable(model), MEAN, true)).toEqual([]);
    console.log(`reference over-claim found after ${res.numRuns} runs: ${JSON.stringify(res.counterexample)}`);
  });

  it('the sound form never claims a wrong sequence on the same family', async () => {
    await fc.assert(fc.asyncProperty(arb, async (p) => {
      const { model, bytes } = build(p);
      await soundHolds(model, bytes, truthTable(model), MEAN);
    }), { seed: SEED, numRuns: 25 });
  });
});
