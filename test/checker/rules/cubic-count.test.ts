import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import { cubicCertificate, encode, floatCounts, tinyModel } from '../helpers.js';

describe('cubic-count', () => {
  const models = [
    ['solver', 3, 4, 1], ['solver', 3, 5, 2], ['solver', 2, 5, 3], ['random', 3, 4, 4], ['solver', 3, 3, 5],
  ] as const;
  for (const [kind, k, vocab, seed] of models) {
    it(`proves exactly the cases it is given, never more than the float count (${kind}, K=${k}, V=${vocab}, seed ${seed})`, async () => {
      const t = tinyModel(kind, k, vocab, seed);
      const { cert, count } = cubicCertificate(t);
      const v = await checkCertificate(encode(cert), t.bytes);
      expect(v.verified ? v.counted : v.error).toBe(count.toString());
      expect(Number(count)).toBeLessThanOrEqual(floatCounts(t).possible);
    });
  }

  it('the solver models are not trivial: some cases prove sequences', () => {
    expect(cubicCertificate(tinyModel('solver', 3, 5, 2)).count).toBeGreaterThan(0n);
  });

  const t = tinyModel('solver', 3, 5, 2);
  const base = cubicCertificate(t);
  const mutate = async (f: (count: { positionOrder: number[][]; cases: { q: number; m: number; c: number; good?: string; joint?: string; bound: string }[] }) => void) => {
    const cert = structuredClone(base.cert) as typeof base.cert & { evidence: { steps: unknown[] } };
    f(cert.evidence.steps[3] as never);
    const v = await checkCertificate(encode(cert), t.bytes);
    return v.verified ? 'verified' : `${v.error.rule}: ${v.error.message}`;
  };

  it('rejects a bound tightened past the truth', async () => {
    expect(await mutate((s) => { s.cases.find((c) => c.c > 0)!.bound = '-1000'; })).toMatch(/not below the bound/);
    expect(await mutate((s) => { s.cases.find((c) => c.c === 0 && c.q < c.m)!.bound = '-1000'; })).toMatch(/not below the bound/);
    expect(await mutate((s) => { s.cases.find((c) => c.c === 0 && c.q === c.m)!.bound = '-1000'; })).toMatch(/exceeds the bound/);
  });

  it('rejects malformed or overlapping case splits', async () => {
    expect(await mutate((s) => { s.cases.push(s.cases[0]); })).toMatch(/duplicate case/);
    expect(await mutate((s) => { const c = s.cases.find((x) => x.c > 0)!; c.good = (1n << BigInt(c.m)).toString(16); })).toMatch(/good must be a non-empty set of tokens below m/);
    expect(await mutate((s) => { s.cases.find((x) => x.c > 0)!.good = undefined; })).toMatch(/good must be present/);
    expect(await mutate((s) => { s.cases.find((x) => x.c === 0)!.good = '1'; })).toMatch(/good must be present/);
    expect(await mutate((s) => { s.cases.push({ q: 3, m: 2, c: 0, bound: '-1' }); })).toMatch(/not a valid/);
    expect(await mutate((s) => { s.cases.push({ q: 1, m: 2, c: 2, good: '1', bound: '-1' }); })).toMatch(/not a valid/);
    expect(await mutate((s) => { s.cases.find((x) => x.c > 0)!.bound = '0'; })).toMatch(/not negative/);
  });

  it('rejects a good set that includes a failing token', async () => {
    const r = await mutate((s) => {
      const c = s.cases.find((x) => x.c > 0 && BigInt(`0x${x.good}`) !== (1n << BigInt(x.m)) - 1n);
      if (c) c.good = ((1n << BigInt(c.m)) - 1n).toString(16);
      else s.cases[0].bound = '-1000';
    });
    expect(r).not.toBe('verified');
  });

  it('rejects a malformed joint mask (SPEC §4.3)', async () => {
    expect(await mutate((s) => { s.cases.find((x) => x.c === 0)!.joint = '1'; })).toMatch(/joint must be absent when c = 0/);
    expect(await mutate((s) => { s.cases.find((x) => x.c > 0)!.joint = '0'; })).toMatch(/joint must be a non-empty subset of good/);
    expect(await mutate((s) => {
      const c = s.cases.find((x) => x.c > 0 && BigInt(`0x${x.good}`) !== (1n << BigInt(x.m)) - 1n)!;
      c.joint = ((1n << BigInt(c.m)) - 1n).toString(16);
    })).toMatch(/joint must be a non-empty subset of good/);
  });

  it('a joint mask equal to good still verifies: the joint form is never looser than the decoupled one', async () => {
    expect(await mutate((s) => { for (const c of s.cases) if (c.c > 0) c.joint = c.good; })).toBe('verified');
  });

  it('rejects a position order that is not sorted by EQKP', async () => {
    expect(await mutate((s) => { s.positionOrder[0].reverse(); })).toMatch(/positionOrder\[0\]: EQKP/);
    expect(await mutate((s) => { s.positionOrder[0] = [0, 0]; })).toMatch(/permutation/);
  });
});
