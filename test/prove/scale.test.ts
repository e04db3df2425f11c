import { describe, expect, it } from 'vitest';
import { invSqrtScaleStep, isqrt, rationalParts } from '../../src/prove/scale.js';

describe('inv-sqrt-scale step', () => {
  it('isqrt is the integer square root', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 40n, 10n ** 40n - 1n, 2n ** 127n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });

  it('brackets 1/sqrt(d) (checked by squaring) within 1e-40, exactly for perfect squares', () => {
    for (let d = 1; d <= 1024; d++) {
      const s = invSqrtScaleStep(d);
      const lo = rationalParts(s.lo);
      const hi = rationalParts(s.hi);
      const D = BigInt(d);
      expect(lo.p * lo.p * D <= lo.q * lo.q).toBe(true);
      expect(hi.p * hi.p * D >= hi.q * hi.q).toBe(true);
      // hi − lo ≤ 10^−40.
      expect((hi.p * lo.q - lo.p * hi.q) * 10n ** 40n <= lo.q * hi.q).toBe(true);
      if (Number.isInteger(Math.sqrt(d))) expect(s.lo).toBe(s.hi);
    }
    expect(invSqrtScaleStep(32).lo).toBe('0.1767766952966368811002110905262122598212');
    expect(invSqrtScaleStep(4)).toMatchObject({ lo: '1/2', hi: '1/2' });
    expect(invSqrtScaleStep(1)).toMatchObject({ lo: '1', hi: '1' });
  });
});
