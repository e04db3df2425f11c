/**
 * The reference implementation's subcubic bound, reproduced in float64 for comparison only (docs/paper.md §5.3, §8): its
 * gap search (one uniform gap at a time), Δ_lo/Δ_hi, softmaxed extreme attention with sorted positional offsets,
 * ā = mean over valid queries, W from the smallest gap over queries, the `(a_q − ā)·(R* − W)` step, the exact direct
 * row for c = 0 and the m−g count. mechcert never certifies this form: it exists so that tests can show where it
 * over-claims. Returns the claimed cases and the count.
 */
import type { Model } from '../../model/model.js';
import { pathTables } from '../../model/paths.js';
import { decompose } from './prove.js';
import type { Variant } from './variants.js';

export interface ReferenceCase { q: number; m: number; c: number; g: number }

export interface ReferenceResult {
  cases: ReferenceCase[];
  /** Σ over cases of C(K−1, c')·(m−g)^{c'} (the reference's count). */
  count: number;
  /** The same cases counted with m−g+1 tokens. */
  countPlusOne: number;
}

const binom = (n: number, r: number): number => { let b = 1; for (let i = 0; i < r; i++) b = (b * (n - i)) / (i + 1); return b; };

/** `oneSided`: replace only the `(a_q − ā)·(R* − W)` step by its sound form ((a_q − ā)·(R_min − W) when a_q < ā), all else unchanged. */
export function referenceSubcubic(model: Model, v: Variant, oneSided = false): ReferenceResult {
  const { vocab: V, k: K } = model.config;
  const T = pathTables(model);
  const s = 1 / T.scale;
  const { Ebar, delta, Et, err } = decompose(model, v);
  const EV = T.EVOU; const PV = T.PVOU; const EU = T.EU;
  const rowRange = Array.from({ length: V }, (_, k) => Math.max(...EV.slice(k * V, k * V + V)) - Math.min(...EV.slice(k * V, k * V + V)));
  // Attention to the max for (lo|hi, q, m, c) at gap g.
  const attn = (hi: boolean, q: number, m: number, c: number, g: number): number => {
    const row = Et.a.slice(q * V, q * V + V);
    const ks = row.slice(0, m - g + 1);
    const D = hi ? row[m] - Math.min(...ks) + err[q] : row[m] - Math.max(...ks) - err[q];
    const rho = Array.from({ length: K - 1 }, (_, p) => T.EQKP[q * K + p] - T.EQKP[q * K + K - 1]).sort((a, b) => (hi ? b - a : a - b));
    const nMax = q === m ? K - c - 1 : K - c;
    let num = q === m ? Math.exp(D / s) : 0;
    let den = q === m ? num : 1;
    rho.forEach((r, i) => { const w = Math.exp((r + (i < nMax ? D : 0)) / s); den += w; if (i < nMax) num += w; });
    return num / den;
  };
  const valid = (q: number, m: number, c: number, g: number) => g >= 1 && g <= m && (q === m || (c >= 1 && q <= m - g));
  // L for every valid q of (m, c) given per-q gaps (NaN where invalid).
  const bound = (m: number, c: number, gaps: number[]): number[] => {
    const Rx = Array.from({ length: V }, (_, x) => EV[m * V + x] - EV[m * V + m]);
    const Ps = Array.from({ length: V }, (_, x) => Math.max(...Array.from({ length: K }, (_, p) => PV[p * V + x] - PV[p * V + m])));
    const xs = [...Array(V).keys()].filter((x) => x !== m);
    if (c === 0) return gaps.map((_, q) => (q === m ? Math.max(...xs.map((x) => EU[m * V + x] - EU[m * V + m] + Rx[x] + Ps[x])) : NaN));
    const qs = gaps.map((g, q) => (valid(q, m, c, g) ? q : -1)).filter((q) => q >= 0);
    if (!qs.length) return gaps.map(() => NaN);
    const gStar = Math.min(...qs.map((q) => gaps[q]));
    const W = Math.max(...rowRange.slice(0, m - gStar + 1));
    const Rstar = Math.max(...xs.map((x) => Rx[x])); const Rmin = Math.min(...xs.map((x) => Rx[x]));
    const hi = !(Rstar < W);
    const a = gaps.map((g, q) => (qs.includes(q) ? attn(hi, q, m, c, g) : NaN));
    const abar = v.attention === 'mean_query+diff' ? qs.reduce((t, q) => t + a[q], 0) / qs.length : 0;
    const A = Math.max(...xs.map((x) => Ebar[x] - Ebar[m] + Ps[x] + abar * Rx[x])) + (1 - abar) * W;
    return gaps.map((_, q) => (qs.includes(q) ? A + delta[q] + (a[q] - abar) * ((oneSided && a[q] < abar ? Rmin : Rstar) - W) : NaN));
  };
  const cases: ReferenceCase[] = [];
  let count = 0; let countPlusOne = 0;
  for (let m = 0; m < V; m++) {
    for (let c = 0; c < K; c++) {
      // Search: the smallest uniform gap under which each entry's bound is negative; then verify with those gaps.
      const gaps = new Array<number>(m + 1).fill(0);
      for (let g = Math.max(m, 1); g >= 1; g--) {
        const L = bound(m, c, new Array<number>(m + 1).fill(c === 0 ? 1 : g));
        L.forEach((l, q) => { if (l < 0) gaps[q] = c === 0 ? 1 : g; });
      }
      const L = bound(m, c, gaps);
      L.forEach((l, q) => {
        if (!(l < 0)) return;
        if (c === 0 && q !== m) return;
        const g = gaps[q];
        cases.push({ q, m, c, g });
        const free = q === m ? c : c - 1;
        count += free === 0 ? 1 : binom(K - 1, free) * (m - g) ** free;
        countPlusOne += free === 0 ? 1 : binom(K - 1, free) * (m - g + 1) ** free;
      });
    }
  }
  return { cases, count, countPlusOne };
}
