/**
 * Shared pieces of the table-based strategies: the scale step, exact exp tables over EQKE and EQKP, and the
 * pessimistic weighted average the checker's multiplied-through tests amount to.
 */
import type { Model } from '../model/model.js';
import type { InvSqrtScaleStep } from './certificate.js';
import { exactQK, type ExactQK } from './exact.js';
import { expTable, maxExponentMagnitude, type ExpTableResult } from './exp-table.js';
import { invSqrtScaleStep } from './scale.js';

export interface AttentionTables {
  scale: InvSqrtScaleStep;
  qk: ExactQK;
  expE: ExpTableResult;
  expP: ExpTableResult;
}

export function attentionTables(model: Model, fracBits: number | ((qk: ExactQK, rHi: number) => number)): AttentionTables {
  const scale = invSqrtScaleStep(model.config.dHead, 'scale');
  const qk = exactQK(model);
  const rHi = 1 / Math.sqrt(model.config.dHead);
  const F = typeof fracBits === 'number' ? fracBits : fracBits(qk, rHi);
  return {
    scale,
    qk,
    expE: expTable(qk.EQKE, 'EQKE', scale, F, 'expE'),
    expP: expTable(qk.EQKP, 'EQKP', scale, F, 'expP'),
  };
}

/**
 * Fraction bits so that the smallest entry of either table keeps about `significantBits` significant bits:
 * `significantBits` plus the largest exponent magnitude in bits, at least `minBits`, at most `maxBits`.
 */
export function adaptiveFracBits(qk: ExactQK, rHi: number, significantBits: number, minBits: number, maxBits: number): number {
  const worst = Math.max(maxExponentMagnitude(qk.EQKE, rHi), maxExponentMagnitude(qk.EQKP, rHi));
  return Math.min(maxBits, Math.max(minBits, significantBits + Math.ceil(worst / Math.LN2) + 2));
}

/**
 * max over w ∈ [lo, hi] (componentwise) of Σ w_i c_i / Σ w_i, for n slots. This is the smallest b with
 * Σ w_sel·(c_i − b) ≤ 0 when each w_sel is hi where c_i − b ≥ 0 and lo otherwise (the checker's test), since a
 * linear-fractional function's maximum over a box is at a vertex that gives hi to the larger coefficients.
 * `order` is scratch of length ≥ n.
 */
export function pessimisticAverage(c: Float64Array, lo: Float64Array, hi: Float64Array, n: number, order: Int32Array): number {
  for (let i = 0; i < n; i++) order[i] = i;
  // Insertion sort by c, descending (n is tiny).
  for (let i = 1; i < n; i++) {
    const v = order[i];
    let j = i - 1;
    while (j >= 0 && c[order[j]] < c[v]) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = v;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += lo[i] * c[i];
    den += lo[i];
  }
  let best = den > 0 ? num / den : -Infinity;
  for (let t = 0; t < n; t++) {
    const i = order[t];
    num += (hi[i] - lo[i]) * c[i];
    den += hi[i] - lo[i];
    if (den > 0) {
      const v = num / den;
      if (v > best) best = v;
    }
  }
  return best;
}
