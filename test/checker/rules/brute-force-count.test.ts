import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import { logitPaths } from '../../../checker/model.js';
import { FLOAT_OPS_PER_WORK } from '../../../checker/limits.js';
import type { StepContext } from '../../../checker/context.js';
import { Ops } from '../../../checker/ops.js';
import { bruteForceData, bruteForceWork, checkVisited, countMax, coverage, type BruteForceData } from '../../../checker/rules/brute-force-count.js';
import { solverModel } from '../../model/random-model.js';
import { bruteForceCertificate, encode, expTableStep, floatCounts, tiny, tinyModel, type Tiny } from '../helpers.js';

/** The rule of SPEC §4.4 evaluated directly in BigInt on every sequence: the reference for the fast path. */
function referenceCount(t: Tiny): bigint {
  const { k: K, vocab: V } = t.exact;
  const { EU, EVOU, PVOU } = logitPaths(t.exact);
  const [eE, eP] = [expTableStep(t, 'EQKE', 'expE'), expTableStep(t, 'EQKP', 'expP')];
  let count = 0n;
  for (let i = 0; i < V ** K; i++) {
    const tok = Array.from({ length: K }, (_, p) => Math.floor(i / V ** p) % V);
    const q = tok[K - 1];
    const m = Math.max(...tok);
    let ok = true;
    for (let x = 0; x < V && ok; x++) {
      if (x === m) continue;
      let T = 0n;
      for (let p = 0; p < K; p++) {
        const C = EU[q * V + x] - EU[q * V + m] + EVOU[tok[p] * V + x] - EVOU[tok[p] * V + m] + PVOU[p * V + x] - PVOU[p * V + m];
        const end = C >= 0n ? 'hi' : 'lo';
        T += C * BigInt(eE[end][q][tok[p]]) * BigInt(eP[end][q][p]);
      }
      ok = T < 0n;
    }
    if (ok) count++;
  }
  return count;
}

describe('brute-force-count', () => {
  const models = [
    ['solver', 3, 4, 1], ['solver', 3, 5, 2], ['solver', 2, 5, 3], ['random', 3, 4, 4], ['random', 2, 3, 5],
    ['random', 3, 5, 6], ['solver', 4, 3, 7],
  ] as const;
  for (const [kind, k, vocab, seed] of models) {
    it(`counts what an exhaustive float evaluation counts (${kind}, K=${k}, V=${vocab}, seed ${seed})`, async () => {
      const t = tinyModel(kind, k, vocab, seed);
      const { sure, possible } = floatCounts(t);
      const v = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
      if (!v.verified) throw new Error(v.error.message);
      const counted = Number(v.counted);
      // Enclosures of relative width ~1e-9 lose only sequences whose margin is that close to 0.
      expect(counted).toBeGreaterThanOrEqual(sure);
      expect(counted).toBeLessThanOrEqual(possible);
    });
  }

  it('decides near-ties exactly: output 1 differs from output 2 by a few float32 ulps in W_U', async () => {
    for (const seed of [1, 2, 3]) {
      const m = solverModel(3, 4, seed);
      for (let i = 0; i < 4; i++) {
        m.WU[i * 4 + 1] = m.WU[i * 4 + 2];
      }
      // Nudge by one ulp in the last bit: logits of 1 and 2 then differ by a relative ~1e-7, below the fast path's grain.
      const bits = new Uint32Array(m.WU.buffer, m.WU.byteOffset, m.WU.length);
      bits[seed % 4 * 4 + 1] += seed === 2 ? -1 : 1;
      const t = tiny(m);
      const v = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
      expect(v.verified ? v.counted : v.error).toBe(referenceCount(t).toString());
    }
  });

  it('agrees with the BigInt reference on random tiny models', async () => {
    for (const [kind, k, vocab, seed] of models) {
      const t = tinyModel(kind, k, vocab, seed);
      const v = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
      expect(v.verified ? v.counted : v.error).toBe(referenceCount(t).toString());
    }
  });

  it('verifies a claim of exactly the count, rejects one more', async () => {
    const t = tinyModel('solver', 3, 5, 2);
    const first = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
    if (!first.verified) throw new Error(first.error.message);
    const n = BigInt(first.counted);
    expect((await checkCertificate(encode(bruteForceCertificate(t, n)), t.bytes)).verified).toBe(true);
    const over = await checkCertificate(encode(bruteForceCertificate(t, n + 1n)), t.bytes);
    expect(over.verified ? 'verified' : over.error).toMatchObject({ step: 'count', rule: 'count' });
  });

  it('counts nothing with uninformative but valid tables (hi = 2^F, lo = 0 off the shift column)', async () => {
    const t = tinyModel('solver', 3, 4, 1);
    const cert = bruteForceCertificate(t, 0n);
    const steps = cert.evidence.steps as { lo?: string[][]; hi?: string[][]; shift?: number[] }[];
    for (const s of steps.slice(1, 3)) {
      s.lo = s.lo!.map((row, q) => row.map((x, j) => (j === s.shift![q] ? x : '0')));
      s.hi = s.hi!.map((row) => row.map(() => (2n ** 40n).toString()));
    }
    const v = await checkCertificate(encode(cert), t.bytes);
    if (!v.verified) throw new Error(v.error.message);
    const tight = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
    expect(BigInt(v.counted)).toBeLessThanOrEqual(BigInt(tight.verified ? tight.counted : -1));
  });
});

