/**
 * Exact helpers of the subcubic-count rule (SPEC §4.6): scalars n/2^e, and matrix operations over model.ts's Mat
 * (entry (r, c) = num[r·cols + c]/2^exp). Every operation is exact; each matrix operation counts its work in ops.
 */
import type { Dy } from '../arith/exact.js';
import { constant, lin, matmul, repeatRow, type Mat } from '../model.js';
import type { Ops } from '../ops.js';

export const ZERO: Dy = { n: 0n, e: 0 };
export const ONE: Dy = { n: 1n, e: 0 };
const up = (a: Dy, e: number): bigint => a.n << BigInt(e - a.e);
export const add = (a: Dy, b: Dy): Dy => { const e = Math.max(a.e, b.e); return { n: up(a, e) + up(b, e), e }; };
export const sub = (a: Dy, b: Dy): Dy => add(a, { n: -b.n, e: b.e });
export const mul = (a: Dy, b: Dy): Dy => ({ n: a.n * b.n, e: a.e + b.e });
export const max = (a: Dy, b: Dy): Dy => (sub(a, b).n >= 0n ? a : b);
export const min = (a: Dy, b: Dy): Dy => (sub(a, b).n <= 0n ? a : b);
/** Entry i of A (row-major) as a scalar. */
export const at = (A: Mat, i: number): Dy => ({ n: A.num[i], e: A.exp });

/** The column of row ranges (max − min of each row). */
export function rowRange(A: Mat, ops: Ops): Mat {
  const out: bigint[] = [];
  for (let r = 0; r < A.rows; r++) {
    const row = A.num.slice(r * A.cols, (r + 1) * A.cols);
    out.push(row.reduce((x, y) => (y > x ? y : x)) - row.reduce((x, y) => (y < x ? y : x)));
  }
  ops.add(2 * A.num.length);
  return { rows: A.rows, cols: 1, exp: A.exp, num: out };
}

/**
 * A bound on the row ranges of X·Y: rangeMu + Σ_l |X[r,l] − μ_l|·bY[l], where bY bounds Y's row ranges and rangeMu is
 * the range of μ·Y (range is a seminorm: X·Y = 1·(μ·Y) + (X − 1·μ)·Y row by row).
 */
export function spread(X: Mat, bY: Mat, mu: Mat | null, rangeMu: Dy, ops: Ops): Mat {
  const D = mu ? lin(X, repeatRow(mu, 0, X.rows), -1n, ops) : X;
  const P = matmul({ ...D, num: D.num.map((x) => (x < 0n ? -x : x)) }, bY, ops);
  return lin(P, constant(P.rows, P.cols, rangeMu), 1n, ops);
}
