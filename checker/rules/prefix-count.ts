/**
 * prefix-count (SPEC §4.7): mechcert's proofs between subcubic and cubic, with key sets that are prefixes of the
 * vocabulary and exp enclosures shared through the exp grid.
 *
 * A case (q, m, c, top) is every sequence with query q at position K−1, max m, exactly c non-query positions holding
 * tokens of S = {0..top} (top < m) and the other K−1−c holding m (c ≤ K−2 when q < m, so that m occurs). It counts
 * C(K−1, c)·(top+1)^c sequences (1 when c = 0, which has no top). Cases are listed in strictly increasing (m, q, c),
 * so they are distinct, hence disjoint.
 *
 * Let X_m[·,x] = X[·,x] − X[·,m], ε the float32 margin (0 for an exact claim), and per slot p with token t_p
 * f_p(x) = EU_m[q,x] + EVOU_m[t_p,x] + PVOU_m[p,x] + ε, so that ℓ_x − ℓ_m + ε = Σ_p a_p·f_p(x) (Σ a_p = 1).
 * Dividing the attention weights by e^{r·(EQKE[q,m] + EQKP[q,σ_q])} leaves ŵ_p = ρ(t_p)·π_p with
 * ρ(t) = e^{r·(EQKE[q,t] − EQKE[q,m])} (ρ(m) = 1) and π_p in the expP enclosure [lo, hi]/2^F_P. For t < m,
 * ρ(t) ≤ ρ⁺(t), the exp-grid entry at EQKE[q,t] − EQKE[q,m] (gridEntry), and ρ̂(k) = the entry at
 * max_{t≤k} EQKE[q,t] − EQKE[q,m] bounds ρ(t) for every t ≤ k. Slot bounds, each valid for every x ≠ m:
 *   m slot (p < K−1):      f_p(x) ≤ Fm(x) = EU_m[q,x] + EVOU_m[m,x] + P°[x] + ε,  P°[x] = max_{p<K−1} PVOU_m[p,x]
 *   query slot:            f(x) = Fq(x) = EU_m[q,x] + EVOU_m[q,x] + PVOU_m[K−1,x] + ε
 *   token k ∈ S (p < K−1): ŵ_p·f_p(x) ≤ π_p·H(x), H ≥ 0 by the case's form:
 *     decoupled: H = ρ̂(top)·max(0, Kh), Kh = U + max_{t≤top} κ(t) + ε, and then Fm, Fq are replaced by their upper
 *       bounds M = U + κ(m) + ε and Q = U + A(q, K−1) + ε, where U = max_{x≠m} EU_m[q,x], A(t,p) = max_{x≠m}
 *       (EVOU[t,x] + PVOU[p,x]) − EVOU[t,m] − PVOU[p,m] and κ(t) = max_{p<K−1} A(t,p) (no V³ term: every table is
 *       a row maximum over x with m excluded, read off the row's two largest entries);
 *     output (case field out, −1 ≤ out ≤ top): H(x) = max(ρ̂(out)·max(0, B(x) + W_out(x)), max_{out<k≤top} ρ⁺(k)·
 *       max(0, B(x) + EVOU_m[k,x])), B(x) = EU_m[q,x] + P°[x] + ε, W_out(x) = max_{k≤out} EVOU_m[k,x] (the first
 *       term absent when out = −1): the tokens above out are bounded one by one, those up to out together.
 * Soundness: for each x (and for the decoupled form, for all x at once) Σ_p ŵ_p f_p(x) ≤ Σ_{p∈Pm} π_p·Fm(x) +
 * Σ_{p∉Pm, p<K−1} π_p·H(x) + query term, where Pm is the set of m positions; a term with a negative coefficient is
 * kept at its lower weight (a query token q < m has lower weight 0). With the true π this is affine in the
 * positional mass of Pm with slope Fm(x) − H(x) (H read without its 2^F_G scale), so over every layout it is largest
 * with m on the positions of smallest EQKP[q,·] when the slope is ≤ 0 and of largest otherwise (positionOrder,
 * checked sorted): that one layout is checked. The checked sum takes every weight at the end of its enclosure that
 * makes the term largest, so it bounds the true one; a negative sum gives, multiplied by the positive normaliser,
 * ℓ_x − ℓ_m + ε < 0 for every sequence of the case.
 * The label: mechcert/prefix promises the decoupled form only (no case has `out`), so that its length has no V³
 * term; mechcert/prefix-output and mechcert/prefix-budget (two provers' choices of output cases) may use both forms.
 * Work: prefixWork bounds the operations (the ops.add calls) from the cases' structure before any is checked;
 * beyond ctx.workLimit the step stops, not decided.
 */
