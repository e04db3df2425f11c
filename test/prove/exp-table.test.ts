import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFloats } from '../../src/prove/exact.js';
import { expFixedEnclosure, expTable } from '../../src/prove/exp-table.js';
import { invSqrtScaleStep } from '../../src/prove/scale.js';

describe('exp enclosures', () => {
  it('expFixedEnclosure brackets e^y and is tight to the working precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 38 }), fc.integer({ min: 0, max: 2 ** 20 }), (a, extra) => {
        const den = 2n ** 30n;
        const aLo = BigInt(a);
        const aHi = aLo + BigInt(extra);
        const P = 80;
        const { L, H } = expFixedEnclosure(aLo, aHi, den, P);
        const yLo = a / 2 ** 30;
        const yHi = (a + extra) / 2 ** 30;
        const scale = 2 ** P;
        // Compare in floats with a relative slack far above double rounding.
        expect(Number(L) / scale).toBeLessThanOrEqual(Math.exp(yLo) * (1 + 1e-12));
        expect(Number(H) / scale).toBeGreaterThanOrEqual(Math.exp(yHi) * (1 - 1e-12));
        if (extra === 0) expect(Number(H - L) / Number(L)).toBeLessThan(2 ** -60);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('tables: shift is the row argmax, e^0 is exact, lo ≤ truth ≤ hi with a tight width, tiny values give [0, 1]', () => {
    const X = fromFloats([0, -1, -2.5, 3, -50, 0.25, -1e6, 7], 2, 4);
    const scale = invSqrtScaleStep(32);
    const t = expTable(X, 'EQKE', scale, 64, 'e');
    expect(t.step.shift).toEqual([3, 3]);
    const one = 2n ** 64n;
    expect(t.loM[3]).toBe(one);
    expect(t.hiM[3]).toBe(one);
    const r = 1 / Math.sqrt(32);
    const rows = [[0, -1, -2.5, 3], [-50, 0.25, -1e6, 7]];
    for (let q = 0; q < 2; q++) {
      for (let j = 0; j < 4; j++) {
        const truth = Math.exp(r * (rows[q][j] - Math.max(...rows[q])));
        const i = q * 4 + j;
        expect(t.loF[i]).toBeLessThanOrEqual(truth * (1 + 1e-15));
        expect(t.hiF[i]).toBeGreaterThanOrEqual(truth * (1 - 1e-15));
        if (truth > 1e-3) expect((t.hiF[i] - t.loF[i]) / truth).toBeLessThan(1e-13);
      }
    }
    // e^(−(1e6 + 7)/sqrt(32)) is far below 2^−64.
    expect(t.loM[6]).toBe(0n);
    expect(t.hiM[6]).toBe(1n);
  });
});
