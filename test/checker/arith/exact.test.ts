import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitLength, ceilDiv, ceilShift, compareRational, decimalFloor, floorDiv, floorShift, parseNatural, parseRational, reduce,
} from '../../../checker/arith/exact.js';
import { MAX_NUMBER_CHARS } from '../../../checker/limits.js';

describe('parseRational', () => {
  it('reads decimals and fractions exactly', () => {
    expect(parseRational('-0.0123')).toEqual({ p: -123n, q: 10000n });
    expect(parseRational('-3/8')).toEqual({ p: -3n, q: 8n });
    expect(parseRational('0')).toEqual({ p: 0n, q: 1n });
    expect(parseRational('12.50')).toEqual({ p: 1250n, q: 100n });
  });

  it('refuses everything else', () => {
    for (const s of ['', '+1', '1e5', '01', '1.', '.5', '1/0', '1/-2', ' 1', '1 ', 'NaN', 'Infinity', '0x10', '1/02', '--1', '1.2.3', '١']) {
      expect(parseRational(s), s).toBeNull();
    }
    expect(parseRational('1'.repeat(MAX_NUMBER_CHARS + 1))).toBeNull();
    expect(parseRational('1'.repeat(MAX_NUMBER_CHARS))).not.toBeNull();
  });

  it('round-trips every bigint fraction', () => {
    fc.assert(fc.property(fc.bigInt(), fc.bigInt({ min: 1n, max: 10n ** 40n }), (p, q) => {
      const r = parseRational(`${p}/${q}`);
      expect(r).toEqual({ p, q });
      expect(compareRational(r!, { p, q })).toBe(0);
    }), { seed: 20261124 });
  });
});

describe('parseNatural', () => {
  it('reads non-negative integers only', () => {
    expect(parseNatural('0')).toBe(0n);
    expect(parseNatural('18446744073709551616')).toBe(2n ** 64n);
    for (const s of ['-1', '01', '1.0', '', '1/1', '+1']) expect(parseNatural(s), s).toBeNull();
  });
});

describe('directed rounding', () => {
  it('floorDiv / ceilDiv / shifts agree with the definition floor(a/b) ≤ a/b ≤ ceil(a/b)', () => {
    fc.assert(fc.property(fc.bigInt(), fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 0, max: 200 }), (a, b, s) => {
      const f = floorDiv(a, b);
      const c = ceilDiv(a, b);
      expect(f * b <= a && a < (f + 1n) * b).toBe(true);
      expect((c - 1n) * b < a && a <= c * b).toBe(true);
      expect(floorShift(a, s)).toBe(floorDiv(a, 1n << BigInt(s)));
      expect(ceilShift(a, s)).toBe(ceilDiv(a, 1n << BigInt(s)));
    }), { seed: 20261124 });
  });

  it('bitLength', () => {
    expect([0n, 1n, -1n, 255n, 256n, -(2n ** 100n)].map(bitLength)).toEqual([0, 1, 1, 8, 9, 101]);
  });
});

describe('printing', () => {
  it('reduced fractions and decimals rounded down', () => {
    expect(reduce({ p: 6n, q: 4n })).toEqual({ p: 3n, q: 2n });
    expect(reduce({ p: 0n, q: 4n })).toEqual({ p: 0n, q: 1n });
    expect(decimalFloor({ p: 2n, q: 3n }, 5)).toBe('0.66666');
    expect(decimalFloor({ p: 16769030n, q: 16777216n }, 10)).toBe('0.9995120763');
    expect(decimalFloor({ p: 1n, q: 1n }, 3)).toBe('1.000');
  });
});
