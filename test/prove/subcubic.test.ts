/**
 * The 100 subcubic variants against the real checker on random tiny models (V 3–8, K 2–4; fixed fast-check seed,
 * a few models per variant): every certificate is accepted with N* = the claimed count (completeness), the claim
 * never exceeds the float truth (soundness), and over-claiming mutants are rejected or, where a mutated witness
 * happens to remain valid, still sound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import type { Certificate } from '../../src/prove/certificate.js';
import { certificateBytes } from '../../src/prove/certificate.js';
import { listStrategies } from '../../src/prove/registry.js';
import { proveSubcubic } from '../../src/prove/subcubic/prove.js';
import { ALL_VARIANTS, parseVariant, variantGroup, variantName } from '../../src/prove/subcubic/variants.js';
import { buildModel, floatTruth, tinySpecArb, type TinySpec } from './models.js';

const SEED = 20241124;
const RUNS = Number(process.env.MECHCERT_SUBCUBIC_RUNS ?? 2);

type Json = Record<string, unknown>;
const clone = (c: Certificate): Json => JSON.parse(JSON.stringify(c)) as Json;
const count = (c: Json) => ((c.evidence as Json).steps as Json[]).at(-1)!;
const bytesOf = (c: Json) => new TextEncoder().encode(JSON.stringify(c));

/** Solver-like specs first (so that cases get claimed), then anything. */
const specArb: fc.Arbitrary<TinySpec> = fc.oneof(tinySpecArb.map((s) => ({ ...s, kind: 'solver' as const, scale: 0.05 })), tinySpecArb);

describe('subcubic strategies', () => {
  it('registers all 100 variants with group and complexity', async () => {
    const names = (await listStrategies()).filter((s) => s.name.startsWith('subcubic/'));
    expect(names).toHaveLength(100);
    expect(new Set(names.map((s) => s.group))).toEqual(new Set(['subcubic', 'attention-V·d²', 'direct-quadratic', 'attention-V·d², direct-quadratic', 'attention-quadratic', 'attention-quadratic, direct-quadratic']));
    expect(names.every((s) => s.complexity.includes('V²'))).toBe(true);
    expect(variantGroup(parseVariant('subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact')!)).toBe('subcubic');
  });

  it.each(ALL_VARIANTS.map((v) => [variantName(v), v] as const))('%s: accepted, exact count, sound, claim + 1 rejected', async (_name, v) => {
    await fc.assert(fc.asyncProperty(specArb, async (spec) => {
      const { model, bytes } = buildModel(spec);
      const { certificate } = proveSubcubic(model, v);
      const verdict = await checkCertificate(certificateBytes(certificate), bytes);
      if (!verdict.verified) throw new Error(`rejected: ${JSON.stringify(verdict.error)}`);
      expect(verdict.counted).toBe(certificate.claim.correct);
      expect(Number(certificate.claim.correct)).toBeLessThanOrEqual(floatTruth(model).maybe);
      // claiming one sequence more than proved is rejected
      const more = clone(certificate); (more.claim as Json).correct = String(BigInt(certificate.claim.correct) + 1n);
      expect((await checkCertificate(bytesOf(more), bytes)).verified).toBe(false);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('over-claiming mutants are rejected, or remain sound', async () => {
    const spec: TinySpec = { kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 6, seed: 3, scale: 0.05 };
    const { model, bytes } = buildModel(spec);
    const truth = floatTruth(model).maybe;
    for (const name of ['subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact', 'subcubic/mean_query+max_diff/mean_query+diff/svd',
      'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/mean+max_diff_subproduct_recursive']) {
      const { certificate } = proveSubcubic(model, parseVariant(name)!);
      expect(Number(certificate.claim.correct)).toBeGreaterThan(0);
      const verdict = async (c: Json) => checkCertificate(bytesOf(c), bytes);
      // claim one more than proved
      const more = clone(certificate); (more.claim as Json).correct = String(BigInt(certificate.claim.correct) + 1n);
      expect((await verdict(more)).verified).toBe(false);
      // every cell of the gap table widened by one token (g − 1) or newly claimed (0 → largest gap): accepted only if sound
      const gaps = count(clone(certificate)).gaps as number[][][];
      for (let m = 0; m < gaps.length; m++) for (let c = 0; c < gaps[m].length; c++) for (let q = 0; q <= m; q++) {
        const mut = clone(certificate); const g = (count(mut).gaps as number[][][])[m][c];
        g[q] = g[q] > 1 ? g[q] - 1 : g[q] === 0 ? (c === 0 ? (q === m ? 1 : 0) : q === m ? m : m - q) : 0;
        if (g[q] === gaps[m][c][q] || g[q] === 0) continue;
        const v = await verdict(mut);
        if (v.verified) expect(Number(v.counted)).toBeLessThanOrEqual(truth);
      }
    }
  });

  it('tampered witnesses are rejected', async () => {
    const { model, bytes } = buildModel({ kind: 'solver', vocab: 5, k: 3, dModel: 5, dHead: 5, seed: 11, scale: 0.05 });
    const base = proveSubcubic(model, parseVariant('subcubic/max_diff_exact/mean_query+diff/svd')!).certificate;
    const reject = async (f: (c: Json) => void) => { const c = clone(base); f(c); expect((await checkCertificate(bytesOf(c), bytes)).verified).toBe(false); };
    const steps = (c: Json) => (c.evidence as Json).steps as Json[];
    // exp-grid entry lowered below e^{rz}
    await reject((c) => { const hi = steps(c)[2].hi as (string | null)[]; const i = hi.findIndex((h) => h !== null); hi[i] = String(BigInt(hi[i]!) / 2n); });
    // row-norm bound e set to 0 (the residual is not zero)
    await reject((c) => { (count(c).eqke as Json).e = '0'; });
    // position order not sorted by EQKP
    await reject((c) => { (count(c).positionOrder as number[][]).forEach((o) => o.reverse()); (count(c).positionOrder as number[][])[0] = [0, 0]; });
    // a gap that lets the query exceed m − g
    await reject((c) => { const g = count(c).gaps as number[][][]; g[4][1][3] = 3; });
    // wrong claim family
    await reject((c) => { (c.claim as Json).strategy = 'cubic'; });
    // a JSON number where a mantissa belongs
    await reject((c) => { (count(c).abar as unknown[][])[4][1] = 0.5; });
  });
});

describe('shipped subcubic certificates', () => {
  const files = readdirSync('certificates').filter((f) => /\.subcubic.*\.json$/.test(f));
  it.each(files)('%s verifies against its model', async (file) => {
    const model = readFileSync(`models/${file.replace(/\.subcubic.*$/, '')}.safetensors`);
    const cert = readFileSync(`certificates/${file}`);
    const v = await checkCertificate(cert, model);
    if (!v.verified) throw new Error(JSON.stringify(v.error));
    expect(v.claim.strategy.startsWith('subcubic/')).toBe(true);
    expect(v.counted).toBe(v.claim.correct);
  });
});
