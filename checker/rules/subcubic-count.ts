/**
 * subcubic-count (SPEC §4.6): the 100 subcubic proofs of Gross et al. (2024), in a sound form.
 *
 * A case (q, m, c, g ≥ 1) is every sequence with query q, max m, exactly c positions ≠ m (the query included when
 * q < m) and every such token ≤ m − g. Premises, all recomputed here from the model and witnesses:
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
 *
 * The label: the variant names subcubic/<direct>/<attention>/<error> the evidence proves are derived from it
 * (variantsOf), and claim.strategy must be one of them, so that what is printed is what was verified.
 * Work: estimated from V, K, d_model, d_head and the modes before any path matrix is formed, and checked against
 * ctx.workLimit.
 */
import type { ExpGrid, ExpTable, StepContext } from '../context.js';
import { abs, binomial, parseInteger, type Dy } from '../arith/exact.js';
import { ensure, reject } from '../errors.js';
import { MAX_FRAC_BITS, MAX_PEEL_RANK } from '../limits.js';
import { constant, lin, matmul, rescale, transpose, type Mat, type Shape } from '../model.js';
import { ensureWork, matmulWork, mulCost, pathWork } from '../work.js';
import { gridEntry } from './exp-grid.js';
import { MARGIN_FRAC_BITS, marginDecimal } from './float32-margin.js';
import { checkPositionOrder } from './position-order.js';
import { add, at, max, min, mul, ONE, rowRange, spread, sub, ZERO } from './subcubic-linalg.js';

type Vec = string[] | null;
type Peel = { a: string[][]; b: string[][] } | null;
type Eqke = { mode: 'exact' } | { mode: 'factored'; peels: Peel[]; bound: 'exact' | 'row-norm' | 'split' | 'recursive'; at?: number[]; mu?: Vec[]; e?: string };
type Factored = Extract<Eqke, { mode: 'factored' }>;
export interface SubcubicCountStep {
  id: string; kind: 'subcubic-count'; expP: string; grid: string; fracBits: number;
  eu: { mode: 'exact-row' | 'exact-global' | 'factored'; mu?: string[] };
  eqke: Eqke;
  positionOrder: number[][]; abar: string[][]; gaps: number[][][];
}

const RULE = 'subcubic-count';

/** Parses the step's witnesses (n/2^fracBits), rejecting malformed ones. */
interface Reader { F: number; num(x: string | undefined): bigint; wit(rows: string[][], r: number, c: number, what: string): Mat }
function reader(F: number, ctx: StepContext): Reader {
  const num = (x: string | undefined): bigint => (x === undefined ? null : parseInteger(x)) ?? reject(ctx.step, RULE, `bad signed mantissa ${x}`);
  const wit = (rows: string[][], r: number, c: number, what: string): Mat => {
    ensure(rows.length === r && rows.every((row) => row.length === c), ctx.step, RULE, `${what} must be ${r}×${c}`);
    return { rows: r, cols: c, exp: F, num: rows.flat().map(num) };
  };
  return { F, num, wit };
}

export function checkSubcubicCount(s: SubcubicCountStep, ctx: StepContext): bigint {
  const expP = ctx.resolve('expP', s.expP, 'exp-table');
  ensure(expP.source === 'EQKP', ctx.step, RULE, 'expP must be an exp-table over EQKP');
  const grid = ctx.resolve('grid', s.grid, 'exp-grid');
  ensure(Number.isSafeInteger(s.fracBits) && s.fracBits >= 0 && s.fracBits <= MAX_FRAC_BITS, ctx.step, RULE, `fracBits out of range (0..${MAX_FRAC_BITS})`);
  const rd = reader(s.fracBits, ctx);
  const v = variantsOf(s, ctx, rd);
  const proved = v && v.directs.flatMap((d) => v.attentions.map((a) => `subcubic/${d}/${a}/${v.error}`));
  ensure(proved !== null && proved.includes(ctx.claim.strategy), ctx.step, RULE, () => `claim.strategy ${ctx.claim.strategy} is not what the evidence proves (${
    v ? `subcubic/${v.directs.join(' | ')}/${v.attentions.join(' | ')}/${v.error}` : 'none of the 100 variants'})`);
  ensureWork(ctx, RULE, subcubicWork(s, ctx.model), 'a subcubic count');
  const direct = directPath(s, ctx, rd);
  const attn = s.eqke.mode === 'exact' ? { Et: ctx.model.EQKE, err: constant(ctx.model.vocab, 1, ZERO) } : factoredAttention(s.eqke, ctx, rd);
  return countCases(s, ctx, rd, { ...direct, ...attn, grid, expP, ...positionSums(s, ctx, expP) });
}

