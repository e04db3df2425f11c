/**
 * Bounds on e^y for a rational y ≥ 0, using only +, −, ×, comparisons and explicit floor/ceil of exact integer
 * quotients (never Math.exp or a library exp).
 *
 * expBound(y, P, up) returns an integer below 2^P·e^y (up = false) or above it (up = true). Every caller needs one
 * side only, so only that side is computed. Method, all in fixed point with P fraction bits:
 *  1. Halve: w = y / 2^j with j chosen so that w ≤ 2^−H ≤ 1/2; w is rounded down (below) or up (above).
 *  2. Taylor: e^w ≥ Σ_{n<N} w^n/n! (all terms positive), and for 0 ≤ w ≤ 1/2,
 *     e^w ≤ Σ_{n<N} w^n/n! + 2·w^N/N!, since Σ_{n≥N} w^n/n! ≤ (w^N/N!)·Σ_i (w/(N+1))^i ≤ (w^N/N!)·1/(1−w).
 *     Each term is computed from the previous one as T_n = T_{n−1}·w/n, rounded down (below) or up (above); N is
 *     the first n with T_n ≤ 1 ulp, so the remainder stays within 2 ulps (or 2(N + 1) ulps of the exact terms
 *     below, each floor losing under one ulp).
 *  3. Square back j times (e^{2w} = (e^w)^2), rounding down (below) or up (above).
 * Every rounding is outward, so the result bounds the exact value on its side. The relative error is about
 * 2^j·(3N + 4)·2^−P; callers choose P accordingly (see guardedPrecision).
 */
import type { Ops } from '../ops.js';
import type { Rational } from './exact.js';
import { bitLength, ceilDiv, ceilShift, floorDiv, floorShift } from './exact.js';

/** After halving, w ≤ 2^−HALVING_MARGIN: the Taylor series then gains ≥ 6 bits a term. */
const HALVING_MARGIN = 6;

/** Halvings used for y: enough that y / 2^j ≤ 2^−HALVING_MARGIN. */
function halvings(y: Rational): number {
  return bitLength(ceilDiv(y.p, y.q)) + HALVING_MARGIN;
}

/** Fraction bits to evaluate e^y with so that the enclosure's relative width is below 2^−accuracyBits. */
export function guardedPrecision(y: Rational, accuracyBits: number): number {
  // 2^j·(3N + 4)·2^−P ≤ 2^−accuracyBits with 3N + 4 ≤ 3(P / HALVING_MARGIN + 1) + 4 ≤ 2^10 for P below 1500.
  return accuracyBits + halvings(y) + 10;
}

/** An integer below (up = false) or above (up = true) 2^P·e^y, for rational y = p/q ≥ 0 and P ≥ 1. */
export function expBound(y: Rational, P: number, up: boolean, ops: Ops): bigint {
  if (y.p < 0n || y.q <= 0n || P < 1) throw new RangeError('expBound needs y ≥ 0 and P ≥ 1');
  const one = 1n << BigInt(P);
  if (y.p === 0n) return one;
  const j = halvings(y);
  // w·2^P = y·2^(P−j) = p·2^(P−j) / q.
  const num = P >= j ? y.p << BigInt(P - j) : y.p;
  const den = P >= j ? y.q : y.q << BigInt(j - P);
  const w = up ? ceilDiv(num, den) : floorDiv(num, den);
  // The Taylor sum, then squared j times.
  let sum = one;
  let term = one;
  let n = 0n;
  ops.add(2);
  // Terms decrease (w < 1 ≤ n), so the loop ends once the term is ≤ 1 ulp; the remainder is then ≤ 2 ulps.
  while (term > 1n) {
    n += 1n;
    term = up ? ceilDiv(ceilShift(term * w, P), n) : floorShift(term * w, P) / n;
    sum += term;
    ops.add(4);
  }
  if (up) sum += 2n * term;
  for (let i = 0; i < j; i++) {
    sum = up ? ceilShift(sum * sum, P) : floorShift(sum * sum, P);
    ops.add(2);
  }
  return sum;
}