describe('brute-force-count: coverage, work bound and progress', () => {
  it('each coverage check can fail: a (m, q) visiting a wrong number of sequences, a total other than V^K', () => {
    expect(() => checkVisited(3, 1, 4, 4 ** 3 - 3 ** 3, 'count')).not.toThrow();
    expect(() => checkVisited(3, 1, 4, 4 ** 3 - 3 ** 3 - 1, 'count')).toThrow(/coverage: \(m=3, q=1\) visited 36 sequences, expected 37/);
    expect(() => checkVisited(3, 3, 4, 4 ** 3 + 1, 'count')).toThrow(/coverage/);
    expect(() => coverage(125n, { V: 5, K: 3 }, 'count')).not.toThrow();
    expect(() => coverage(124n, { V: 5, K: 3 }, 'count')).toThrow(/coverage: visited 124 sequences, expected V\^K = 125/);
  });

  it('reports progress once per max token on the single-threaded path', async () => {
    const t = tinyModel('solver', 3, 5, 2);
    const seen: [number, number][] = [];
    const v = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes, { progress: (done, total) => seen.push([done, total]) });
    expect(v.verified).toBe(true);
    // Progress once per max token, single-threaded too.
    expect(seen).toEqual(Array.from({ length: 5 }, (_, i) => [i + 1, 5]));
  });

  it(`bounds its float path by bruteForceWork, and stops not decided beyond the work limit (float operations at 1/${FLOAT_OPS_PER_WORK}) before building tables`, async () => {
    for (const [kind, k, vocab, seed] of [['solver', 3, 5, 2], ['random', 3, 4, 4], ['solver', 4, 3, 7], ['random', 2, 3, 5]] as const) {
      const t = tinyModel(kind, k, vocab, seed);
      const work = bruteForceWork(t.exact);
      const v = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
      // The whole run's operations: the count's (at most `work`, as no sequence of these needs the slow path) plus
      // the earlier steps' (the scale and two exp tables, under 10^5 here).
      expect(Number(v.checkerOps)).toBeLessThanOrEqual(work + 1e5);
      const ctx = {
        model: t.exact, ops: new Ops(), step: 'count', work: { limit: Math.ceil(work / FLOAT_OPS_PER_WORK) - 1, used: 0 },
        resolve: (_f: string, _id: string, kind: string) => ({ source: kind === 'exp-table' && _f === 'expE' ? 'EQKE' : 'EQKP', lo: [], hi: [] }),
      } as unknown as StepContext;
      expect(() => bruteForceData({ id: 'count', kind: 'brute-force-count', expE: 'e', expP: 'p' }, ctx))
        .toThrow(expect.objectContaining({ undecided: true, message: expect.stringMatching(new RegExp(`brute-force count \\(float64 operations weighed at 1/${FLOAT_OPS_PER_WORK}\\) needs about .*: above the work limit`)) }));
    }
  });

  it('gives every max, beyond its proportional share of the slow-path budget L, two fallbacks a sequence up to L/V', () => {
    // V = K = 2 with every path zero: each sequence ties (T_x = 0), so the float bracket never decides and each
    // sequence takes the exact fallback for its one other output (6K = 12 operations). With L = 16, max 0 (1 of 4
    // sequences) gets ⌊16/4⌋ + min(8, 24) = 12 and decides; max 1 (3 sequences, 36 operations) gets 12 + min(8, 72) =
    // 20 and stops, not decided.
    const zeros = (n: number) => new Array<bigint>(n).fill(0n);
    const d: BruteForceData = { V: 2, K: 2, CB: 25, WB: 26, EU: zeros(4), EVOU: zeros(4), PVOU: zeros(4), wHi: new Array(8).fill(1n), wLo: new Array(8).fill(1n), slowBudget: 16, margin: 0n };
    expect(countMax(d, 0, 'count', new Ops())).toEqual({ good: 0n, visited: 1n });
    expect(() => countMax(d, 1, 'count', new Ops()))
      .toThrow(expect.objectContaining({ undecided: true, message: expect.stringMatching(/exact fallback for max 1 needs more than its share 20/) }));
  });
});