// ——— The label ———

const ERROR_NAMES: Record<string, string> = {
  'exact_EQKE': 'exact_EQKE+max_diff_exact', 'exact 000': 'max_diff_exact', 'row-norm 000': 'svd',
  'split 3 000': 'max_diff', 'split 3 001': 'mean+max_diff',
  'split 1,2,3 000': 'max_diff_subproduct', 'split 1,2,3 111': 'mean+max_diff_subproduct',
  'recursive 000': 'max_diff_subproduct_recursive', 'recursive 100': 'mean+max_diff_subproduct_recursive',
  'recursive 111': 'mean_recursive+max_diff_subproduct_recursive',
};

/**
 * The variant names the evidence proves, as `subcubic/<directs>/<attentions>/<error>` alternatives (null: none of the
 * 100). Direct: exact-row ↦ max_diff_exact, exact-global ↦ global_max_diff_exact, factored without μ ↦ max_diff,
 * with μ ↦ svd_query+max_diff (the evidence cannot show how μ was found), and also mean_query+max_diff when μ is E_q's
 * mean row to within 2^−fracBits per entry. Attention: mean_query+diff (any ā), and also drop_average_… when every
 * ā is 0. Error: from eqke's mode, bound, split points and which levels carry a μ (ERROR_NAMES); peels do not enter.
 */
function variantsOf(s: SubcubicCountStep, ctx: StepContext, rd: Reader): { directs: string[]; attentions: string[]; error: string } | null {
  const directs = s.eu.mode === 'exact-row' ? ['max_diff_exact'] : s.eu.mode === 'exact-global' ? ['global_max_diff_exact']
    : s.eu.mu === undefined ? ['max_diff']
      : isMeanRow(rd.wit([s.eu.mu], 1, ctx.model.weights.Eq.cols, 'eu.mu'), ctx) ? ['mean_query+max_diff', 'svd_query+max_diff'] : ['svd_query+max_diff'];
  const attentions = s.abar.flat().every((x) => rd.num(x) === 0n) ? ['mean_query+diff', 'drop_average_query_per_output_logit_reasoning'] : ['mean_query+diff'];
  const error = ERROR_NAMES[errorKey(s.eqke)];
  return error === undefined ? null : { directs, attentions, error };
}

/** ERROR_NAMES's key of eqke: its mode, or its bound, split points and which levels carry a μ. */
function errorKey(eq: Eqke): string {
  if (eq.mode === 'exact') return 'exact_EQKE';
  const at = eq.bound === 'split' ? ` ${[...(eq.at ?? [])].sort().join(',')}` : '';
  return `${eq.bound}${at} ${eq.mu?.map((v) => (v === null ? '0' : '1')).join('') ?? '000'}`;
}

/** |μ_j − mean_q E_q[q,j]| ≤ 2^−F for every j: |μ_j·V·2^e − S_j·2^F| ≤ V·2^e with S_j = Σ_q E_q.num[q,j]. */
function isMeanRow(mu: Mat, ctx: StepContext): boolean {
  const { Eq } = ctx.model.weights;
  const V = BigInt(Eq.rows);
  ctx.ops.add(Eq.num.length + 4 * Eq.cols);
  return mu.num.every((m, j) => {
    let S = 0n;
    for (let q = 0; q < Eq.rows; q++) S += Eq.num[q * Eq.cols + j];
    return abs((m * V << BigInt(Eq.exp)) - (S << BigInt(mu.exp))) <= V << BigInt(Eq.exp);
  });
}

