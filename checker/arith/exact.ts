/**
 * Exact arithmetic: native BigInt integers, dyadic numbers (BigInt numerator over 2^e, e ≥ 0) for model-derived
 * values, and rationals (BigInt p/q, q > 0) for the certificate's numbers. Nothing here rounds except the explicit
 * floor/ceil helpers, which are directed roundings of exact integer quotients.
 */
import { MAX_NUMBER_CHARS } from '../limits.js';

/** A dyadic scalar n/2^e (e ≥ 0): exact model-derived values (the rules' scalars, the exp grid's points). */
export interface Dy {
  n: bigint;
  e: number;
}

export interface Rational {
  /** Numerator. */
  p: bigint;
  /** Denominator, > 0. */
  q: bigint;
}

/** sign, integer part, then decimal digits or a denominator: `-0.0123`, `-3/8`, `7`. */
const RATIONAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+)|\/([1-9][0-9]*))?$/;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** Parses a rational string (`"-0.0123"` or `"-3/8"`); returns null when it is not one or is too long. */
export function parseRational(s: string): Rational | null {
  const m = s.length <= MAX_NUMBER_CHARS ? RATIONAL.exec(s) : null;
  if (!m) return null;
  // Groups read by index: array destructuring goes through the iterator protocol, slow in code not yet optimised.
  const frac = m[3] ?? '';
  const p = BigInt(m[2] + frac);
  return { p: m[1] ? -p : p, q: m[4] ? BigInt(m[4]) : 10n ** BigInt(frac.length) };
}

/** Parses a decimal integer string (optional −, no leading zeros); null when it is not one or is too long. */
export function parseInteger(s: string): bigint | null {
  return s.length <= MAX_NUMBER_CHARS && INTEGER.test(s) ? BigInt(s) : null;
}

/** Parses a non-negative decimal integer string (no sign, no leading zeros); null when it is not one or too long. */
export const parseNatural = (s: string): bigint | null => (s.startsWith('-') ? null : parseInteger(s));

/** Sign of a − b: −1, 0 or 1. */
export function compareRational(a: Rational, b: Rational): number {
  const d = a.p * b.q - b.p * a.q;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function gcd(a: bigint, b: bigint): bigint {
  [a, b] = [abs(a), abs(b)];
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function reduce(r: Rational): Rational {
  const g = gcd(r.p, r.q);
  return g > 1n ? { p: r.p / g, q: r.q / g } : r;
}

/** floor(a / b) for b > 0 (BigInt `/` truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const t = a / b;
  return a < 0n && t * b !== a ? t - 1n : t;
}

/** ceil(a / b) for b > 0. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const t = a / b;
  return a > 0n && t * b !== a ? t + 1n : t;
}

/** floor(a / 2^s) for s ≥ 0 (`>>` on BigInt rounds toward −∞). */
export function floorShift(a: bigint, s: number): bigint {
  return a >> BigInt(s);
}

/** ceil(a / 2^s) for s ≥ 0. */
export function ceilShift(a: bigint, s: number): bigint {
  return -(-a >> BigInt(s));
}

/** Number of bits of |a| (0 for 0). */
export function bitLength(a: bigint): number {
  return a === 0n ? 0 : abs(a).toString(2).length;
}

export function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

/** floor(√n) for n ≥ 0, by Newton's iteration from above (it decreases strictly until it reaches floor(√n)). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (let y = (x + n / x) >> 1n; y < x; y = (x + n / x) >> 1n) x = y;
  return x;
}

/** C(n, k), exactly (each partial product C(n, i+1)·(i+1)! / i! is divisible by i + 1). */
export function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Decimal expansion of p/q (p ≥ 0, q > 0, places ≥ 1) rounded down to `places` digits after the point. */
export function decimalFloor(r: Rational, places: number): string {
  const digits = ((r.p * 10n ** BigInt(places)) / r.q).toString().padStart(places + 1, '0');
  return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}