import type { ExpGrid, ExpTable, StepContext } from '../context.js';
import { binomial } from '../arith/exact.js';
import { ensure, reject } from '../errors.js';
import { logitPaths, type Mat, type Shape } from '../model.js';
import type { Count } from '../ops.js';
import { ensureWork, pathWork } from '../work.js';
import { gridEntry } from './exp-grid.js';
import { marginDecimal, marginOnGrid } from './float32-margin.js';
import { checkPositionOrder } from './position-order.js';

export interface PrefixCase { q: number; m: number; c: number; top?: number; out?: number }
export interface PrefixCountStep { id: string; kind: 'prefix-count'; expP: string; grid: string; positionOrder: number[][]; cases: PrefixCase[] }

const RULE = 'prefix-count';
const big = (x: bigint, y: bigint) => (x > y ? x : y);

/** The exact tables of SPEC §4.7 over 2^exp, and the weights' sources. */
interface Tables {
  V: number; K: number; EU: bigint[]; EVOU: bigint[]; PVOU: bigint[]; eps: bigint;
  EQKE: Mat; PM: bigint[]; grid: ExpGrid; expP: ExpTable; order: number[][];
  /** U = max_{x≠m} EU_m[q,x] and A(t, p) (SPEC §4.7), each read off its row's two largest entries. */
  topEU: (q: number, m: number) => bigint; topA: (t: number, p: number, m: number) => bigint;
}

export function checkPrefixCount(step: PrefixCountStep, ctx: StepContext): bigint {
  const expP = ctx.resolve('expP', step.expP, 'exp-table');
  ensure(expP.source === 'EQKP', ctx.step, RULE, 'expP must be an exp-table over EQKP');
  const grid = ctx.resolve('grid', step.grid, 'exp-grid');
  checkPositionOrder(step.positionOrder, ctx, RULE);
  ensureWork(ctx, RULE, prefixWork(step.cases, validCases(step.cases, ctx), ctx.model), 'a prefix count');
  const t = tables(ctx, expP, grid, step.positionOrder);
  let count = 0n;
  let perMax: ReturnType<typeof maxTables> | null = null;
  let perQuery: ReturnType<typeof queryTables> | null = null;
  for (const cs of step.cases) {
    if (perMax?.m !== cs.m) perMax = maxTables(cs.m, t, ctx);
    if (perQuery?.q !== cs.q || perQuery.m !== cs.m) perQuery = queryTables(cs.q, perMax, t, ctx);
    const where = `case (q=${cs.q}, m=${cs.m}, c=${cs.c}${cs.top === undefined ? '' : `, top=${cs.top}`}${cs.out === undefined ? '' : `, out=${cs.out}`})`;
    if (cs.out === undefined) decoupledCase(cs, perMax, perQuery, t, ctx, where);
    else outputCase(cs, perMax, perQuery, t, ctx, where);
    count += cs.c === 0 ? 1n : binomial(t.K - 1, cs.c) * BigInt(cs.top! + 1) ** BigInt(cs.c);
  }
  return count;
}