// ——— Work ———

/** An upper estimate of the ops this step counts, from shapes and modes only (before any path matrix is formed). */
function subcubicWork(s: SubcubicCountStep, M: Shape): number {
  const { vocab: V, k: K, dHead: h } = M;
  const d = M.dModel + 1; // with biases folded in, the weights have one more residual dimension (SPEC §1)
  const n = Math.max(V, d, h);
  let w = pathWork(M, 'EVOU') + pathWork(M, 'PVOU') + pathWork(M, 'EQKP');
  w += s.eu.mode === 'factored' ? matmulWork(1, d, V) + 8 * V * d : pathWork(M, 'EU') + 4 * V * V;
  if (s.eqke.mode === 'exact') w += pathWork(M, 'EQKE');
  else {
    // Four peels of rank ≤ R (F_i, then Ẽ's telescoped terms: ≤ 6 chain products each and one V×R×V product) ...
    const R = MAX_PEEL_RANK;
    let peel = 4 * (matmulWork(n, R, n) + 6 * matmulWork(R, n, n) + matmulWork(V, R, V) + 4 * n * n);
    // ... and every chain product a bound may form (F1⋯F_j, F_i⋯F4, row-norm's F4F4ᵀ and L·(F4F4ᵀ)), plus vectors.
    peel += matmulWork(V, d, h) + matmulWork(V, h, d) + matmulWork(V, d, V) + matmulWork(d, h, d) + matmulWork(d, d, V)
      + matmulWork(h, d, V) + matmulWork(d, V, d) + matmulWork(V, d, d) + 16 * n * n;
    // Each over products of at most four factors F_i = X_i − a_i·b_i, whose entries over a common power of two have
    // at most b bits: a weight's, or a product of two witnesses of ≤ MAX_NUMBER_CHARS digits over 2^fracBits.
    const digits = (JSON.stringify([s.eqke.peels, s.eqke.mu]).match(/[0-9]+/g) ?? []).reduce((a, x) => Math.max(a, x.length), 0);
    const b = Math.max(M.bits, 2 * (Math.ceil(digits * Math.log2(10)) + s.fracBits)) + 10;
    w += peel * mulCost(3 * b, b);
  }
  return w + V * V * K * (40 + 2 * K) + 16 * V * V + 4 * K * V;
}

// ——— Direct path: Ē (1×V) and δ (V×1) ———

function directPath(s: SubcubicCountStep, ctx: StepContext, rd: Reader): { Ebar: Mat; delta: Mat } {
  const { model: M, ops } = ctx;
  const V = M.vocab;
  const W = M.weights;
  const Ebar = constant(1, V, ZERO);
  if (s.eu.mode === 'factored') {
    const mu = s.eu.mu === undefined ? null : rd.wit([s.eu.mu], 1, W.Eq.cols, 'eu.mu');
    return { Ebar: mu ? matmul(mu, W.U, ops) : Ebar, delta: spread(W.Eq, rowRange(W.U, ops), mu, ZERO, ops) };
  }
  const delta = rowRange(M.EU, ops);
  if (s.eu.mode !== 'exact-global') return { Ebar, delta };
  return { Ebar, delta: constant(V, 1, at(rowRange({ ...M.EU, rows: 1, cols: V * V }, ops), 0)) };
}

// ——— Attention: Ẽ (V×V) and err (V×1) for a factored EQKE ———

