/**
 * `exp-table` steps (SPEC §4.2) over EQKE (V×V) and EQKP (V×K): for each query row q the shift column σ_q is the
 * row's argmax, so every exponent δ = X[q,j] − X[q,σ_q] ≤ 0. δ is exact (from the prover's own exact path
 * matrices); e^{r·δ} is enclosed for every r in the scale step's [r_lo, r_hi] with the prover's own BigInt
 * fixed-point exp (halving, Taylor with an explicit remainder, squaring back, every rounding outward), and then
 * rounded outward to mantissas over 2^F with a safety margin, so that a checker evaluating e^z to a slightly
 * different precision still accepts: lo ≤ 2^F·e^{δ·r_hi} and hi ≥ 2^F·e^{δ·r_lo} with room to spare.
 */
import type { ExpTableStep, InvSqrtScaleStep } from './certificate.js';
import type { DyadicMatrix } from './exact.js';
import { rationalParts } from './scale.js';

/** Taylor argument after halving is ≤ 2^−HALVE. */
const HALVE = 6;
/** Extra relative margin (in bits below the value) added outside the enclosure, plus one unit. */
export const MARGIN_BITS = 48;

function bitLength(a: bigint): number {
  return a === 0n ? 0 : (a < 0n ? -a : a).toString(2).length;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  // a ≥ 0, b > 0
  return (a + b - 1n) / b;
}

/**
 * Integers [L, H] with L ≤ 2^P·e^y ≤ H for every y in [yLo, yHi], where yLo = aLo/den, yHi = aHi/den,
 * 0 ≤ aLo ≤ aHi, den > 0.
 */
export function expFixedEnclosure(aLo: bigint, aHi: bigint, den: bigint, P: number): { L: bigint; H: bigint } {
  const one = 1n << BigInt(P);
  if (aHi === 0n) return { L: one, H: one };
  const j = bitLength(ceilDiv(aHi, den)) + HALVE;
  // w·2^P = y·2^(P−j), lower end from yLo rounded down, upper end from yHi rounded up.
  const sh = P - j;
  const wLo = sh >= 0 ? (aLo << BigInt(sh)) / den : aLo / (den << BigInt(-sh));
  const wHi = sh >= 0 ? ceilDiv(aHi << BigInt(sh), den) : ceilDiv(aHi, den << BigInt(-sh));
  const bP = BigInt(P);
  let sLo = one;
  let sHi = one;
  let tLo = one;
  let tHi = one;
  let n = 0n;
  while (tHi > 1n) {
    n += 1n;
    tLo = ((tLo * wLo) >> bP) / n;
    tHi = ceilDiv(-(-(tHi * wHi) >> bP), n);
    sLo += tLo;
    sHi += tHi;
  }
  // Remainder of the series after the last term: ≤ 2·(last term) for w ≤ 1/2; plus 1 for the floor in tHi's chain.
  sHi += 2n * tHi + 1n;
  let L = sLo;
  let H = sHi;
  for (let i = 0; i < j; i++) {
    L = (L * L) >> bP;
    H = -(-(H * H) >> bP);
  }
  return { L, H };
}

export interface ExpTableResult {
  step: ExpTableStep;
  /** Row-major lo/hi as doubles (mantissa / 2^F), for the float search. */
  loF: Float64Array;
  hiF: Float64Array;
  /** Row-major mantissas. */
  loM: bigint[];
  hiM: bigint[];
}

/** Largest −δ·r over the table (r at its upper end), as a double: how far below the row maximum entries go. */
export function maxExponentMagnitude(X: DyadicMatrix, rHi: number): number {
  let worst = 0;
  for (let q = 0; q < X.rows; q++) {
    let mx = X.num[q * X.cols];
    let mn = mx;
    for (let j = 1; j < X.cols; j++) {
      const v = X.num[q * X.cols + j];
      if (v > mx) mx = v;
      if (v < mn) mn = v;
    }
    const d = mx - mn;
    const bits = bitLength(d);
    const drop = Math.max(0, bits - 60);
    worst = Math.max(worst, Number(d >> BigInt(drop)) * 2 ** (drop - X.shift) * rHi);
  }
  return worst;
}

