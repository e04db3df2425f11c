/**
 * exp-grid and subcubic-count (SPEC §4.5, §4.6): the paper's 100 subcubic proofs (PAPER §3.3), in a sound form.
 *
 * exp-grid:  hi[i]/2^F ≥ e^{r·z_i} with z_i = (base + i)/2^stepBits, checked with the cited scale [r_lo, r_hi]:
 *   z ≥ 0 against an upper bound of e^{r_hi·z}, z < 0 against a lower bound of e^{r_lo·|z|} (e^{rz} is monotone in r).
 *
 * subcubic-count: a case (q, m, c, g ≥ 1) is every sequence with query q, max m, exactly c positions ≠ m (the query
 * included when q < m) and every such token ≤ m − g. Premises, all recomputed here from the model and witnesses:
 *   δ[q] ≥ (EU[q,x] − Ē[x]) − (EU[q,y] − Ē[y])        (direct path; Ē = μ·W_U, or 0 with the exact EU rows)
 *   err[q] ≥ Res[q,i] − Res[q,j],  Res = EQKE − Ẽ       (Ẽ from supplied low-rank peels, Res = F1·F2·F3·F4)
 *   Δ = Ẽ[q,m] − max_{k≤m−g} Ẽ[q,k] − err[q] ≤ EQKE[q,m] − EQKE[q,k] for every allowed k
 *   a_lo = A/(A + e^{−rΔ}·B): A = lower sum of e^{r·EQKP} over the max slots placed on the lowest positions, B the
 *   upper sum over the rest; every sequence of the case puts attention a_M ∈ [a_lo, 1] on the max token.
 *   ℓ_x − ℓ_m ≤ Ē_m[x] + δ[q] + P*[x] + a_M·R(x) + (1 − a_M)·W  with R = EVOU_m[m,·], P* = max_p PVOU_m[p,·],
 *   W = max_{k≤m−g} range(EVOU[k,·]) (attention weights sum to 1; a non-max row's logit difference ≤ its range).
 *   Writing this as C + (1−ā)W + δ[q] + (a_M − ā)(R(x) − W) with C = max_x (Ē_m[x] + P*[x] + ā·R(x)) for a supplied
 *   ā: h(a) = max_x (a − ā)(R(x) − W) is convex in a, so it is at most max(h(a_lo), h(1)), and
 *   h(a) = (a − ā)·(R* − W) for a ≥ ā, (a − ā)·(R_min − W) for a < ā (the reference used R* on both sides: §7).
 * ⟹ L = C + (1−ā)W + δ[q] + max(h(a_lo), h(1)) < 0 proves every sequence of the case correct.
 * c = 0 (q = m, the sequence m…m): attention is all on m, so max_x (Ē_m[x] + R(x) + P*[x]) + δ[m] < 0 suffices.
 * Cases are cells of a table indexed by (m, c, q), hence disjoint; each counts C(K−1, c')·(m − g + 1)^{c'} with
 * c' = c (q = m) or c − 1 (q < m): the free non-query non-max positions, each holding any of the tokens 0..m−g.
 */
import type { StepContext } from '../context.js';
import { ceilShift, type Rational } from '../arith/exact.js';
import { expFixed } from '../arith/exp.js';
import { ensure } from '../errors.js';
import { matmul, rescale, type Mat } from '../model.js';

type Vec = string[] | null;
type Peel = { a: string[][]; b: string[][] } | null;
export interface ExpGridStep { id: string; kind: 'exp-grid'; scale: string; base: number; stepBits: number; fracBits: number; hi: (string | null)[] }
export interface SubcubicCountStep {
  id: string; kind: 'subcubic-count'; expP: string; grid: string; fracBits: number;
  eu: { mode: 'exact-row' | 'exact-global' | 'factored'; mu?: string[] };
  eqke: { mode: 'exact' } | { mode: 'factored'; peels: Peel[]; bound: 'exact' | 'row-norm' | 'split' | 'recursive'; at?: number[]; mu?: Vec[]; e?: string };
  positionOrder: number[][]; abar: string[][]; gaps: number[][][];
}
export interface ExpGrid { base: number; stepBits: number; fracBits: number; hi: (bigint | null)[] }

