/**
 * Proof search for the subcubic family (docs/paper.md §5.3; SPEC §4.5–4.6). Untrusted: it works in float64, picks low-rank
 * peels (SVD directions), mean rows, ā and the gap table, and emits them as witnesses. It mirrors the checker's
 * formulas (on the same rounded witnesses) and keeps a safety margin, so the checker accepts what it claims; the
 * checker re-derives everything exactly.
 */
import type { Model } from '../../model/model.js';
import { logitBias, matmul, pathTables, queryEmbedding, transpose } from '../../model/paths.js';
import { FORMAT, PROVER, type Certificate } from '../certificate.js';
import { exactQK } from '../exact.js';
import { expFixedEnclosure, expTable } from '../exp-table.js';
import { invSqrtScaleStep, rationalParts } from '../scale.js';
import type { ProveResult } from '../strategy.js';
import { variantName, type Variant } from './variants.js';

/** Fraction bits of every witness mantissa in the subcubic-count step. */
export const WITNESS_BITS = 32;
/** A case is claimed only when its float bound is below −MARGIN (the checker's exact value is within ~1e−12). */
const MARGIN = 1e-7;

export interface SubcubicOptions {
  /** Grid step 2^−stepBits (score units) of the exp-grid. */
  stepBits?: number;
  /** Count m−g tokens (the reference's off-by-one) instead of m−g+1: for comparison only. */
  referenceCount?: boolean;
  /** ε, the float32 rounding margin (SPEC §1.1): a case is claimed only when its bound is below −ε − MARGIN. */
  margin?: number;
}

/** Row-major float matrix. */
interface M { r: number; c: number; a: Float64Array }
const mat = (r: number, c: number, a?: ArrayLike<number>): M => ({ r, c, a: a ? Float64Array.from(a) : new Float64Array(r * c) });
const mm = (A: M, B: M): M => mat(A.r, B.c, matmul(A.a, B.a, A.r, A.c, B.c));
const tr = (A: M): M => mat(A.c, A.r, transpose(A.a, A.r, A.c));
const lin = (A: M, B: M, s: number): M => mat(A.r, A.c, A.a.map((x, i) => x + s * B.a[i]));
const rowRange = (A: M): Float64Array => {
  const out = new Float64Array(A.r);
  for (let r = 0; r < A.r; r++) {
    let lo = Infinity; let hi = -Infinity;
    for (let c = 0; c < A.c; c++) { const x = A.a[r * A.c + c]; if (x < lo) lo = x; if (x > hi) hi = x; }
    out[r] = hi - lo;
  }
  return out;
};
const rnd = (x: number, F = WITNESS_BITS): number => Math.round(x * 2 ** F) / 2 ** F;
const mant = (x: number, F = WITNESS_BITS): string => BigInt(Math.round(x * 2 ** F)).toString();
const rounded = (A: M): M => mat(A.r, A.c, A.a.map((x) => rnd(x)));

/** Top left singular vector of A (power iteration on A·Aᵀ), sign chosen so that its sum is ≥ 0. */
export function topLeft(A: M, iters = 300): Float64Array {
  let x = new Float64Array(A.r).map((_, i) => 1 + 0.01 * Math.sin(i + 1));
  const At = tr(A);
  for (let t = 0; t < iters; t++) {
    const y = mm(A, mm(At, mat(A.r, 1, x))).a;
    const n = Math.hypot(...y) || 1;
    x = y.map((v) => v / n);
  }
  if (x.reduce((s, v) => s + v, 0) < 0) x = x.map((v) => -v);
  return x;
}

/** Row spread bound of X·Y: rangeMu + Σ_l |X[r,l] − μ_l|·bY[l] (the checker's `spread`). */
function spread(X: M, bY: Float64Array, mu: Float64Array | null, rangeMu: number): Float64Array {
  const out = new Float64Array(X.r);
  for (let r = 0; r < X.r; r++) {
    let s = rangeMu;
    for (let l = 0; l < X.c; l++) s += Math.abs(X.a[r * X.c + l] - (mu ? mu[l] : 0)) * bY[l];
    out[r] = s;
  }
  return out;
}
const meanRow = (A: M): Float64Array => { const mu = new Float64Array(A.c); for (let r = 0; r < A.r; r++) for (let c = 0; c < A.c; c++) mu[c] += A.a[r * A.c + c] / A.r; return mu.map((x) => rnd(x)); };
const vecMat = (v: Float64Array): M => mat(1, v.length, v);

