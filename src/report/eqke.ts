/**
 * The EQKE picture a researcher looks at first (docs/paper.md §4, §5.3.3): the V×V query×key attention-score table
 * EQKE = (E + P[K−1]) W_Q W_K^T E^T, its best rank-1 approximation σ₁·u·vᵀ (top singular triple by power iteration
 * on EQKEᵀ·EQKE, float64; a picture, not a proof) and the residual EQKE − σ₁·u·vᵀ that the subcubic proofs must
 * bound as structureless error.
 */
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';

export interface Rank1 {
  V: number;
  eqke: Float64Array;
  sigma1: number;
  /** Left (query) and right (key) singular vectors. */
  u: Float64Array;
  v: Float64Array;
  approximation: Float64Array;
  residual: Float64Array;
  /** ‖EQKE‖_F, ‖residual‖_F, and the second singular value (an upper bound on the residual's spectral norm). */
  frobenius: number;
  residualFrobenius: number;
  sigma2: number;
}

function topSingular(A: Float64Array, rows: number, cols: number, deflate?: { sigma: number; u: Float64Array; v: Float64Array }): { sigma: number; u: Float64Array; v: Float64Array } {
  const at = (r: number, c: number) => A[r * cols + c] - (deflate ? deflate.sigma * deflate.u[r] * deflate.v[c] : 0);
  // Deterministic start: all ones plus a small ramp, so that it is not orthogonal to the top vector by accident.
  let v: Float64Array = new Float64Array(cols).map((_, i) => 1 + i / cols);
  let u: Float64Array = new Float64Array(rows);
  let sigma = 0;
  for (let iter = 0; iter < 500; iter++) {
    u = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += at(r, c) * v[c];
      u[r] = s;
    }
    const nu = Math.hypot(...u);
    if (nu === 0) return { sigma: 0, u, v };
    for (let r = 0; r < rows; r++) u[r] /= nu;
    const w = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[c] += at(r, c) * u[r];
    const nw = Math.hypot(...w);
    if (nw === 0) return { sigma: 0, u, v };
    for (let c = 0; c < cols; c++) w[c] /= nw;
    const converged = Math.abs(nw - sigma) <= 1e-12 * nw;
    sigma = nw;
    v = w;
    if (converged) break;
  }
  // Sign convention: the larger-magnitude component of u is positive (a picture should not flip between runs).
  let imax = 0;
  for (let r = 1; r < rows; r++) if (Math.abs(u[r]) > Math.abs(u[imax])) imax = r;
  if (u[imax] < 0) {
    u = u.map((x) => -x);
    v = v.map((x) => -x);
  }
  return { sigma, u, v };
}

export function eqkeRank1(model: Model): Rank1 {
  const V = model.config.vocab;
  const { EQKE } = pathTables(model);
  const top = topSingular(EQKE, V, V);
  const approximation = new Float64Array(V * V);
  const residual = new Float64Array(V * V);
  let fro = 0;
  let rfro = 0;
  for (let r = 0; r < V; r++) {
    for (let c = 0; c < V; c++) {
      const a = top.sigma * top.u[r] * top.v[c];
      approximation[r * V + c] = a;
      residual[r * V + c] = EQKE[r * V + c] - a;
      fro += EQKE[r * V + c] ** 2;
      rfro += residual[r * V + c] ** 2;
    }
  }
  const second = topSingular(EQKE, V, V, top);
  return { V, eqke: EQKE, sigma1: top.sigma, u: top.u, v: top.v, approximation, residual, frobenius: Math.sqrt(fro), residualFrobenius: Math.sqrt(rfro), sigma2: second.sigma };
}