/** Structure, order and label; returns how many (q, m) pairs and maxima the output form will prepare. */
function validCases(cases: PrefixCase[], ctx: StepContext): { pairs: number; maxima: number } {
  const { vocab: V, k: K } = ctx.model;
  let last = -1;
  let [pairs, maxima, prevPair, prevMax, output] = [0, 0, -1, -1, false];
  for (const [i, { q, m, c, top, out }] of cases.entries()) {
    const where = `case ${i} (q=${q}, m=${m}, c=${c})`;
    ensure(q <= m && m < V && c <= K - 1 && (q === m || c <= K - 2), ctx.step, RULE, `${where}: not a valid (q ≤ m < V, c) triple`);
    const key = (m * V + q) * K + c;
    ensure(key > last, ctx.step, RULE, `${where}: cases must be in strictly increasing (m, q, c) order (a duplicate or out of order)`);
    last = key;
    ensure((c === 0) === (top === undefined) && (top === undefined || top < m), ctx.step, RULE, `${where}: top must be present exactly when c ≥ 1, and below m`);
    ensure(out === undefined || out <= (top ?? -1), ctx.step, RULE, `${where}: out must be at most top (−1 when c = 0)`);
    if (out === undefined) continue;
    output = true;
    if (m * V + q !== prevPair) pairs++;
    if (m !== prevMax) maxima++;
    [prevPair, prevMax] = [m * V + q, m];
  }
  // mechcert/prefix promises the decoupled form only (no V³ term); the others may use the output form.
  const label = ctx.claim.strategy;
  ensure(label !== 'mechcert/prefix' || !output, ctx.step, RULE,
    `claim.strategy ${label} is not what the evidence proves: it uses the output form (mechcert/prefix-output or mechcert/prefix-budget)`);
  return { pairs, maxima };
}

/** An upper bound on the operations the check counts (its ops.add calls), from the cases' structure; exact below 2^53. */
export function prefixWork(cases: PrefixCase[], prep: { pairs: number; maxima: number }, s: Shape): number {
  const { vocab: V, k: K } = s;
  let w = pathWork(s, 'EU') + pathWork(s, 'EVOU') + pathWork(s, 'PVOU') + pathWork(s, 'EQKE') + 2 * V * V * K + 2 * V * V + V * V;
  w += V * (4 * K * V + 2 * V * K) + prep.pairs * 9 * V + prep.maxima * 2 * V * V;
  for (const { top, out } of cases) {
    const n = (top ?? -1) - (out ?? 0);
    w += 6 * K + 24 + (out === undefined ? 0 : 4 * n + (V - 1) * (13 + 5 * n));
  }
  return w;
}

function tables(ctx: StepContext, expP: ExpTable, grid: ExpGrid, order: number[][]): Tables {
  const { model, ops } = ctx;
  const { vocab: V, k: K } = model;
  // ε on the paths' grid, refined to at least 2^−64 for a float32 claim (marginOnGrid).
  const { exp, EU, EVOU, PVOU } = logitPaths(model, ctx.margin > 0n ? 64 : 0);
  const EQKE = model.EQKE;
  const PM = [...EQKE.num];
  for (let i = 0; i < PM.length; i++) if (i % V) PM[i] = big(PM[i], PM[i - 1]);
  const topEU = maxOut(V, V, (q, x) => EU[q * V + x]);
  // Row (t, p) of EVOU[t,·] + PVOU[p,·], entry by entry: never stored, so memory stays O(V² + VK).
  const topS = maxOut(V * K, V, (i, x) => EVOU[Math.floor(i / K) * V + x] + PVOU[(i % K) * V + x]);
  ops.add(V * V + 2 * V * V + 2 * V * V * K);
  return {
    V, K, EU, EVOU, PVOU, eps: marginOnGrid(ctx.margin, exp), EQKE, PM, grid, expP, order, topEU: (q, m) => topEU(q, m) - EU[q * V + m],
    topA: (t, p, m) => topS(t * K + p, m) - EVOU[t * V + m] - PVOU[p * V + m],
  };
}

/** Row r's maximum over the columns other than m, from the row's two largest entries (entry(r, x) is row r's x). */
function maxOut(rows: number, cols: number, entry: (r: number, x: number) => bigint): (r: number, m: number) => bigint {
  const top = Array.from({ length: rows }, (_, r) => {
    let a = entry(r, 0);
    let b: bigint | null = null;
    let at = 0;
    for (let x = 1; x < cols; x++) {
      const v = entry(r, x);
      if (v > a) {
        b = a;
        a = v;
        at = x;
      } else if (b === null || v > b) b = v;
    }
    return { a, b: b!, at };
  });
  return (r, m) => (top[r].at === m ? top[r].b : top[r].a);
}

