import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expFixed, guardedPrecision } from '../../../checker/arith/exp.js';
import { Ops } from '../../../checker/ops.js';

const D = Decimal.clone({ precision: 300 });
/** 2^P·e^(p/q) from decimal.js at 300 digits: a reference far finer than any enclosure tested here. */
const reference = (p: bigint, q: bigint, P: number) => new D(p.toString()).div(q.toString()).exp().mul(new D(2).pow(P));
const E = '2.718281828459045235360287471352662497757247093699959574966967627724076630353547594571382178525166427';

describe('expFixed', () => {
  it('encloses e exactly at y = 1 and is tight to the requested precision', () => {
    const P = 200;
    const { lo, hi } = expFixed({ p: 1n, q: 1n }, P, new Ops());
    const e = new D(E).mul(new D(2).pow(P));
    expect(new D(lo.toString()).lte(e) && new D(hi.toString()).gte(e)).toBe(true);
    // Relative width below 2^−180.
    expect(new D((hi - lo).toString()).div(lo.toString()).lt(new D(2).pow(-180))).toBe(true);
  });

  it('is exact at y = 0', () => {
    expect(expFixed({ p: 0n, q: 7n }, 64, new Ops())).toEqual({ lo: 1n << 64n, hi: 1n << 64n });
  });

  it('encloses e^y for random rationals y ≥ 0, with relative width within the guarded precision', () => {
    fc.assert(
      // y = p/q ∈ [0, 300]: the range the exp-table rule evaluates (it caps y at F + 1 ≤ 257).
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 300n * 10n ** 6n }), fc.integer({ min: 1, max: 160 }), (q, r, acc) => {
        const p = (r * q) / 10n ** 6n;
        const y = { p, q };
        const P = guardedPrecision(y, acc);
        const { lo, hi } = expFixed(y, P, new Ops());
        const ref = reference(p, q, P);
        expect(new D(lo.toString()).lte(ref)).toBe(true);
        expect(new D(hi.toString()).gte(ref)).toBe(true);
        expect(new D((hi - lo).toString()).div(lo.toString()).lte(new D(2).pow(-acc))).toBe(true);
      }),
      { numRuns: 300, seed: 20261124 },
    );
  });

  it('counts its operations', () => {
    const ops = new Ops();
    expFixed({ p: 3n, q: 2n }, 100, ops);
    expect(Number(ops.total())).toBeGreaterThan(20);
  });

  it('refuses a negative argument', () => {
    expect(() => expFixed({ p: -1n, q: 1n }, 10, new Ops())).toThrow(RangeError);
  });
});