function factoredAttention(eq: Factored, ctx: StepContext, rd: Reader): { Et: Mat; err: Mat } {
  const { model: M, ops } = ctx;
  const W = M.weights;
  // The residual width is W.Eq.cols: d_model, or d_model + 1 with the biases folded in (SPEC §1).
  const X = [W.Eq, W.Q, transpose(W.K), transpose(W.E)];
  const dims = X.map((x) => [x.rows, x.cols]);
  ensure(Array.isArray(eq.peels) && eq.peels.length === 4, ctx.step, RULE, 'eqke.peels must have 4 entries');
  const Pl = eq.peels.map((p, i) => {
    if (p === null) return null;
    const rk = p.b.length;
    ensure(rk >= 1 && rk <= MAX_PEEL_RANK, ctx.step, RULE, `peel ${i + 1}: rank must be 1..${MAX_PEEL_RANK}`);
    return { a: rd.wit(p.a, dims[i][0], rk, `peel ${i + 1}.a`), b: rd.wit(p.b, rk, dims[i][1], `peel ${i + 1}.b`) };
  });
  const Fm = X.map((x, i) => { const p = Pl[i]; return p ? lin(x, matmul(p.a, p.b, ops), -1n, ops) : x; });
  const Et = telescoped(X, Fm, Pl, M.vocab, ops);
  ensure(eq.mu === undefined || eq.mu.length === 3, ctx.step, RULE, 'eqke.mu must have 3 entries');
  const mus = (eq.mu ?? [null, null, null]).map((v, i) => (v === null ? null : rd.wit([v], 1, dims[i][1], `eqke.mu[${i}]`)));
  return { Et, err: errorBound(eq, chains(Fm, ops), Fm, mus, ctx, rd) };
}

/** Ẽ = X1X2X3X4 − F1F2F3F4 = P1·X2X3X4 + F1·P2·X3X4 + F1F2·P3·X4 + F1F2F3·P4 (telescoping; exact for any peels). */
function telescoped(X: Mat[], Fm: Mat[], Pl: ({ a: Mat; b: Mat } | null)[], V: number, ops: StepContext['ops']): Mat {
  let Et = constant(V, V, ZERO);
  for (let i = 0; i < 4; i++) {
    const p = Pl[i];
    if (!p) continue;
    const right = X.slice(i + 1).reduce((R, x) => matmul(R, x, ops), p.b);
    const left = Fm.slice(0, i).reduceRight((L, F) => matmul(F, L, ops), p.a); // F1⋯F_{i−1}·a_i, right to left: O((V + d)·d·rank)
    Et = lin(Et, matmul(left, right, ops), 1n, ops);
  }
  return Et;
}

/** F_i⋯F_j, each product formed once (left to right). */
function chains(Fm: Mat[], ops: StepContext['ops']): (i: number, j: number) => Mat {
  const memo = new Map<string, Mat>();
  const chain = (i: number, j: number): Mat => {
    const key = `${i},${j}`;
    if (!memo.has(key)) memo.set(key, j === i ? Fm[i] : matmul(chain(i, j - 1), Fm[j], ops));
    return memo.get(key)!;
  };
  return chain;
}

/** err[q] ≥ the row spread of Res = F1F2F3F4, by the bound the step names. */
function errorBound(eq: Factored, chain: (i: number, j: number) => Mat, Fm: Mat[], mus: (Mat | null)[], ctx: StepContext, rd: Reader): Mat {
  const { ops } = ctx;
  /** range(μ·F_i⋯F4), the vector-matrix chain taken left to right. */
  const rangeMu = (mu: Mat | null, i: number): Dy => (mu ? at(rowRange(Fm.slice(i).reduce((v, F) => matmul(v, F, ops), mu), ops), 0) : ZERO);
  switch (eq.bound) {
    case 'exact': return rowRange(chain(0, 3), ops);
    case 'row-norm': return rowNormBound(eq, chain, Fm, ctx, rd);
    case 'split': {
      const pts = eq.at ?? [];
      ensure(pts.length >= 1 && pts.every((p) => p === 1 || p === 2 || p === 3) && new Set(pts).size === pts.length, ctx.step, RULE, 'eqke.at must list split points 1..3');
      const bs = pts.map((p) => spread(chain(0, p - 1), rowRange(chain(p, 3), ops), mus[p - 1], rangeMu(mus[p - 1], p), ops));
      const e = Math.max(...bs.map((b) => b.exp));
      ops.add(Fm[0].rows * bs.length);
      return { rows: Fm[0].rows, cols: 1, exp: e, num: bs.map((b) => rescale(b, e).num).reduce((x, y) => x.map((v, i) => (y[i] < v ? y[i] : v))) };
    }
    case 'recursive': {
      let b = rowRange(Fm[3], ops);
      for (let i = 2; i >= 0; i--) b = spread(Fm[i], b, mus[i], rangeMu(mus[i], i + 1), ops);
      return b;
    }
  }
}

