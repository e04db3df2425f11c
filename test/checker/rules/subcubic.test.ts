/**
 * checker/rules/subcubic.ts: exp-grid enclosures (both signs of z, absent entries) and subcubic-count's case rules,
 * each rejection naming the step and the rule.
 */
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import { certificateBytes, type Certificate } from '../../../src/prove/certificate.js';
import { proveSubcubic } from '../../../src/prove/subcubic/prove.js';
import { parseVariant } from '../../../src/prove/subcubic/variants.js';
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
  it('rejects a bound that is not negative (ā and δ made useless)', () => rejects((s) => { (s.abar as string[][]).forEach((r) => r.fill('-' + String(2n ** 40n))); }, /not negative/));
  it('rejects a factored attention without 4 peels', () => rejects((s) => { s.eqke = { mode: 'factored', peels: [null], bound: 'exact' }; }, /schema|4 entries/));
});