/** Per max m: P°, the query position's PVOU_m, κ's prefix maxima, and W_k rows formed on first use. */
function maxTables(m: number, t: Tables, ctx: StepContext) {
  const { V, K, EVOU, PVOU } = t;
  const pv = (p: number, x: number) => PVOU[p * V + x] - PVOU[p * V + m];
  const Pnon = Array.from({ length: V }, (_, x) => {
    let a = pv(0, x);
    for (let p = 1; p < K - 1; p++) a = big(a, pv(p, x));
    return a;
  });
  const PQ = Array.from({ length: V }, (_, x) => pv(K - 1, x));
  const kappa = (k: number) => {
    let a = t.topA(k, 0, m);
    for (let p = 1; p < K - 1; p++) a = big(a, t.topA(k, p, m));
    return a;
  };
  const kappaPre: bigint[] = [];
  for (let k = 0; k < m; k++) kappaPre.push(k ? big(kappaPre[k - 1], kappa(k)) : kappa(k));
  ctx.ops.add(4 * K * V + 2 * V * K);
  const W: bigint[][] = [];
  /** W_k(x) = max_{k'≤k} EVOU_m[k',x], for k ≥ 0. */
  const Wrow = (k: number) => {
    while (W.length <= k) {
      const j = W.length;
      W.push(Array.from({ length: V }, (_, x) => (j ? big(W[j - 1][x], EVOU[j * V + x] - EVOU[j * V + m]) : EVOU[x] - EVOU[m])));
      ctx.ops.add(2 * V);
    }
    return W[k];
  };
  return { m, Pnon, PQ, kappaM: kappa(m), kappaPre, Wrow };
}

/** Per (q, m): U, the weights of the query slot, and (output form, formed on first use) B, Fm and Fq per output. */
function queryTables(q: number, mt: ReturnType<typeof maxTables>, t: Tables, ctx: StepContext) {
  const { V, K, EU, EVOU, eps, expP, grid } = t;
  const { m } = mt;
  const rho = (zTop: bigint, what: string, where = `(q=${q}, m=${m})`) => {
    const z = { n: zTop - t.EQKE.num[q * V + m], e: t.EQKE.exp };
    const { idx, x } = gridEntry(z, grid);
    return x ?? reject(ctx.step, RULE, `${where}: ρ for ${what} needs exp-grid entry ${idx}, which is absent`);
  };
  const one = 1n << BigInt(grid.fracBits);
  const [pLo, pHi] = [expP.lo[q * K + K - 1], expP.hi[q * K + K - 1]];
  // The query slot's weight: exactly π when q = m (ρ = 1); in [0, ρ⁺(q)·π_hi] when q < m.
  const qw = q === m ? { lo: pLo * one, hi: pHi * one } : { lo: 0n, hi: rho(t.EQKE.num[q * V + q], `the query token ${q}`) * pHi };
  let rows: { B: bigint[]; Fm: bigint[]; Fq: bigint[] } | null = null;
  const perOutput = () => {
    if (rows) return rows;
    const eu = (x: number) => EU[q * V + x] - EU[q * V + m];
    const B = Array.from({ length: V }, (_, x) => eu(x) + mt.Pnon[x] + eps);
    const Fm = B.map((b, x) => b + EVOU[m * V + x] - EVOU[m * V + m]);
    const Fq = B.map((_, x) => eu(x) + EVOU[q * V + x] - EVOU[q * V + m] + mt.PQ[x] + eps);
    ctx.ops.add(9 * V);
    return (rows = { B, Fm, Fq });
  };
  return {
    q, m, U: t.topEU(q, m), qw, one, perOutput,
    rhoHat: (k: number, where: string) => rho(t.PM[q * V + k], `the tokens 0..${k}`, where),
    rhoAt: (k: number, where: string) => rho(t.EQKE.num[q * V + k], `token ${k}`, where),
  };
}

type QueryTables = ReturnType<typeof queryTables>;