export interface SubcubicFloat {
  /** Direct path: Ē and δ. */
  Ebar: Float64Array;
  delta: Float64Array;
  /** Ẽ (V×V) and err (V). */
  Et: M;
  err: Float64Array;
  eu: Record<string, unknown>;
  eqke: Record<string, unknown>;
}

/**
 * E_q, W_Q and W_U as the checker bounds them without forming their products (SPEC §1): for a model with biases,
 * augmented by one dimension, [E_q | 1], [W_Q ; b_Q] and [W_U ; c] with c the logit bias row, so that
 * E_q' W_Q' = E_q W_Q + 1 b_Q and E_q' W_U' = EU; for a model without, as they are.
 */
function factors(model: Model): { Eq: M; WQ: M; WU: M } {
  const { vocab: V, dModel: d, dHead: h } = model.config;
  const Eq = mat(V, d, queryEmbedding(model));
  const WQ = mat(d, h, model.WQ);
  const WU = mat(d, V, model.WU);
  const c = logitBias(model);
  if (!model.biases || !c) return { Eq, WQ, WU };
  const EqA = mat(V, d + 1);
  for (let q = 0; q < V; q++) { EqA.a.set(Eq.a.subarray(q * d, (q + 1) * d), q * (d + 1)); EqA.a[q * (d + 1) + d] = 1; }
  return { Eq: EqA, WQ: mat(d + 1, h, [...WQ.a, ...model.biases.bQ]), WU: mat(d + 1, V, [...WU.a, ...c]) };
}