/** Index of the first maximum of row q. */
export function rowArgmax(X: DyadicMatrix, q: number): number {
  let best = 0;
  for (let j = 1; j < X.cols; j++) if (X.num[q * X.cols + j] > X.num[q * X.cols + best]) best = j;
  return best;
}

export function expTable(X: DyadicMatrix, source: 'EQKE' | 'EQKP', scale: InvSqrtScaleStep, fracBits: number, id: string): ExpTableResult {
  const F = fracBits;
  const rLo = rationalParts(scale.lo);
  const rHi = rationalParts(scale.hi);
  // Common denominator for r: y = (−δnum)·r / 2^shift; with r = p/q, y·(q·2^shift) = (−δnum)·p.
  const qq = rLo.q * rHi.q;
  const pLo = rLo.p * rHi.q;
  const pHi = rHi.p * rLo.q;
  const den = qq << BigInt(X.shift);
  const shift: number[] = [];
  const lo: string[][] = [];
  const hi: string[][] = [];
  const loM: bigint[] = [];
  const hiM: bigint[] = [];
  const loF = new Float64Array(X.rows * X.cols);
  const hiF = new Float64Array(X.rows * X.cols);
  const unit = 2 ** -F;
  const oneF = 1n << BigInt(F);
  for (let q = 0; q < X.rows; q++) {
    const s = rowArgmax(X, q);
    shift.push(s);
    const top = X.num[q * X.cols + s];
    const rowLo: string[] = [];
    const rowHi: string[] = [];
    for (let j = 0; j < X.cols; j++) {
      const negDelta = top - X.num[q * X.cols + j]; // −δ·2^shift ≥ 0
      let l: bigint;
      let h: bigint;
      const aLo = negDelta * pLo;
      const aHi = negDelta * pHi;
      if (negDelta === 0n) {
        l = oneF;
        h = oneF;
      } else if (aLo > BigInt(F + 2) * den) {
        // y ≥ F + 2 over the whole range: 2^F·e^−y < 1, so [0, 1] encloses it (and no other lo is sound).
        l = 0n;
        h = 1n;
      } else {
        // e^{δr} = 1 / e^{y}, y = −δ·r ∈ [−δ·r_lo, −δ·r_hi]. Working precision: F bits plus the exponent's size.
        // When y_hi ≥ F + 2, lo = 0 is the only sound choice anyway; cap y_hi so e^y stays small.
        const cap = BigInt(F + 2) * den;
        const capped = aHi > cap;
        const yBits = bitLength(ceilDiv(capped ? cap : aHi, den));
        const P = F + 2 * yBits + MARGIN_BITS + 40;
        const { L, H } = expFixedEnclosure(aLo, capped ? cap : aHi, den, P);
        // 2^F·e^{−y} ∈ [2^(F+P)/H, 2^(F+P)/L]; widen by a relative 2^−MARGIN_BITS and one unit each way.
        const num = 1n << BigInt(F + P);
        const exLo = num / H;
        const exHi = ceilDiv(num, L);
        l = exLo - (exLo >> BigInt(MARGIN_BITS)) - 1n;
        h = exHi + (exHi >> BigInt(MARGIN_BITS)) + 1n;
        if (l < 0n || capped) l = 0n;
      }
      rowLo.push(l.toString());
      rowHi.push(h.toString());
      loM.push(l);
      hiM.push(h);
      loF[q * X.cols + j] = Number(l) * unit;
      hiF[q * X.cols + j] = Number(h) * unit;
    }
    lo.push(rowLo);
    hi.push(rowHi);
  }
  return { step: { id, kind: 'exp-table', scale: scale.id, source, fracBits: F, shift, lo, hi }, loF, hiF, loM, hiM };
}