/** √2·‖Res[q,:]‖₂ ≥ Res[q,i] − Res[q,j]: checked as e ≥ 0, e² ≥ 2·L[q] (F4F4ᵀ) L[q]ᵀ with L = F1F2F3. */
function rowNormBound(eq: Factored, chain: (i: number, j: number) => Mat, Fm: Mat[], ctx: StepContext, rd: Reader): Mat {
  const { ops } = ctx;
  const e: Dy = { n: rd.num(eq.e), e: rd.F };
  ensure(e.n >= 0n, ctx.step, RULE, 'row-norm bound e must be ≥ 0');
  const L = chain(0, 2);
  const G = matmul(L, matmul(Fm[3], transpose(Fm[3]), ops), ops);
  const V = L.rows; const d = L.cols;
  for (let q = 0; q < V; q++) {
    let n2: Dy = ZERO;
    for (let j = 0; j < d; j++) n2 = add(n2, mul(at(G, q * d + j), at(L, q * d + j)));
    ops.add(2 * d + 3);
    ensure(sub(mul(e, e), mul({ n: 2n, e: 0 }, n2)).n >= 0n, ctx.step, RULE, `row-norm bound e is below √2·‖residual row ${q}‖`);
  }
  return constant(V, 1, e);
}

// ——— Positions: order checked against exact EQKP; lo prefix sums and hi suffix sums of e^{r·EQKP} along it ———

function positionSums(s: SubcubicCountStep, ctx: StepContext, expP: ExpTable): { preLo: bigint[][]; sufHi: bigint[][] } {
  const { vocab: V, k: K } = ctx.model;
  checkPositionOrder(s.positionOrder, ctx, RULE);
  const preLo: bigint[][] = []; const sufHi: bigint[][] = [];
  for (let q = 0; q < V; q++) {
    const o = s.positionOrder[q];
    preLo.push([0n]); sufHi.push(new Array<bigint>(K).fill(0n));
    for (let i = 0; i < K - 1; i++) preLo[q].push(preLo[q][i] + expP.lo[q * K + o[i]]);
    for (let i = K - 2; i >= 0; i--) sufHi[q][i] = sufHi[q][i + 1] + expP.hi[q * K + o[i]];
    ctx.ops.add(3 * K);
  }
  return { preLo, sufHi };
}

// ——— Cases ———

interface Premises { Ebar: Mat; delta: Mat; Et: Mat; err: Mat; grid: ExpGrid; expP: ExpTable; preLo: bigint[][]; sufHi: bigint[][] }
/** Per max token m: R(x), base(x) = Ē_m[x] + P*[x], the other tokens xs, R* and R_min over them. */
interface MaxToken { m: number; Rx: Dy[]; base: Dy[]; xs: number[]; Rstar: Dy; Rmin: Dy }
/** Per cell row (m, c): the witness ā and C = max_x (base(x) + ā·R(x)). */
interface Cell { c: number; ab: Dy; C: Dy }

