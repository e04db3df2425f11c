/**
 * The joint-x form of cubic-count (SPEC §4.3): on random tiny models (fixed fast-check seed), with the joint form
 * never, as a fallback (the default), and on every good token, the checker accepts the certificate and counts exactly
 * its claim, and every sequence a verified case covers is correct in the exhaustive float evaluation (the joint
 * form never over-claims, sequence by sequence). Mutants that put a failing token under the joint form, or take a
 * token that needs it out of it, are rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { certificateBytes, type Certificate, type CubicCountStep } from '../../src/prove/certificate.js';
import { cubicCertificate, type CubicJointMode } from '../../src/prove/cubic.js';
import { exactQK } from '../../src/prove/exact.js';
import type { Model } from '../../src/model/model.js';
import { logitsFromTables, pathTables } from '../../src/model/paths.js';
import { FIXTURE_MODEL } from '../fixtures/generate.js';
import { buildModel, tinySpecArb } from './models.js';
import { boundKey, cubicMutants, type BoundTable } from './mutants.js';

const SEED = 20251124;
const RUNS = Number(process.env.MECHCERT_PROPERTY_RUNS ?? 40);

/** Sequences covered by the certificate's cases that the float evaluation does not call correct (margin ≤ −tol). */
function overclaimed(model: Model, cert: Certificate): { covered: number; wrong: string[] } {
  const T = pathTables(model);
  const { k: K, vocab: V } = T;
  const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  const tol = 1e-9 * (1 + maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU));
  const step = cert.evidence.steps[cert.evidence.steps.length - 1] as CubicCountStep;
  const cases = new Map(step.cases.map((cs) => [`${cs.q},${cs.m},${cs.c}`, cs.good === undefined ? 0n : BigInt(`0x${cs.good}`)]));
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let covered = 0;
  const wrong: string[] = [];
  for (let n = 0; n < V ** K; n++) {
    let r = n;
    for (let p = K - 1; p >= 0; p--) {
      tokens[p] = r % V;
      r = Math.floor(r / V);
    }
    const q = tokens[K - 1];
    let m = 0;
    for (let p = 0; p < K; p++) m = Math.max(m, tokens[p]);
    let c = 0;
    let mask = 0n;
    for (let p = 0; p < K - 1; p++) {
      if (tokens[p] === m) continue;
      c++;
      mask |= 1n << BigInt(tokens[p]);
    }
    const good = cases.get(`${q},${m},${c}`);
    if (good === undefined || (mask & ~good) !== 0n) continue;
    covered++;
    logitsFromTables(T, tokens, 0, logits, scratch);
    let other = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) other = Math.max(other, logits[x]);
    if (!(logits[m] - other > -tol)) wrong.push(`[${Array.from(tokens)}] margin ${logits[m] - other}`);
  }
  return { covered, wrong };
}

describe('cubic-count joint form', () => {
  it('never, fallback and always: accepted, exact counts, no covered sequence is wrong in float', async () => {
    let withJoint = 0;
    await fc.assert(
      fc.asyncProperty(tinySpecArb, async (spec) => {
        const { model, bytes } = buildModel(spec);
        const counts: Partial<Record<CubicJointMode, bigint>> = {};
        for (const joint of ['never', 'fallback', 'always'] as const) {
          const { certificate } = cubicCertificate(model, { joint });
          const v = await checkCertificate(certificateBytes(certificate), bytes);
          if (!v.verified) throw new Error(`${joint}: rejected: ${JSON.stringify(v.error)}`);
          expect(v.counted).toBe(certificate.claim.correct);
          const { covered, wrong } = overclaimed(model, certificate);
          expect(wrong).toEqual([]);
          expect(BigInt(covered)).toBe(BigInt(certificate.claim.correct));
          const cases = (certificate.evidence.steps[3] as CubicCountStep).cases;
          if (joint === 'never') expect(cases.every((cs) => cs.joint === undefined)).toBe(true);
          if (joint === 'always') expect(cases.every((cs) => cs.c === 0 || cs.joint === cs.good)).toBe(true);
          if (joint === 'fallback' && cases.some((cs) => cs.joint !== undefined)) withJoint++;
          counts[joint] = BigInt(certificate.claim.correct);
        }
        // The fallback only adds tokens to what the decoupled form proves.
        expect(counts.fallback! >= counts.never!).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The fallback is exercised, not just allowed.
    expect(withJoint).toBeGreaterThan(0);
  });

  it('rejects a failing token marked joint, and a token that needs the joint form taken out of it', async () => {
    const { model, bytes } = buildModel(FIXTURE_MODEL);
    const bounds: BoundTable = new Map();
    const decoupled: BoundTable = new Map();
    const run = cubicCertificate(model, {}, () => {}, (q, m, c, k, L, D) => {
      bounds.set(boundKey(q, m, c, k), L);
      if (D !== undefined) decoupled.set(boundKey(q, m, c, k), D);
    });
    const mutants = cubicMutants(run.certificate, exactQK(model), bounds, Number(run.figures.tolerance), decoupled);
    const expected: Record<string, RegExp> = {
      'joint-bit-added': /\(joint\).*not below the bound/,
      'joint-bit-removed': /token k=\d+ with m on positions .* is not below the bound/,
      'joint-not-subset-of-good': /joint must be a non-empty subset of good/,
      'joint-on-c0-case': /joint must be absent when c = 0/,
    };
    for (const [name, message] of Object.entries(expected)) {
      const mutant = mutants.find((x) => x.name === name);
      expect(mutant, name).toBeDefined();
      const v = await checkCertificate(certificateBytes(mutant!.cert as Certificate), bytes);
      expect(v.verified, name).toBe(false);
      if (!v.verified) expect(v.error.message, name).toMatch(message);
    }
    // A joint mask of zero is not a non-empty subset either.
    const zero = structuredClone(run.certificate);
    const cs = (zero.evidence.steps[3] as CubicCountStep).cases.find((x) => x.joint !== undefined)!;
    cs.joint = '0';
    const v = await checkCertificate(certificateBytes(zero), bytes);
    expect(v.verified ? 'verified' : v.error.message).toMatch(/joint must be a non-empty subset of good/);
  });
});