const INT = /^-?(0|[1-9][0-9]*)$/;
/** A scalar n/2^e. */
interface Dy { n: bigint; e: number }
const up = (a: Dy, e: number): bigint => a.n << BigInt(e - a.e);
const add = (a: Dy, b: Dy): Dy => { const e = Math.max(a.e, b.e); return { n: up(a, e) + up(b, e), e }; };
const sub = (a: Dy, b: Dy): Dy => add(a, { n: -b.n, e: b.e });
const mul = (a: Dy, b: Dy): Dy => ({ n: a.n * b.n, e: a.e + b.e });
const max = (a: Dy, b: Dy): Dy => (sub(a, b).n >= 0n ? a : b);
const at = (A: Mat, i: number): Dy => ({ n: A.num[i], e: A.exp });

export function checkExpGrid(s: ExpGridStep, ctx: StepContext): ExpGrid {
  const r = ctx.resolve('scale', s.scale, 'inv-sqrt-scale');
  const hi = s.hi.map((h) => { if (h === null) return null; ensure(/^(0|[1-9][0-9]*)$/.test(h) && h.length <= 200, ctx.step, 'exp-grid', `bad mantissa ${h}`); return BigInt(h); });
  const zCap = 2 ** (12 + s.stepBits); // |z| ≤ 4096 score units keeps every e^{r·z} evaluation small
  ensure(s.stepBits <= 16 && s.fracBits <= 256 && Number.isSafeInteger(s.base) && hi.length > 0 && Math.abs(s.base) <= zCap && Math.abs(s.base + hi.length) <= zCap,
    ctx.step, 'exp-grid', 'grid parameters out of range (stepBits ≤ 16, fracBits ≤ 256, |z| ≤ 4096)');
  const P = s.fracBits + 24;
  hi.forEach((h, i) => {
    if (h === null) return; // not provided: a case citing it is rejected
    const z = BigInt(s.base + i);
    const neg = z < 0n;
    const rr: Rational = neg ? r.lo : r.hi;
    const y = { p: (neg ? -z : z) * rr.p, q: rr.q << BigInt(s.stepBits) };
    const { lo: eLo, hi: eHi } = expFixed(y, P, ctx.ops);
    ctx.ops.add(2);
    // z ≥ 0: h/2^F ≥ eHi/2^P ≥ e^{r_hi z} ≥ e^{rz};  z < 0: h/2^F ≥ 2^P/eLo ≥ e^{−r_lo|z|} ≥ e^{rz}.
    const ok = neg ? h * eLo >= 1n << BigInt(s.fracBits + P) : h << BigInt(P) >= eHi << BigInt(s.fracBits);
    ensure(ok, ctx.step, 'exp-grid', `hi[${i}] = ${h}/2^${s.fracBits} is below e^(r·${s.base + i}/2^${s.stepBits})`);
  });
  return { base: s.base, stepBits: s.stepBits, fracBits: s.fracBits, hi };
}