function countCases(s: SubcubicCountStep, ctx: StepContext, rd: Reader, pr: Premises): bigint {
  const { vocab: V, k: K } = ctx.model;
  const PM = prefixMax(pr.Et, ctx);
  const Wpre = rangePrefixMax(ctx);
  ensure(Array.isArray(s.gaps) && s.gaps.length === V && Array.isArray(s.abar) && s.abar.length === V, ctx.step, RULE, 'gaps and abar need one entry per max token');
  let count = 0n;
  for (let m = 0; m < V; m++) {
    const gm = s.gaps[m];
    ensure(Array.isArray(gm) && gm.length === K && Array.isArray(s.abar[m]) && s.abar[m].length === K, ctx.step, RULE, `gaps[${m}] needs K rows and abar[${m}] K entries`);
    const mt = maxToken(m, pr.Ebar, ctx);
    for (let c = 0; c < K; c++) {
      const row = gm[c];
      ensure(Array.isArray(row) && row.length === m + 1 && row.every((g) => Number.isSafeInteger(g) && g >= 0 && g <= m + 1), ctx.step, RULE, `gaps[${m}][${c}] must hold m+1 integers in 0..m+1`);
      const ab: Dy = { n: rd.num(s.abar[m][c]), e: rd.F };
      const cell: Cell = { c, ab, C: mt.xs.map((x) => add(mt.base[x], mul(ab, mt.Rx[x]))).reduce(max) };
      ctx.ops.add(3 * V);
      for (let q = 0; q <= m; q++) {
        const g = row[q];
        if (g === 0) continue;
        count += c === 0 ? allMaxCase(q, g, mt, pr, ctx) : gapCase(q, g, mt, cell, { PM, Wpre, pr }, ctx);
      }
    }
  }
  return count;
}

/** Row prefix maxima of Ẽ: PM[q, j] = max_{k≤j} Ẽ[q, k]. */
function prefixMax(Et: Mat, ctx: StepContext): Mat {
  const V = Et.cols;
  const PM: Mat = { ...Et, num: [...Et.num] };
  for (let i = 0; i < Et.num.length; i++) if (i % V && PM.num[i - 1] > PM.num[i]) PM.num[i] = PM.num[i - 1];
  ctx.ops.add(Et.num.length);
  return PM;
}

/** Wpre[k] = max_{k' ≤ k} range(EVOU[k', ·]). */
function rangePrefixMax(ctx: StepContext): Dy[] {
  const rr = rowRange(ctx.model.EVOU, ctx.ops);
  const Wpre: Dy[] = [];
  rr.num.forEach((x, k) => Wpre.push(k && Wpre[k - 1].n > x ? Wpre[k - 1] : { n: x, e: rr.exp }));
  return Wpre;
}

function maxToken(m: number, Ebar: Mat, ctx: StepContext): MaxToken {
  const { vocab: V, k: K, EVOU: E, PVOU: PV } = ctx.model;
  const Rx: Dy[] = []; const base: Dy[] = [];
  for (let x = 0; x < V; x++) {
    let ps = sub(at(PV, x), at(PV, m));
    for (let p = 1; p < K; p++) ps = max(ps, sub(at(PV, p * V + x), at(PV, p * V + m)));
    Rx.push(sub(at(E, m * V + x), at(E, m * V + m)));
    base.push(add(sub(at(Ebar, x), at(Ebar, m)), ps));
    ctx.ops.add(4 * K + 4);
  }
  const xs = [...Array(V).keys()].filter((x) => x !== m);
  const Rs = xs.map((x) => Rx[x]);
  return { m, Rx, base, xs, Rstar: Rs.reduce(max), Rmin: Rs.reduce(min) };
}

/** ε, the float32 rounding margin (0 for an exact claim), as a scalar. */
const margin = (ctx: StepContext): Dy => ({ n: ctx.margin, e: MARGIN_FRAC_BITS });