/** The direct-path and EQKE-error witnesses of a variant, with the float values the checker will recompute. */
export function decompose(model: Model, v: Variant): SubcubicFloat {
  const { vocab: V, dModel: d, dHead: h } = model.config;
  const T = pathTables(model);
  const { Eq, WQ, WU } = factors(model);
  const E = mat(V, d, model.WE); const WK = mat(d, h, model.WK);
  const EU = mat(V, V, T.EU);
  let Ebar: Float64Array = new Float64Array(V); let delta: Float64Array; let eu: Record<string, unknown>;
  if (v.eu === 'max_diff_exact' || v.eu === 'global_max_diff_exact') {
    delta = rowRange(EU);
    if (v.eu === 'global_max_diff_exact') { const g = rowRange(mat(1, V * V, EU.a))[0]; delta = delta.map(() => g); }
    eu = { mode: v.eu === 'max_diff_exact' ? 'exact-row' : 'exact-global' };
  } else {
    let mu: Float64Array | null = null;
    if (v.eu === 'mean_query+max_diff') mu = meanRow(Eq);
    if (v.eu === 'svd_query+max_diff') { const u = topLeft(EU); mu = mm(mat(1, V, u), Eq).a.map((x) => rnd(x)); }
    if (mu) Ebar = mm(vecMat(mu), WU).a;
    delta = spread(Eq, rowRange(WU), mu, 0);
    eu = mu ? { mode: 'factored', mu: Array.from(mu, (x) => mant(x)) } : { mode: 'factored' };
  }
  const EQKE = mat(V, V, T.EQKE);
  if (v.error === 'exact_EQKE+max_diff_exact') return { Ebar, delta, Et: EQKE, err: new Float64Array(V), eu, eqke: { mode: 'exact' } };
  // Factors X1 = E_q, X2 = W_Q, X3 = W_Kᵀ, X4 = Eᵀ; peels P_i = a_i·b_i (rounded witnesses); F_i = X_i − P_i.
  const X = [Eq, WQ, tr(WK), tr(E)];
  const u = topLeft(EQKE); const vk = topLeft(tr(EQKE));
  const peels: ({ a: M; b: M } | null)[] = [null, null, null, null];
  const subproduct = v.error.includes('subproduct');
  if (!subproduct) {
    const a1 = rounded(mat(V, 1, u)); peels[0] = { a: a1, b: rounded(mm(tr(a1), Eq)) };
    const b4 = rounded(mat(1, V, vk)); peels[3] = { a: rounded(mm(X[3], tr(b4))), b: b4 };
  } else {
    const a1 = rounded(mat(V, 1, u)); const r1 = rounded(mm(tr(a1), Eq)); const Eq1 = lin(Eq, mm(a1, r1), -1);
    const u2 = rounded(mat(V, 1, topLeft(Eq1))); const r2 = rounded(mm(tr(u2), Eq1));
    peels[0] = { a: mat(V, 2, Array.from({ length: 2 * V }, (_, i) => (i % 2 ? u2.a[i >> 1] : a1.a[i >> 1]))), b: mat(2, Eq.c, [...r1.a, ...r2.a]) };
    const wq = rounded(mat(WQ.r, 1, topLeft(WQ))); peels[1] = { a: wq, b: rounded(mm(tr(wq), WQ)) };
    const wk = rounded(mat(1, d, topLeft(WK))); peels[2] = { a: rounded(mm(X[2], tr(wk))), b: wk };
    const v1 = rounded(mat(1, V, vk)); const c1 = rounded(mm(X[3], tr(v1))); const Ek1 = lin(X[3], mm(c1, v1), -1);
    const v2 = rounded(mat(1, V, topLeft(tr(Ek1)))); const c2 = rounded(mm(Ek1, tr(v2)));
    peels[3] = { a: mat(d, 2, Array.from({ length: 2 * d }, (_, i) => (i % 2 ? c2.a[i >> 1] : c1.a[i >> 1]))), b: mat(2, V, [...v1.a, ...v2.a]) };
  }
  const Fm = X.map((x, i) => { const p = peels[i]; return p ? lin(x, mm(p.a, p.b), -1) : x; });
  const chain = (i: number, j: number): M => { let A = Fm[i]; for (let t = i + 1; t <= j; t++) A = mm(A, Fm[t]); return A; };
  const Res = chain(0, 3);
  const Et = lin(EQKE, Res, -1);
  const eqke: Record<string, unknown> = {
    mode: 'factored',
    peels: peels.map((p) => (p ? { a: rows(p.a), b: rows(p.b) } : null)),
  };
  let err: Float64Array;
  const mus: (Float64Array | null)[] = [null, null, null];
  if (v.error === 'max_diff_exact') { err = rowRange(Res); eqke.bound = 'exact'; }
  else if (v.error === 'svd') {
    let e = 0;
    for (let q = 0; q < V; q++) { let s = 0; for (let k = 0; k < V; k++) s += Res.a[q * V + k] ** 2; e = Math.max(e, Math.sqrt(2 * s)); }
    e = e * (1 + 1e-9) + 2 ** -WITNESS_BITS * 2;
    eqke.bound = 'row-norm'; eqke.e = BigInt(Math.ceil(e * 2 ** WITNESS_BITS)).toString();
    err = new Float64Array(V).fill(Math.ceil(e * 2 ** WITNESS_BITS) / 2 ** WITNESS_BITS);
  } else if (!v.error.endsWith('_recursive')) {
    const pts = subproduct ? [1, 2, 3] : [3];
    const useMean = v.error.startsWith('mean+');
    const bs = pts.map((p) => {
      const L = chain(0, p - 1); const Rt = chain(p, 3);
      const mu = useMean ? meanRow(L) : null; mus[p - 1] = mu;
      return spread(L, rowRange(Rt), mu, mu ? rowRange(mm(vecMat(mu), Rt))[0] : 0);
    });
    err = bs.reduce((x, y) => x.map((t, i) => Math.min(t, y[i])));
    eqke.bound = 'split'; eqke.at = pts;
  } else {
    const levels = v.error.startsWith('mean_recursive') ? [0, 1, 2] : v.error.startsWith('mean+') ? [0] : [];
    let b = rowRange(Fm[3]);
    for (let i = 2; i >= 0; i--) {
      const mu = levels.includes(i) ? meanRow(Fm[i]) : null; mus[i] = mu;
      b = spread(Fm[i], b, mu, mu ? rowRange(mm(vecMat(mu), chain(i + 1, 3)))[0] : 0);
    }
    err = b; eqke.bound = 'recursive';
  }
  if (mus.some((x) => x)) eqke.mu = mus.map((x) => (x ? Array.from(x, (t) => mant(t)) : null));
  return { Ebar, delta, Et, err, eu, eqke };
}
const rows = (A: M): string[][] => Array.from({ length: A.r }, (_, r) => Array.from(A.a.subarray(r * A.c, (r + 1) * A.c), (x) => mant(x)));

const binom = (n: number, r: number): bigint => { let b = 1n; for (let i = 0; i < r; i++) b = (b * BigInt(n - i)) / BigInt(i + 1); return b; };

