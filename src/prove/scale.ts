/**
 * The `inv-sqrt-scale` step (SPEC §4.1): rationals lo ≤ 1/sqrt(d_head) ≤ hi. When d_head is a perfect square s², the
 * exact value 1/s is given as a fraction (lo = hi); otherwise DIGITS-digit decimals rounded outward, verified here
 * with BigInt squaring (lo²·d ≤ 1 ≤ hi²·d) before they are emitted.
 */
import type { InvSqrtScaleStep } from './certificate.js';

const DIGITS = 40;

/** floor(sqrt(n)) for n ≥ 0 (Newton on BigInt). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

function decimalString(n: bigint, digits: number): string {
  const s = n.toString().padStart(digits + 1, '0');
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/** Parses the decimals and fractions this module writes, as p/q. */
export function rationalParts(s: string): { p: bigint; q: bigint } {
  const f = /^(-?\d+)\/(\d+)$/.exec(s);
  if (f) return { p: BigInt(f[1]), q: BigInt(f[2]) };
  const d = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!d) throw new RangeError(`not a rational: ${s}`);
  const frac = d[3] ?? '';
  const p = BigInt(d[2] + frac);
  return { p: d[1] ? -p : p, q: 10n ** BigInt(frac.length) };
}

export function invSqrtScaleStep(dHead: number, id = 'scale'): InvSqrtScaleStep {
  if (!Number.isSafeInteger(dHead) || dHead < 1) throw new RangeError(`d_head must be a positive integer (got ${dHead})`);
  const d = BigInt(dHead);
  const s = isqrt(d);
  if (s * s === d) {
    const exact = s === 1n ? '1' : `1/${s}`;
    return { id, kind: 'inv-sqrt-scale', dHead, lo: exact, hi: exact };
  }
  // 1/sqrt(d) = sqrt(10^(2D) / d) / 10^D: lo from the integer square root of floor(10^(2D)/d), hi one unit above.
  const ten = 10n ** BigInt(2 * DIGITS);
  const lo = isqrt(ten / d);
  const hi = lo + 1n;
  // lo²·d ≤ 1 ≤ hi²·d, scaled by 10^(2D).
  if (!(lo * lo * d <= ten && hi * hi * d >= ten)) throw new Error('inv-sqrt-scale: enclosure check failed');
  return { id, kind: 'inv-sqrt-scale', dHead, lo: decimalString(lo, DIGITS), hi: decimalString(hi, DIGITS) };
}
