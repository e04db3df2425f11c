/**
 * checker/rules/exp-grid.ts and checker/rules/subcubic-count.ts: exp-grid enclosures (both signs of z, absent
 * entries, the work bound) and subcubic-count's case rules, each rejection naming the step and the rule; the variant
 * name derived from the evidence for all 100 variants, and a relabelled certificate rejected.
 */
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import { certificateBytes, type Certificate } from '../../../src/prove/certificate.js';
import { proveSubcubic } from '../../../src/prove/subcubic/prove.js';
import { ALL_VARIANTS, parseVariant, variantName } from '../../../src/prove/subcubic/variants.js';
import { buildModel } from '../../prove/models.js';

type Json = Record<string, unknown>;
const { model, bytes } = buildModel({ kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 4, seed: 5, scale: 0.05 });
const base = proveSubcubic(model, parseVariant('subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact')!).certificate;
const steps = (c: Json) => (c.evidence as Json).steps as Json[];
const mutate = (f: (c: Json) => void): Uint8Array => { const c = JSON.parse(JSON.stringify(base)) as Json; f(c); return new TextEncoder().encode(JSON.stringify(c)); };
const verdictOf = (b: Uint8Array) => checkCertificate(b, bytes);

describe('exp-grid', () => {
  it('accepts the prover\'s grid (entries on both sides of z = 0, absent entries as null)', async () => {
    const v = await verdictOf(certificateBytes(base as Certificate));
    expect(v.verified).toBe(true);
    const grid = steps(base as unknown as Json)[2];
    expect((grid.hi as unknown[]).some((h) => h === null)).toBe(true);
  });

  it('rejects an entry below e^{r·z}, naming the step and rule', async () => {
    const v = await verdictOf(mutate((c) => { const hi = steps(c)[2].hi as (string | null)[]; const i = hi.length - 1; hi[i] = String(BigInt(hi[i]!) - BigInt(hi[i]!) / 1000n); }));
    expect(v.verified).toBe(false);
    if (!v.verified) expect(v.error).toMatchObject({ step: 'grid', rule: 'exp-grid' });
  });

  it('rejects a case that cites an absent grid entry', async () => {
    const v = await verdictOf(mutate((c) => { const hi = steps(c)[2].hi as (string | null)[]; hi.fill(null); }));
    expect(v.verified).toBe(false);
    if (!v.verified) expect(v.error).toMatchObject({ step: 'count', rule: 'subcubic-count' });
  });
});

describe('subcubic-count', () => {
  const rejects = async (f: (count: Json) => void, pattern: RegExp) => {
    const v = await verdictOf(mutate((c) => f(steps(c)[3])));
    expect(v.verified).toBe(false);
    if (!v.verified) expect(`${v.error.rule}: ${v.error.message}`).toMatch(pattern);
  };
  it('rejects c = 0 cells other than q = m', () => rejects((s) => { (s.gaps as number[][][])[5][0][2] = 1; }, /c = 0 needs q = m/));
  it('rejects gaps that let the query exceed m − g', () => rejects((s) => { (s.gaps as number[][][])[5][1][4] = 2; }, /q ≤ m − g/));
  it('rejects a gap table of the wrong shape', () => rejects((s) => { (s.gaps as number[][][])[2].pop(); }, /gaps\[2\]/));
  it('rejects an expP citation of an EQKE table', () => rejects((s) => { s.expP = 'scale'; }, /reference/));
  it('rejects a bound that is not below −ε = 0 (ā and δ made useless)', () => rejects((s) => { (s.abar as string[][]).forEach((r) => r.fill('-' + String(2n ** 40n))); }, /not below −ε/));
  it('rejects a factored attention without 4 peels', () => rejects((s) => { s.eqke = { mode: 'factored', peels: [null], bound: 'exact' }; }, /schema|4 entries/));
});

describe('exp-grid work bound', () => {
  it('refuses, not decided, a grid whose evaluations exceed the work limit', async () => {
    const v = await checkCertificate(mutate((c) => { steps(c)[2].hi = new Array(4096).fill('1'); }), bytes, { workLimit: 2 ** 16 });
    expect(v.verified ? 'verified' : [v.status, v.error.step, v.error.rule, v.error.message]).toEqual(['undecided', 'grid', 'exp-grid', expect.stringMatching(/an exp grid needs/)]);
  });
});

describe('subcubic-count: what is printed is what was verified (issue 11 finding 6)', () => {
  const sub = (name: string) => proveSubcubic(model, parseVariant(name)!).certificate as unknown as Json;
  it('derives each of the 100 variant names from its evidence: every prover certificate verifies under its own name', async () => {
    for (const v of ALL_VARIANTS) {
      const c = sub(variantName(v));
      const verdict = await verdictOf(new TextEncoder().encode(JSON.stringify(c)));
      expect(verdict.verified ? 'verified' : `${verdict.error.rule}: ${verdict.error.message}`, variantName(v)).toBe('verified');
    }
  });
  it('rejects a certificate relabelled as another variant, naming what the evidence proves', async () => {
    const pairs: [string, string, RegExp][] = [
      ['subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact', 'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/svd', /\(subcubic\/max_diff_exact\/mean_query\+diff\/exact_EQKE\+max_diff_exact\)/],
      // μ is not E_q's mean row: not mean_query
      ['subcubic/svd_query+max_diff/mean_query+diff/svd', 'subcubic/mean_query+max_diff/mean_query+diff/svd', /\(subcubic\/svd_query\+max_diff\/mean_query\+diff\/svd\)/],
      // some ā ≠ 0: not drop_average
      ['subcubic/max_diff/mean_query+diff/max_diff', 'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/max_diff', /\(subcubic\/max_diff\/mean_query\+diff\/max_diff\)/],
      ['subcubic/max_diff/mean_query+diff/mean+max_diff_subproduct_recursive', 'subcubic/max_diff/mean_query+diff/mean_recursive+max_diff_subproduct_recursive', /\/mean\+max_diff_subproduct_recursive\)/],
    ];
    for (const [real, label, proves] of pairs) {
      const c = sub(real);
      (c.claim as Json).strategy = label;
      const v = await verdictOf(new TextEncoder().encode(JSON.stringify(c)));
      expect(v.verified).toBe(false);
      if (!v.verified) expect([v.error.step, v.error.rule, v.error.message]).toEqual(['count', 'subcubic-count', expect.stringMatching(proves)]);
    }
  });
  it('accepts the labels the evidence cannot tell apart: any μ as svd_query, all-zero ā as mean_query+diff', async () => {
    for (const [real, label] of [
      ['subcubic/mean_query+max_diff/mean_query+diff/svd', 'subcubic/svd_query+max_diff/mean_query+diff/svd'],
      ['subcubic/max_diff/drop_average_query_per_output_logit_reasoning/max_diff', 'subcubic/max_diff/mean_query+diff/max_diff'],
    ]) {
      const c = sub(real);
      (c.claim as Json).strategy = label;
      expect((await verdictOf(new TextEncoder().encode(JSON.stringify(c)))).verified, label).toBe(true);
    }
  });
});