export function checkSubcubicCount(s: SubcubicCountStep, ctx: StepContext): bigint {
  const rule = 'subcubic-count';
  const { model: M, ops } = ctx;
  const { vocab: V, k: K, dModel: d, dHead: h } = M;
  const fail = (msg: string): never => ensure(false, ctx.step, rule, msg) as never;
  const expP = ctx.resolve('expP', s.expP, 'exp-table');
  ensure(expP.source === 'EQKP', ctx.step, rule, 'expP must be an exp-table over EQKP');
  const grid = ctx.resolve('grid', s.grid, 'exp-grid');
  ensure(Number.isSafeInteger(s.fracBits) && s.fracBits >= 0 && s.fracBits <= 256, ctx.step, rule, 'fracBits out of range');
  const F = s.fracBits;
  const num = (x: unknown): bigint => (typeof x === 'string' && x.length <= 200 && INT.test(x) ? BigInt(x) : fail(`bad signed mantissa ${String(x)}`));
  const wit = (rows: unknown, r: number, c: number, what: string): Mat => {
    const ok = Array.isArray(rows) && rows.length === r && rows.every((row) => Array.isArray(row) && row.length === c);
    if (!ok) fail(`${what} must be ${r}×${c}`);
    return { rows: r, cols: c, exp: F, num: (rows as unknown[][]).flat().map(num) };
  };
  const mm = (A: Mat, B: Mat) => matmul(A, B, ops);
  const tr = (A: Mat): Mat => ({ rows: A.cols, cols: A.rows, exp: A.exp, num: Array.from({ length: A.num.length }, (_, i) => A.num[(i % A.rows) * A.cols + Math.floor(i / A.rows)]) });
  const lin = (A: Mat, B: Mat, sign: bigint): Mat => {
    const e = Math.max(A.exp, B.exp); const a = rescale(A, e); const b = rescale(B, e);
    ops.add(A.num.length);
    return { ...A, exp: e, num: a.num.map((x, i) => x + sign * b.num[i]) };
  };
  const rowRange = (A: Mat): Mat => {
    const out: bigint[] = [];
    for (let r = 0; r < A.rows; r++) { const row = A.num.slice(r * A.cols, (r + 1) * A.cols); out.push(row.reduce((x, y) => (y > x ? y : x)) - row.reduce((x, y) => (y < x ? y : x))); }
    ops.add(2 * A.num.length);
    return { rows: A.rows, cols: 1, exp: A.exp, num: out };
  };
  /** rows r of X·Y: range ≤ rangeMu + Σ_l |X[r,l] − μ_l|·b(Y)[l], b(Y) a bound on Y's row ranges (range is a seminorm). */
  const spread = (X: Mat, bY: Mat, mu: Mat | null, rangeMu: Dy): Mat => {
    const D = mu ? lin(X, { rows: X.rows, cols: X.cols, exp: mu.exp, num: X.num.map((_, i) => mu.num[i % X.cols]) }, -1n) : X;
    const P = mm({ ...D, num: D.num.map((x) => (x < 0n ? -x : x)) }, bY);
    return lin(P, { ...P, exp: rangeMu.e, num: P.num.map(() => rangeMu.n) }, 1n);
  };
  const zero: Dy = { n: 0n, e: 0 };
  const W = M.weights;
  // Direct path: Ē (1×V) and δ (V×1).
  let Ebar: Mat = { rows: 1, cols: V, exp: 0, num: new Array<bigint>(V).fill(0n) };
  let delta: Mat;
  if (s.eu.mode === 'factored') {
    const mu = s.eu.mu === undefined ? null : wit([s.eu.mu], 1, d, 'eu.mu');
    if (mu) Ebar = mm(mu, W.U);
    delta = spread(W.Eq, rowRange(W.U), mu, zero);
  } else {
    delta = rowRange(M.EU);
    if (s.eu.mode === 'exact-global') {
      const all = rowRange({ ...M.EU, rows: 1, cols: V * V });
      delta = { ...delta, num: delta.num.map(() => all.num[0]) };
    }
  }
  // Attention: Ẽ (V×V) and err (V×1).
  let Et: Mat; let err: Mat;
  const eq = s.eqke;
  if (eq.mode === 'exact') {
    Et = M.EQKE; err = { rows: V, cols: 1, exp: 0, num: new Array<bigint>(V).fill(0n) };
  } else {
    const X = [W.Eq, W.Q, tr(W.K), tr(W.E)];
    const dims = [[V, d], [d, h], [h, d], [d, V]];
    ensure(Array.isArray(eq.peels) && eq.peels.length === 4, ctx.step, rule, 'eqke.peels must have 4 entries');
    const Pl = eq.peels.map((p, i) => {
      if (p === null) return null;
      const rk = Array.isArray(p.b) ? p.b.length : -1;
      ensure(rk >= 1 && rk <= 4, ctx.step, rule, `peel ${i + 1}: rank must be 1..4`);
      return { a: wit(p.a, dims[i][0], rk, `peel ${i + 1}.a`), b: wit(p.b, rk, dims[i][1], `peel ${i + 1}.b`) };
    });
    const Fm = X.map((x, i) => { const p = Pl[i]; return p ? lin(x, mm(p.a, p.b), -1n) : x; });
    // Ẽ = X1X2X3X4 − F1F2F3F4 = P1·X2X3X4 + F1·P2·X3X4 + F1F2·P3·X4 + F1F2F3·P4 (telescoping; exact for any peels).
    Et = { rows: V, cols: V, exp: 0, num: new Array<bigint>(V * V).fill(0n) };
    // F_i⋯F_j, each product formed once (left to right).
    const memo = new Map<string, Mat>();
    const chain = (i: number, j: number): Mat => {
      const key = `${i},${j}`;
      if (!memo.has(key)) memo.set(key, j === i ? Fm[i] : mm(chain(i, j - 1), Fm[j]));
      return memo.get(key)!;
    };
    for (let i = 0; i < 4; i++) {
      const p = Pl[i];
      if (!p) continue;
      let right = p.b;
      for (let j = i + 1; j < 4; j++) right = mm(right, X[j]);
      let left = p.a; // F1⋯F_{i−1}·a_i, right to left: O((V + d)·d·rank)
      for (let j = i - 1; j >= 0; j--) left = mm(Fm[j], left);
      Et = lin(Et, mm(left, right), 1n);
    }
    ensure(eq.mu === undefined || eq.mu.length === 3, ctx.step, rule, 'eqke.mu must have 3 entries');
    const mus = (eq.mu ?? [null, null, null]).map((v, i) => (v === null ? null : wit([v], 1, dims[i][1], `eqke.mu[${i}]`)));
    /** range(μ·F_i⋯F4), the vector-matrix chain taken left to right. */
    const rangeMu = (mu: Mat | null, i: number): Dy => {
      if (!mu) return zero;
      let v = mu; for (let j = i; j < 4; j++) v = mm(v, Fm[j]);
      return at(rowRange(v), 0);
    };
    if (eq.bound === 'exact') err = rowRange(chain(0, 3));
    else if (eq.bound === 'row-norm') {
      // √2·‖Res[q,:]‖₂ ≥ Res[q,i] − Res[q,j]: checked as e ≥ 0, e² ≥ 2·L[q] (F4F4ᵀ) L[q]ᵀ with L = F1F2F3.
      const e: Dy = { n: num(eq.e), e: F };
      ensure(e.n >= 0n, ctx.step, rule, 'row-norm bound e must be ≥ 0');
      const L = chain(0, 2);
      const G = mm(L, mm(Fm[3], tr(Fm[3])));
      for (let q = 0; q < V; q++) {
        let n2: Dy = zero;
        for (let j = 0; j < d; j++) n2 = add(n2, mul(at(G, q * d + j), at(L, q * d + j)));
        ops.add(2 * d + 3);
        ensure(sub(mul(e, e), mul({ n: 2n, e: 0 }, n2)).n >= 0n, ctx.step, rule, `row-norm bound e is below √2·‖residual row ${q}‖`);
      }
      err = { rows: V, cols: 1, exp: F, num: new Array<bigint>(V).fill(e.n) };
    } else if (eq.bound === 'split') {
      const pts = eq.at ?? [];
      ensure(pts.length >= 1 && pts.every((p) => p === 1 || p === 2 || p === 3) && new Set(pts).size === pts.length, ctx.step, rule, 'eqke.at must list split points 1..3');
      const bs = pts.map((p) => { const Rt = chain(p, 3); return spread(chain(0, p - 1), rowRange(Rt), mus[p - 1], rangeMu(mus[p - 1], p)); });
      const e = Math.max(...bs.map((b) => b.exp));
      err = { rows: V, cols: 1, exp: e, num: bs.map((b) => rescale(b, e).num).reduce((x, y) => x.map((v, i) => (y[i] < v ? y[i] : v))) };
      ops.add(V * bs.length);
    } else if (eq.bound === 'recursive') {
      let b = rowRange(Fm[3]);
      for (let i = 2; i >= 0; i--) b = spread(Fm[i], b, mus[i], rangeMu(mus[i], i + 1));
      err = b;
    } else err = fail(`unknown eqke.bound ${String(eq.bound)}`);
  }
  // Row prefix maxima of Ẽ: PM[q, j] = max_{k≤j} Ẽ[q, k].
  const PM: Mat = { ...Et, num: [...Et.num] };
  for (let i = 0; i < V * V; i++) if (i % V && PM.num[i - 1] > PM.num[i]) PM.num[i] = PM.num[i - 1];
  ops.add(V * V);
  // EVOU / PVOU summaries (always exact): RowRange prefix maxima; per m: R, P*.
  const E = M.EVOU; const PV = M.PVOU;
  const rr = rowRange(E);
  const Wpre: Dy[] = []; rr.num.forEach((x, k) => Wpre.push(k && Wpre[k - 1].n > x ? Wpre[k - 1] : { n: x, e: rr.exp }));
  // Positions: order checked against exact EQKP; lo prefix sums and hi suffix sums of e^{r·EQKP} along it.
  ensure(Array.isArray(s.positionOrder) && s.positionOrder.length === V, ctx.step, rule, 'positionOrder needs one row per query');
  const preLo: bigint[][] = []; const sufHi: bigint[][] = [];
  for (let q = 0; q < V; q++) {
    const o = s.positionOrder[q];
    ensure(Array.isArray(o) && o.length === K - 1 && [...o].sort((x, y) => x - y).every((p, i) => p === i), ctx.step, rule, `positionOrder[${q}] is not a permutation of 0..K−2`);
    for (let i = 0; i + 1 < o.length; i++) ensure(M.EQKP.num[q * K + o[i]] <= M.EQKP.num[q * K + o[i + 1]], ctx.step, rule, `positionOrder[${q}] is not sorted by EQKP`);
    preLo.push([0n]); sufHi.push(new Array<bigint>(K).fill(0n));
    for (let i = 0; i < K - 1; i++) preLo[q].push(preLo[q][i] + expP.lo[q * K + o[i]]);
    for (let i = K - 2; i >= 0; i--) sufHi[q][i] = sufHi[q][i + 1] + expP.hi[q * K + o[i]];
    ops.add(3 * K);
  }
  const Fg = grid.fracBits;
  ensure(Array.isArray(s.gaps) && s.gaps.length === V && Array.isArray(s.abar) && s.abar.length === V, ctx.step, rule, 'gaps and abar need one entry per max token');
  const binom = (n: number, r: number): bigint => { let b = 1n; for (let i = 0; i < r; i++) b = (b * BigInt(n - i)) / BigInt(i + 1); return b; };
  let count = 0n;
  for (let m = 0; m < V; m++) {
    const gm = s.gaps[m];
    ensure(Array.isArray(gm) && gm.length === K && Array.isArray(s.abar[m]) && s.abar[m].length === K, ctx.step, rule, `gaps[${m}] needs K rows and abar[${m}] K entries`);
    const Rx: Dy[] = []; const base: Dy[] = [];
    for (let x = 0; x < V; x++) {
      let ps = sub(at(PV, x), at(PV, m));
      for (let p = 1; p < K; p++) ps = max(ps, sub(at(PV, p * V + x), at(PV, p * V + m)));
      Rx.push(sub(at(E, m * V + x), at(E, m * V + m)));
      base.push(add(sub(at(Ebar, x), at(Ebar, m)), ps));
      ops.add(4 * K + 4);
    }
    const xs = [...Array(V).keys()].filter((x) => x !== m);
    const Rs = xs.map((x) => Rx[x]);
    const Rstar = Rs.reduce(max); const Rmin = Rs.reduce((a, b) => (sub(a, b).n <= 0n ? a : b));
    for (let c = 0; c < K; c++) {
      const row = gm[c];
      ensure(Array.isArray(row) && row.length === m + 1 && row.every((g) => Number.isSafeInteger(g) && g >= 0 && g <= m + 1), ctx.step, rule, `gaps[${m}][${c}] must hold m+1 integers in 0..m+1`);
      const ab: Dy = { n: num(s.abar[m][c]), e: F };
      const one: Dy = { n: 1n, e: 0 };
      const C = xs.map((x) => add(base[x], mul(ab, Rx[x]))).reduce(max);
      ops.add(3 * V);
      for (let q = 0; q <= m; q++) {
        const g = row[q];
        if (g === 0) continue;
        const where = `case q=${q} m=${m} c=${c} g=${g}`;
        if (c === 0) {
          ensure(q === m && g === 1, ctx.step, rule, `${where}: c = 0 needs q = m and g = 1`);
          const L = add(xs.map((x) => add(base[x], Rx[x])).reduce(max), at(delta, m));
          ensure(L.n < 0n, ctx.step, rule, `${where}: bound ${L.n}/2^${L.e} is not negative`);
          count += 1n; continue;
        }
        ensure(g <= m && (q === m || q <= m - g), ctx.step, rule, `${where}: needs g ≤ m and (q = m or q ≤ m − g)`);
        const Wg = Wpre[m - g];
        const Dl = sub(sub(at(Et, q * V + m), at(PM, q * V + m - g)), at(err, q));
        ops.add(4);
        // Grid index: smallest i with z_i = (base + i)/2^b ≥ −Δ (i = 0 when −Δ is below the grid).
        const zi = Dl.e >= grid.stepBits ? ceilShift(-Dl.n, Dl.e - grid.stepBits) : -Dl.n << BigInt(grid.stepBits - Dl.e);
        const idx = zi - BigInt(grid.base) < 0n ? 0 : Number(zi - BigInt(grid.base));
        const x = idx < grid.hi.length ? grid.hi[idx] : null;
        ensure(x !== null, ctx.step, rule, `${where}: e^(−rΔ) with Δ = ${Dl.n}/2^${Dl.e} needs exp-grid entry ${idx}, which is absent`);
        const o = q === m ? 1 : 0; // q = m: the query slot is a max slot, K−1−c non-query ones join it.
        const A = o ? preLo[q][K - 1 - c] + expP.lo[q * K + K - 1] : preLo[q][K - c];
        const B = o ? sufHi[q][K - 1 - c] : sufHi[q][K - c] + expP.hi[q * K + K - 1];
        const N: Dy = { n: A << BigInt(Fg), e: 0 }; const D: Dy = { n: (A << BigInt(Fg)) + x * B, e: 0 };
        const b0 = add(add(C, mul(sub(one, ab), Wg)), at(delta, q));
        const slope = (a: Dy) => (sub(a, ab).n >= 0n ? sub(Rstar, Wg) : sub(Rmin, Wg));
        // a_lo = N/D: D·b0 + (N − ā·D)·S < 0; and a = 1: b0 + (1 − ā)·S < 0.
        const aLoAbove = sub(N, mul(ab, D)).n >= 0n;
        const L1 = add(mul(D, b0), mul(sub(N, mul(ab, D)), aLoAbove ? sub(Rstar, Wg) : sub(Rmin, Wg)));
        const L2 = add(b0, mul(sub(one, ab), slope(one)));
        ops.add(24);
        ensure(D.n > 0n && L1.n < 0n && L2.n < 0n, ctx.step, rule, `${where}: largest wrong logit bound is not negative`);
        const free = o ? c : c - 1;
        count += binom(K - 1, free) * BigInt(m - g + 1) ** BigInt(free);
        ops.add(2 * free + 2);
      }
    }
  }
  return count;
}