/** c = 0: the sequence m…m (q = m, g = 1); attention is all on m. */
function allMaxCase(q: number, g: number, mt: MaxToken, pr: Premises, ctx: StepContext): bigint {
  const where = `case q=${q} m=${mt.m} c=0 g=${g}`;
  ensure(q === mt.m && g === 1, ctx.step, RULE, `${where}: c = 0 needs q = m and g = 1`);
  const L = add(mt.xs.map((x) => add(mt.base[x], mt.Rx[x])).reduce(max), at(pr.delta, mt.m));
  ensure(add(L, margin(ctx)).n < 0n, ctx.step, RULE, () => `${where}: bound ${L.n}/2^${L.e} is not below −ε = −${marginDecimal(ctx.margin)} (the float32 rounding margin; 0 for an exact claim)`);
  return 1n;
}

/** c ≥ 1: the bound L < 0 at a_lo and at 1 (SPEC §4.6); returns the cell's count C(K−1, c')·(m − g + 1)^{c'}. */
function gapCase(q: number, g: number, mt: MaxToken, cell: Cell, t: { PM: Mat; Wpre: Dy[]; pr: Premises }, ctx: StepContext): bigint {
  const { m } = mt; const { c, ab, C } = cell; const { pr } = t;
  const { vocab: V, k: K } = ctx.model;
  const where = `case q=${q} m=${m} c=${c} g=${g}`;
  ensure(g <= m && (q === m || q <= m - g), ctx.step, RULE, `${where}: needs g ≤ m and (q = m or q ≤ m − g)`);
  const Wg = t.Wpre[m - g];
  const Dl = sub(sub(at(pr.Et, q * V + m), at(t.PM, q * V + m - g)), at(pr.err, q));
  ctx.ops.add(4);
  const { idx, x } = gridEntry({ n: -Dl.n, e: Dl.e }, pr.grid);
  ensure(x !== null, ctx.step, RULE, `${where}: e^(−rΔ) with Δ = ${Dl.n}/2^${Dl.e} needs exp-grid entry ${idx}, which is absent`);
  const o = q === m ? 1 : 0; // q = m: the query slot is a max slot, K−1−c non-query ones join it.
  const { lo, hi } = pr.expP;
  const A = o ? pr.preLo[q][K - 1 - c] + lo[q * K + K - 1] : pr.preLo[q][K - c];
  const B = o ? pr.sufHi[q][K - 1 - c] : pr.sufHi[q][K - c] + hi[q * K + K - 1];
  const Fg = pr.grid.fracBits;
  const N: Dy = { n: A << BigInt(Fg), e: 0 }; const D: Dy = { n: (A << BigInt(Fg)) + x * B, e: 0 };
  const b0 = add(add(C, mul(sub(ONE, ab), Wg)), at(pr.delta, q));
  // h(a) with t = a − ā: t·(R* − W) for t ≥ 0, t·(R_min − W) below. At a_lo = N/D, times D > 0:
  // D·b0 + h(N − ā·D) < 0; at a = 1: b0 + h(1 − ā) < 0.
  const h = (t: Dy) => mul(t, sub(t.n >= 0n ? mt.Rstar : mt.Rmin, Wg));
  const L1 = add(mul(D, b0), h(sub(N, mul(ab, D))));
  const L2 = add(b0, h(sub(ONE, ab)));
  ctx.ops.add(24);
  // Below −ε (0 for an exact claim): at a_lo, L1/D + ε < 0 ⟺ L1 + D·ε < 0 (D > 0).
  const eps = margin(ctx);
  ensure(D.n > 0n && add(L1, mul(D, eps)).n < 0n && add(L2, eps).n < 0n, ctx.step, RULE, () => `${where}: largest wrong logit bound is not below −ε = −${marginDecimal(ctx.margin)} (the float32 rounding margin; 0 for an exact claim)`);
  const free = o ? c : c - 1;
  ctx.ops.add(2 * free + 2);
  return binomial(K - 1, free) * BigInt(m - g + 1) ** BigInt(free);
}