/** The masses of the m positions [lo, hi] and of the other non-query positions (hi), for both extreme layouts. */
function layouts(q: number, c: number, t: Tables, ctx: StepContext): Layout[] {
  const { K, expP } = t;
  const o = t.order[q];
  const nM = K - 1 - c;
  ctx.ops.add(6 * K);
  return [[0, nM], [c, K - 1]].map(([from, to]) => {
    let mLo = 0n;
    let mHi = 0n;
    let kHi = 0n;
    o.forEach((p, i) => {
      if (i < from || i >= to) kHi += expP.hi[q * K + p];
      else {
        mLo += expP.lo[q * K + p];
        mHi += expP.hi[q * K + p];
      }
    });
    return { mLo, mHi, kHi, at: `m on positions [${o.slice(from, to)}]` };
  });
}

interface Layout { mLo: bigint; mHi: bigint; kHi: bigint; at: string }

/** coefficient·weight at the end of [lo, hi] that makes the term largest. */
const term = (cf: bigint, lo: bigint, hi: bigint) => cf * (cf >= 0n ? hi : lo);

/**
 * The sum for an m-slot coefficient Fm, a non-max bound H ≥ 0 and the query term, at the layout where it is largest:
 * with the true weights the sum is affine in the m positions' mass with slope Fm·2^F_G − H (both over 2^(exp+F_G)),
 * so its largest value over all layouts is at layout A (m on the smallest weights) when the slope is ≤ 0, else B.
 */
function sum(Fm: bigint, H: bigint, query: bigint, [A, B]: Layout[], qt: QueryTables, ops: Count): { value: bigint; at: string } {
  const L = Fm * qt.one <= H ? A : B;
  ops.add(8);
  return { value: term(Fm, L.mLo * qt.one, L.mHi * qt.one) + L.kHi * H + query, at: L.at };
}

type MaxTables = ReturnType<typeof maxTables>;

/** The decoupled form: one sum for all outputs at once (SPEC §4.7). */
function decoupledCase(cs: PrefixCase, mt: MaxTables, qt: QueryTables, t: Tables, ctx: StepContext, where: string): void {
  const M = qt.U + mt.kappaM + t.eps;
  const Q = qt.U + t.topA(cs.q, t.K - 1, mt.m) + t.eps;
  const H = cs.top === undefined ? 0n : qt.rhoHat(cs.top, where) * big(0n, qt.U + mt.kappaPre[cs.top] + t.eps);
  ctx.ops.add(16);
  const s = sum(M, H, term(Q, qt.qw.lo, qt.qw.hi), layouts(cs.q, cs.c, t, ctx), qt, ctx.ops);
  ensure(s.value < 0n, ctx.step, RULE, () => notNegative(where, `the decoupled sum with ${s.at}`, ctx));
}

/** The output form: one sum per output x ≠ m, the tokens above out bounded one by one (SPEC §4.7). */
function outputCase(cs: PrefixCase, mt: MaxTables, qt: QueryTables, t: Tables, ctx: StepContext, where: string): void {
  const { V, EVOU } = t;
  const { m } = mt;
  const { B, Fm, Fq } = qt.perOutput();
  const out = cs.out!;
  const W = out >= 0 ? mt.Wrow(out) : null;
  const rhoOut = out >= 0 ? qt.rhoHat(out, where) : 0n;
  const singles = Array.from({ length: (cs.top ?? -1) - out }, (_, i) => ({ k: out + 1 + i, rho: qt.rhoAt(out + 1 + i, where) }));
  ctx.ops.add(16 + 4 * singles.length);
  const Ls = layouts(cs.q, cs.c, t, ctx);
  for (let x = 0; x < V; x++) {
    if (x === m) continue;
    let H = W ? rhoOut * big(0n, B[x] + W[x]) : 0n;
    for (const { k, rho } of singles) H = big(H, rho * big(0n, B[x] + EVOU[k * V + x] - EVOU[k * V + m]));
    ctx.ops.add((W ? 3 : 0) + 5 * singles.length + 2);
    const s = sum(Fm[x], H, term(Fq[x], qt.qw.lo, qt.qw.hi), Ls, qt, ctx.ops);
    ensure(s.value < 0n, ctx.step, RULE, () => notNegative(where, `output ${x} with ${s.at}`, ctx));
  }
}

/** The failure message: the sum, at a layout, for an output or for all. */
export const notNegative = (where: string, what: string, ctx: StepContext) =>
  `${where}: ${what} is not below 0 (the bound on ℓ_x − ℓ_m + ε, ε = ${marginDecimal(ctx.margin)})`;
