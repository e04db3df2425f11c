import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import type { StepContext } from '../../../checker/context.js';
import { Ops } from '../../../checker/ops.js';
import { caseWork, checkMax, cubicData, sumCases, type CubicCountStep } from '../../../checker/rules/cubic-count.js';
import { pathWork } from '../../../checker/work.js';
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

describe('cubic-count: coverage, work bound and progress', () => {
  const t = tinyModel('solver', 3, 5, 2);
  const { cert } = cubicCertificate(t);
  const step = (cert as { evidence: { steps: unknown[] } }).evidence.steps[3] as CubicCountStep;
  /** The validated case split of the fixture, through a context whose work limit is `workLimit`. */
  const dataOf = async (workLimit = 2 ** 40) => {
    const results = new Map<string, unknown>();
    // The tables the count cites, as the exp-table rule verified them.
    const { checkExpTable } = await import('../../../checker/rules/exp-table.js');
    const { checkInvSqrtScale } = await import('../../../checker/rules/inv-sqrt-scale.js');
    const steps = (cert as { evidence: { steps: { id: string }[] } }).evidence.steps;
    const ctx = (id: string, limit: number) => ({
      model: t.exact, ops: new Ops(), step: id, work: { limit, used: 0 }, claim: cert.claim, margin: 0n,
      resolve: (_f: string, ref: string) => results.get(ref),
    }) as unknown as StepContext;
    results.set(steps[0].id, checkInvSqrtScale(steps[0] as never, ctx(steps[0].id, 2 ** 40)));
    for (const s of steps.slice(1, 3)) results.set(s.id, checkExpTable(s as never, ctx(s.id, 2 ** 40)));
    return { ctx: ctx('count', workLimit), data: () => cubicData(step, ctx('count', workLimit)) };
  };

  it('each coverage check can fail: a case missing, reported twice, or reported by another max', async () => {
    const { data } = await dataOf();
    const d = data();
    const pieces = d.groups.map((g) => ({ cases: g.items.map((c) => c.i) }));
    expect(sumCases(d, pieces, 'count')).toBeGreaterThan(0n);
    const doctored = (f: (p: { cases: number[] }[]) => void) => {
      const p = structuredClone(pieces);
      f(p);
      return () => sumCases(d, p, 'count');
    };
    expect(doctored((p) => p[0].cases.pop())).toThrow(/coverage: \d+ of \d+ cases verified/);
    expect(doctored((p) => p[1].cases.push(p[1].cases[0]))).toThrow(/coverage: case \d+ verified twice/);
    expect(doctored((p) => p[0].cases.push(p[1].cases.pop()!))).toThrow(/coverage: case \d+ is not one with max/);
    expect(doctored((p) => p.pop())).toThrow(/coverage: \d+ results for \d+ maxima/);
    // A group that lost a case in the data (the split is validated elsewhere): the total check still sees it.
    const short = { ...d, groups: d.groups.map((g, i) => (i === 0 ? { ...g, items: g.items.slice(1) } : g)) };
    expect(() => sumCases(short, short.groups.map((g) => checkMax(short, g.m, g.items, 'count', new Ops())), 'count'))
      .toThrow(/coverage: \d+ of \d+ cases verified/);
  });

  it('caseWork predicts the operations of every case it verifies; beyond the work limit it stops, not decided', async () => {
    const d = (await dataOf()).data();
    let predicted = 0;
    const withJoint = new Set<number>();
    for (const g of d.groups) {
      predicted += 2 * d.K * d.V + 3 * (g.m + 1) * d.V;
      for (const c of g.items) {
        const count = (hex?: string) => (hex === undefined ? 0 : [...BigInt(`0x${hex}`).toString(2)].filter((b) => b === '1').length);
        if (count(c.joint) > 0 && !withJoint.has(g.m)) predicted += 2 * d.K * d.V;
        if (count(c.joint) > 0) withJoint.add(g.m);
        predicted += caseWork(d.V, d.K, c.c, c.q === g.m, count(c.good), count(c.joint));
      }
    }
    const ops = new Ops();
    for (const g of d.groups) checkMax(d, g.m, g.items, 'count', ops);
    expect(ops.total()).toBe(String(predicted));
    const paths = pathWork(t.exact, 'EU') + pathWork(t.exact, 'EVOU') + pathWork(t.exact, 'PVOU');
    await expect((async () => (await dataOf(paths + predicted - 1)).data())()).rejects
      .toMatchObject({ undecided: true, message: expect.stringMatching(/a cubic count needs about .* above the work limit/) });
    expect((await dataOf(paths + predicted)).data().cases).toBe(step.cases.length);
  });

  it('the float screen decides nothing the exact sums would not: same verdicts, messages and operations without it', async () => {
    const d = (await dataOf()).data();
    // An EQKE table the screen cannot scale makes every case's screen NaN: every sum is then evaluated in BigInt.
    const exactOnly = { ...d, f: { ...d.f, eEu: d.f.eEu.map(() => Infinity) } };
    const run = (data: typeof d, m: number, item: (typeof d.groups)[number]['items'][number]) => {
      const ops = new Ops();
      try {
        return `${checkMax(data, m, [item], 'count', ops).cases.join()} ${ops.total()}`;
      } catch (e) {
        return `${(e as Error).message} ${ops.total()}`;
      }
    };
    // The screen is in use: rounded path tables pushed far down would make it confirm sums that are positive.
    const lying = { ...d, f: { ...d.f, EUu: d.f.EUu.map(() => -(2 ** 20)), EVu: d.f.EVu.map(() => -(2 ** 20)) } };
    let screenUsed = false;
    const outcomes = new Set<string>();
    for (const g of d.groups) {
      for (const item of g.items) {
        // The bound as given, and moved by small and large factors on either side of it.
        for (const [num, den] of [[1n, 1n], [1000001n, 1000000n], [999999n, 1000000n], [2n, 1n], [1n, 2n], [100n, 1n]]) {
          const it2 = { ...item, b: { p: item.b.p * num, q: item.b.q * den } };
          const screened = run(d, g.m, it2);
          expect(screened).toBe(run(exactOnly, g.m, it2));
          outcomes.add(screened.startsWith(String(item.i)) ? 'verified' : 'rejected');
          screenUsed ||= run(lying, g.m, it2) !== screened;
        }
      }
    }
    expect([...outcomes].sort()).toEqual(['rejected', 'verified']);
    expect(screenUsed).toBe(true);
  });

  it('reports progress once per max token on the single-threaded path', async () => {
    const seen: [number, number][] = [];
    const v = await checkCertificate(encode(cert), t.bytes, { progress: (done, total) => seen.push([done, total]) });
    expect(v.verified).toBe(true);
    const maxima = new Set(step.cases.map((c) => c.m)).size;
    expect(seen).toEqual(Array.from({ length: maxima }, (_, i) => [i + 1, maxima]));
  });
});
