/**
 * Enclosures of e^y for a rational y ≥ 0, using only +, −, ×, comparisons and explicit floor/ceil of exact integer
 * quotients (never Math.exp or a library exp).
 *
 * expFixed(y, P) returns integers [lo, hi] with lo ≤ 2^P·e^y ≤ hi. Method, all in fixed point with P fraction bits:
 *  1. Halve: w = y / 2^j with j chosen so that w ≤ 2^−H ≤ 1/2; w is rounded down for lo and up for hi.
 *  2. Taylor: e^w ≥ Σ_{n<N} w^n/n! (all terms positive), and for 0 ≤ w ≤ 1/2,
 *     e^w ≤ Σ_{n<N} w^n/n! + 2·w^N/N!, since Σ_{n≥N} w^n/n! ≤ (w^N/N!)·Σ_i (w/(N+1))^i ≤ (w^N/N!)·1/(1−w).
 *     Each term is computed from the previous one as T_n = T_{n−1}·w/n, rounded down (lo) or up (hi); N is the
 *     first n with T_n ≤ 1 ulp, so the remainder stays within 2 ulps.
 *  3. Square back j times (e^{2w} = (e^w)^2), rounding down (lo) or up (hi).
 * Every rounding is outward, so lo and hi enclose the exact value. The relative width is about
 * 2^j·(N + 4)·2^−P; callers choose P accordingly (see guardedPrecision).
 */
import type { Ops } from '../ops.js';
import type { Rational } from './exact.js';
import { bitLength, ceilDiv, ceilShift, floorDiv, floorShift } from './exact.js';

/** After halving, w ≤ 2^−HALVING_MARGIN: the Taylor series then gains ≥ 6 bits a term. */
const HALVING_MARGIN = 6;

export interface FixedEnclosure {
  lo: bigint;
  hi: bigint;
}

/** Halvings used for y: enough that y / 2^j ≤ 2^−HALVING_MARGIN. */
function halvings(y: Rational): number {
  return bitLength(ceilDiv(y.p, y.q)) + HALVING_MARGIN;
}

/** Fraction bits to evaluate e^y with so that the enclosure's relative width is below 2^−accuracyBits. */
export function guardedPrecision(y: Rational, accuracyBits: number): number {
  // 2^j·(N + 4)·2^−P ≤ 2^−accuracyBits with N ≤ P / HALVING_MARGIN + 1 ≤ 2^8 for P below 1500.
  return accuracyBits + halvings(y) + 10;
}

/** [lo, hi] with lo ≤ 2^P·e^y ≤ hi, for rational y = p/q ≥ 0 and P ≥ 1. */
export function expFixed(y: Rational, P: number, ops: Ops): FixedEnclosure {
  if (y.p < 0n || y.q <= 0n || P < 1) throw new RangeError('expFixed needs y ≥ 0 and P ≥ 1');
  const one = 1n << BigInt(P);
  if (y.p === 0n) return { lo: one, hi: one };
  const j = halvings(y);
  // w·2^P = y·2^(P−j) = p·2^(P−j) / q.
  const num = P >= j ? y.p << BigInt(P - j) : y.p;
  const den = P >= j ? y.q : y.q << BigInt(j - P);
  const wLo = floorDiv(num, den);
  const wHi = ceilDiv(num, den);
  // lo, hi: the Taylor sums, then squared j times.
  let lo = one;
  let hi = one;
  let tLo = one;
  let tHi = one;
  let n = 0n;
  ops.add(4);
  // Terms decrease (w < 1 ≤ n), so the loop ends once the upper term is ≤ 1 ulp; the remainder is then ≤ 2 ulps.
  while (tHi > 1n) {
    n += 1n;
    tLo = floorShift(tLo * wLo, P) / n;
    tHi = ceilDiv(ceilShift(tHi * wHi, P), n);
    lo += tLo;
    hi += tHi;
    ops.add(8);
  }
  hi += 2n * tHi;
  for (let i = 0; i < j; i++) {
    lo = floorShift(lo * lo, P);
    hi = ceilShift(hi * hi, P);
    ops.add(4);
  }
  return { lo, hi };
}