export function proveSubcubic(model: Model, v: Variant, opts: SubcubicOptions = {}): ProveResult {
  const t0 = Date.now();
  const { vocab: V, k: K } = model.config;
  const F = WITNESS_BITS;
  const b = opts.stepBits ?? 3;
  const T = pathTables(model);
  const dec = decompose(model, v);
  const scale = invSqrtScaleStep(model.config.dHead, 'scale');
  const rHi = T.scale;
  const qk = exactQK(model);
  const expP = expTable(qk.EQKP, 'EQKP', scale, 48, 'expP');
  const positionOrder = Array.from({ length: V }, (_, q) => [...Array(K - 1).keys()].sort((x, y) => {
    const d = qk.EQKP.num[q * K + x] - qk.EQKP.num[q * K + y]; return d < 0n ? -1 : d > 0n ? 1 : x - y;
  }));
  const lo = (q: number, p: number) => expP.loF[q * K + p]; const hi = (q: number, p: number) => expP.hiF[q * K + p];
  const preLo = positionOrder.map((o, q) => { const s = [0]; for (let i = 0; i < K - 1; i++) s.push(s[i] + lo(q, o[i])); return s; });
  const sufHi = positionOrder.map((o, q) => { const s = new Array<number>(K).fill(0); for (let i = K - 2; i >= 0; i--) s[i] = s[i + 1] + hi(q, o[i]); return s; });
  // EVOU summaries.
  const EV = T.EVOU; const PV = T.PVOU;
  const rr = rowRange(mat(V, V, EV));
  const Wpre = new Float64Array(V); rr.forEach((x, k) => { Wpre[k] = k ? Math.max(Wpre[k - 1], x) : x; });
  const { Ebar, delta, Et, err } = dec;
  const pmax = (q: number, j: number) => { let s = -Infinity; for (let k = 0; k <= j; k++) s = Math.max(s, Et.a[q * V + k]); return s; };
  const PM = Array.from({ length: V }, (_, q) => Float64Array.from({ length: V }, (_, j) => pmax(q, j)));
  const DeltaOf = (q: number, m: number, g: number) => Et.a[q * V + m] - PM[q][m - g] - err[q];
  // The exp grid: z = −Δ in steps of 2^−b, from zMin (below it the first entry is used) up to zMax (beyond: unclaimed).
  const zMin = Math.floor(-16 / rHi * 2 ** b); const zMax = Math.ceil(8 / rHi * 2 ** b);
  const gridF = 40;
  const rLo = rationalParts(scale.lo); const rH = rationalParts(scale.hi);
  const gridM = new Map<number, bigint>();
  const gridHi = (i: number): number => {
    if (!gridM.has(i)) gridM.set(i, gridMantissa(zMin + i, b, gridF, rLo, rH));
    return Number(gridM.get(i)!) / 2 ** gridF;
  };
  const xFor = (D: number): { x: number; idx: number[] } | null => {
    const z = -D * 2 ** b;
    const i1 = Math.max(0, Math.ceil(z - 1e-6) - zMin); const i2 = Math.max(0, Math.ceil(z + 1e-6) - zMin);
    if (i2 >= zMax - zMin) return null;
    return { x: gridHi(i2), idx: i1 === i2 ? [i1] : [i1, i2] };
  };
  const used = new Set<number>();
  const gaps: number[][][] = []; const abar: string[][] = [];
  let count = 0n;
  // The smallest upper bound found on (largest wrong logit − correct logit) over every case tried: a case is claimed
  // only below −MARGIN, so a variant that claims nothing can say how far from a claim its closest case came.
  let closestMargin = Infinity;
  const refCount = !!opts.referenceCount;
  const eps = opts.margin ?? 0;
  for (let m = 0; m < V; m++) {
    const Rx = Float64Array.from({ length: V }, (_, x) => EV[m * V + x] - EV[m * V + m]);
    const base = Float64Array.from({ length: V }, (_, x) => {
      let ps = -Infinity; for (let p = 0; p < K; p++) ps = Math.max(ps, PV[p * V + x] - PV[p * V + m]);
      return Ebar[x] - Ebar[m] + ps;
    });
    const xs = [...Array(V).keys()].filter((x) => x !== m);
    const Rstar = Math.max(...xs.map((x) => Rx[x])); const Rmin = Math.min(...xs.map((x) => Rx[x]));
    const gm: number[][] = []; const am: string[] = [];
    for (let c = 0; c < K; c++) {
      const row = new Array<number>(m + 1).fill(0);
      if (c === 0) {
        const L = (xs.length ? Math.max(...xs.map((x) => base[x] + Rx[x])) : -Infinity) + delta[m];
        if (xs.length) closestMargin = Math.min(closestMargin, L);
        if (L + eps < -MARGIN && xs.length) { row[m] = 1; count += 1n; }
        gm.push(row); am.push('0'); continue;
      }
      const o = (q: number) => (q === m ? 1 : 0);
      const aLo = (q: number, g: number): { a: number; idx: number[] } | null => {
        const X = xFor(DeltaOf(q, m, g)); if (!X) return null;
        const A = o(q) ? preLo[q][K - 1 - c] + lo(q, K - 1) : preLo[q][K - c];
        const B = o(q) ? sufHi[q][K - 1 - c] : sufHi[q][K - c] + hi(q, K - 1);
        const D = A + X.x * B; if (!(D > 0)) return null;
        return { a: A / D, idx: X.idx };
      };
      const Lof = (q: number, g: number, ab: number, C: number): { L: number; idx: number[] } | null => {
        const al = aLo(q, g); if (!al) return null;
        const W = Wpre[m - g];
        const b0 = C + (1 - ab) * W + delta[q];
        const h = (a: number) => (a - ab) * (a >= ab ? Rstar - W : Rmin - W);
        return { L: b0 + Math.max(h(al.a), h(1)), idx: al.idx };
      };
      const search = (ab: number) => {
        const C = Math.max(...xs.map((x) => base[x] + ab * Rx[x]));
        return Array.from({ length: m + 1 }, (_, q) => {
          for (let g = 1; g <= m; g++) {
            if (q < m && q > m - g) break;
            const r = Lof(q, g, ab, C);
            if (r) closestMargin = Math.min(closestMargin, r.L);
            if (r && r.L + eps < -MARGIN * (1 + Math.abs(C) + Math.abs(delta[q]))) return { g, idx: r.idx };
          }
          return null;
        });
      };
      let ab = 0;
      let found = search(ab);
      if (v.attention === 'mean_query+diff') {
        // ā: the mean over queries of a_lo at the chosen gaps (or at the largest gap, where none is found yet).
        for (let it = 0; it < 3; it++) {
          const as = Array.from({ length: m + 1 }, (_, q) => {
            const g = found[q]?.g ?? (q === m ? m : m - q); return g >= 1 ? aLo(q, g)?.a : undefined;
          }).filter((x): x is number => x !== undefined);
          if (!as.length) break;
          const nab = rnd(as.reduce((s, x) => s + x, 0) / as.length);
          const nf = search(nab);
          if (nf.filter(Boolean).length >= found.filter(Boolean).length || it === 0) { ab = nab; found = nf; }
        }
      }
      found.forEach((f, q) => {
        if (!f) return;
        row[q] = f.g; f.idx.forEach((i) => used.add(i));
        const free = q === m ? c : c - 1;
        count += binom(K - 1, free) * BigInt(m - f.g + (refCount ? 0 : 1)) ** BigInt(free);
      });
      gm.push(row); am.push(mant(ab));
    }
    gaps.push(gm); abar.push(am);
  }
  // Grid mantissas, verified-style: hi ≥ 2^F·e^{r·z} for every r in [r_lo, r_hi], via the prover's exact enclosure.
  const n = used.size ? Math.max(...used) + 1 : 1;
  const hiM: (string | null)[] = Array.from({ length: n }, (_, i) => (used.has(i) ? (gridHi(i), gridM.get(i)!.toString()) : null));
  const total = BigInt(V) ** BigInt(K);
  const certificate: Certificate = {
    format: FORMAT,
    claim: { modelSha256: model.sha256, task: 'max-of-k', k: K, vocab: V, strategy: variantName(v), correct: count.toString(), total: total.toString() },
    evidence: {
      steps: [
        scale, expP.step,
        { id: 'grid', kind: 'exp-grid', scale: 'scale', base: zMin, stepBits: b, fracBits: gridF, hi: hiM } as never,
        { id: 'count', kind: 'subcubic-count', expP: 'expP', grid: 'grid', fracBits: F, eu: dec.eu, eqke: dec.eqke, positionOrder, abar, gaps } as never,
      ],
    },
    prover: { ...PROVER },
  };
  return { certificate, figures: { proveMs: Date.now() - t0, correct: count.toString(), bound: Number(count) / Number(total), gridEntries: used.size, ...(Number.isFinite(closestMargin) ? { closestMargin } : {}) } };
}

/** ceil of an upper bound on 2^F·e^{r·z/2^b} over r ∈ [rLo, rHi], with a relative margin. */
export function gridMantissa(z: number, b: number, F: number, rLo: { p: bigint; q: bigint }, rHi: { p: bigint; q: bigint }): bigint {
  const P = F + 64;
  const az = BigInt(Math.abs(z));
  // y = |z|·r/2^b over a common denominator.
  const den = (rLo.q * rHi.q) << BigInt(b);
  const aLo = az * rLo.p * rHi.q; const aHi = az * rHi.p * rLo.q;
  const { L, H } = expFixedEnclosure(aLo, aHi, den, P);
  const v = z >= 0 ? (H >> BigInt(P - F)) + 1n : ((1n << BigInt(F + P)) / L) + 1n;
  return v + (v >> 40n) + 1n;
}
