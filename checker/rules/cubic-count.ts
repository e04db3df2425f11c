/**
 * cubic-count (SPEC §4.3): the cubic proof of Gross et al. (2024), with the case split and the bounds supplied as hints.
 *
 * Per max m (exact): U[q] = max_{x≠m} EU_m[q,x], P*[x] = max_p PVOU_m[p,x], W[t] = max_{x≠m} (EVOU_m[t,x] + P*[x]),
 * and for the joint form P°[x] = max_{p<K−1} PVOU_m[p,x] (non-query positions), PQ[x] = PVOU_m[K−1,x] (the query
 * position), where X_m[·,x] = X[·,x] − X[·,m]. Slot (t, p) has weight w ∈ [eE_lo[q,t]·eP_lo[q,p],
 * eE_hi[q,t]·eP_hi[q,p]]·2^−2F, taken at its upper end where its coefficient is ≥ 0 and its lower end otherwise
 * ("sel" below). A case (q, m, c, b) with b < 0 verifies when:
 *   q = m, c = 0:  max_{x≠m} (EU_m[m,x] + EVOU_m[m,x] + P*[x]) ≤ b
 *   q < m, c = 0:  for all x ≠ m:  Σ_slots sel·(EU_m[q,x] + P*[x] + EVOU_m[t_slot,x] − b) ≤ 0
 *   c ≥ 1:         for all k ∈ good, both extreme layouts:
 *                    k ∉ joint (decoupled form):  Σ_slots sel·(U[q] + W[t_slot] − b) ≤ 0
 *                    k ∈ joint (joint form):      for all x ≠ m:  Σ_slots sel·(EU_m[q,x] + P_slot[x] + EVOU_m[t_slot,x] − b) ≤ 0
 *                  with P_slot = PQ for the query slot and P° for the others
 *   ⟹  every sequence of the case is correct; it counts 1 (c = 0) or C(K−1, c)·|good|^c.
 * `joint` (a hex bitmask, a non-empty subset of good, only when c ≥ 1) is the prover's hint of which tokens need the
 * joint form; the checker applies each form exactly where the hint says and never searches.
 *
 * Soundness (SPEC §4.3): (1) Σ a_p = 1 gives ℓ_x − ℓ_m ≤ U[q] + Σ a_p W[t_p] (and the c = 0 forms); for the joint
 * form, ℓ_x − ℓ_m = Σ_p a_p (EU_m[q,x] + PVOU_m[p,x] + EVOU_m[t_p,x]) ≤ Σ_p a_p (EU_m[q,x] + P_slot[x] + EVOU_m[t_p,x])
 * for each x separately, since PVOU_m[p,x] ≤ P°[x] for p < K−1 and the query slot is always at p = K−1. Every slot's
 * coefficient depends only on its token and on whether it is the query slot, never on the position of a non-query
 * slot, so: (2) with the query slot fixed and one non-max token k, Z·(bound − b) (for the decoupled form, and for
 * each x of the joint form) is affine in the positional mass of the m-slots, so it is largest at the two layouts
 * that put m on the positions of smallest or largest EQKP[q,·] (positionOrder, checked sorted); (3) a mixed fill is
 * the convex combination, with weights eP[q,p]/Σ eP over the non-max positions, of pure fills at the same layout,
 * for the decoupled quantity and for each x of the joint one. Fills may mix tokens checked in either form: the joint
 * coefficients are ≤ the decoupled ones slot by slot (EU_m[q,x] ≤ U[q], P_slot[x] ≤ P*[x], EVOU_m[t,x] + P*[x] ≤
 * W[t]) and the weights are positive, so a decoupled pass at a layout gives every x's joint quantity ≤ 0 there too;
 * the convex combination of the pure fills' joint quantities for one x is then ≤ 0 for every x;
 * (4) each checked sum bounds Z·(ℓ_x − ℓ_m − b) from above with Z > 0, so ℓ_x − ℓ_m ≤ b < 0.
 * Cases with distinct (q, m, c) describe disjoint sets of sequences; duplicates are rejected.
 * The cases of each max m are one independent piece (checkMax), which returns the indices of the cases it verified
 * and their counts; sumCases then checks that every case of the step was verified exactly once (coverage) and sums
 * the counts. With several threads (checker/parallel.ts) pieces run on worker threads, while the validation of
 * positionOrder and of the case split (cubicData: structure, duplicates) and sumCases stay on the main thread.
 * Screen (scaled integers in float64; it decides nothing the exact sum would not): each checked sum S is first bounded
 * from above by S⁺ with S ≤ κ·S⁺ for a κ > 0, and only where S⁺ > 0 is S evaluated exactly (BigInt), so verdicts,
 * their order, the messages and the operation count are those of the exact check written above. With the case's
 * b = b.p/b.q, each coefficient is b.q·(v − β), β = b·2^exp, v a sum of at most three centred path entries (or maxima
 * of them); its screen value is C⁺ = v⁺ + nb, where v⁺ sums the entries rounded up (X[r,x] rounded up less X[r,m]
 * rounded down, both to multiples of 2^s after subtracting X[r,0], which centring cancels; maxima of upper values
 * bound the maxima) and nb = ceil(−β/2^s), so C⁺ ≥ (v − β)/2^s. Weights eE[q,t]·mass are rounded up (hi) and down
 * (lo) by 2^(σ+ρ+r): eE to EB bits per (q, m) (σ; from a float rounded up or down to 53 bits), EQKP per row q (ρ),
 * their product by 2^r to WB bits; lo ≥ 0. All terms of one sum share q, m and so the scale, and term by term
 * sel(C)·C ≤ κ·C⁺·(C⁺ ≥ 0 ? w⁺_hi : w⁻_lo) (as in brute-force-count). Exactness: the rounded tables are checked to be
 * ≤ 2^PB (paths) and ≤ 2^EB (EQKP), and a case's eE row ≤ 2^EB and nb ≤ 2^(PB+3), else its screen is NaN and
 * decides nothing; then |v⁺| < 2^(PB+3), |C⁺| ≤ 2^(PB+4), eE·mass ≤ (K−1)·2^(2EB) < 2^52, weights ≤ 2^WB, and a sum
 * of at most three terms ≤ 3·2^(PB+4+WB) < 2^53, so every value is an integer held exactly.
 * Work: cubicWork counts the operations of the cases from their structure (c, |good|, |joint|) before any is
 * checked; it is exact for a certificate that verifies, and the step stops, not decided, beyond ctx.workLimit.
 */
import type { StepContext } from '../context.js';
import { binomial, bitLength, ceilDiv, ceilShift, floorShift, parseRational } from '../arith/exact.js';
import { ensure, reject } from '../errors.js';
import { MAX_K, MAX_NUMBER_CHARS } from '../limits.js';
import { logitPaths } from '../model.js';
import type { Count } from '../ops.js';
import { ensureWork, pathWork } from '../work.js';
import { MARGIN_FRAC_BITS, marginDecimal } from './float32-margin.js';
import { checkPositionOrder } from './position-order.js';

export interface CubicCase {
  q: number;
  m: number;
  c: number;
  good?: string;
  joint?: string;
  bound: string;
}

export interface CubicCountStep {
  id: string;
  kind: 'cubic-count';
  expE: string;
  expP: string;
  positionOrder: number[][];
  cases: CubicCase[];
}

const RULE = 'cubic-count';

/**
 * A validated case: its index in step.cases, the good and joint bitmasks (hex, decoded where the case is checked, so
 * that memory stays proportional to the certificate), the bound, and how many sequences it covers.
 */
export interface CubicItem {
  i: number;
  q: number;
  c: number;
  bound: string;
  good?: string;
  joint?: string;
  b: { p: bigint; q: bigint };
  n: bigint;
}

/**
 * Everything the per-max check needs, as plain data (structured-cloneable, so worker threads can receive it): the
 * exact logit paths, the exp-table ends, positionOrder, and the validated cases grouped by m in order of first
 * appearance (the order in which the single-threaded check verifies them).
 */
export interface CubicData {
  V: number;
  K: number;
  exp: number;
  EU: bigint[];
  EVOU: bigint[];
  PVOU: bigint[];
  eEhi: bigint[];
  eElo: bigint[];
  ePhi: bigint[];
  ePlo: bigint[];
  order: number[][];
  /** The float screen's tables (see the header): paths and exp-table ends rounded up (…u) and down (…d). */
  f: { s: number; r: number; EUu: Float64Array; EUd: Float64Array; EVu: Float64Array; EVd: Float64Array; PVu: Float64Array; PVd: Float64Array; eEu: Float64Array; eEd: Float64Array; ePu: Float64Array; ePd: Float64Array };
  cases: number;
  groups: { m: number; items: CubicItem[] }[];
}

/** The tokens of a validated hex bitmask, ascending. */
function bits(hex: string): number[] {
  const out: number[] = [];
  for (let i = hex.length - 1, k = 0; i >= 0; i--, k += 4) {
    const nibble = parseInt(hex[i], 16);
    for (let j = 0; j < 4; j++) if ((nibble >> j) & 1) out.push(k + j);
  }
  return out;
}

/** Number of set bits of a hex bitmask. */
const popcount = (hex: string) => bits(hex).length;

/**
 * The operations checkMax counts for the cases of one max m (all verified), from their structure alone: the per-max
 * tables, then per case the forms its (q, c) takes (see checkMax's ops.add calls). Every term is below 2^40 and
 * there are at most V²K distinct cases, so sums stay exact below 2^53.
 */
export function caseWork(V: number, K: number, c: number, qIsM: boolean, nGood: number, nJoint: number): number {
  if (c === 0) return qIsM ? 5 * V : 2 * (K - 1) + 16 * (V - 1);
  const perLayout = 2 * (K - 1 - c) + 3 * V + 12 + 8 * (nGood - nJoint) + (nJoint > 0 ? 16 * V + 8 * nJoint * (V - 1) : 0);
  return 2 * (K - 1) + 2 * perLayout;
}

/** Resolves the cited tables, checks positionOrder and the case split (duplicates, structure), bounds the work, builds the data. */
export function cubicData(step: CubicCountStep, ctx: StepContext): CubicData {
  const { model } = ctx;
  const { vocab: V, k: K } = model;
  const at = ctx.step;
  const tE = ctx.resolve('expE', step.expE, 'exp-table');
  const tP = ctx.resolve('expP', step.expP, 'exp-table');
  ensure(tE.source === 'EQKE' && tP.source === 'EQKP', at, RULE, 'expE must be a table over EQKE and expP over EQKP');

  checkPositionOrder(step.positionOrder, ctx, RULE);
  const order = step.positionOrder;

  // Validate the case split, group it by m, and add up the work it will take.
  const seen = new Set<number>();
  const byMax = new Map<number, CubicItem[]>();
  const withJoint = new Set<number>();
  let work = pathWork(model, 'EU') + pathWork(model, 'EVOU') + pathWork(model, 'PVOU');
  step.cases.forEach((cs, i) => {
    const { q, m, c } = cs;
    const where = `case ${i} (q=${q}, m=${m}, c=${c})`;
    ensure(q <= m && m < V && c <= K - 1 && (q === m || c <= K - 2), at, RULE, `${where}: not a valid (q ≤ m < V, c) triple`);
    const key = (q * V + m) * K + c;
    ensure(!seen.has(key), at, RULE, `${where}: duplicate case`);
    seen.add(key);
    ensure((c === 0) === (cs.good === undefined), at, RULE, `${where}: good must be present exactly when c ≥ 1`);
    let nGood = 0;
    if (cs.good !== undefined) {
      ensure(cs.good.length <= MAX_NUMBER_CHARS, at, RULE, `${where}: good bitmask too long`);
      const mask = BigInt(`0x${cs.good}`);
      ensure(mask > 0n && mask < 1n << BigInt(m), at, RULE, `${where}: good must be a non-empty set of tokens below m`);
      nGood = popcount(cs.good);
    }
    let nJoint = 0;
    if (cs.joint !== undefined) {
      ensure(c >= 1, at, RULE, `${where}: joint must be absent when c = 0`);
      ensure(cs.joint.length <= MAX_NUMBER_CHARS, at, RULE, `${where}: joint bitmask too long`);
      const jmask = BigInt(`0x${cs.joint}`);
      const gmask = BigInt(`0x${cs.good}`);
      ensure(jmask > 0n && (jmask & ~gmask) === 0n, at, RULE, `${where}: joint must be a non-empty subset of good`);
      nJoint = popcount(cs.joint);
    }
    const b = parseRational(cs.bound) ?? reject(at, RULE, `${where}: bound is not a rational within the length limit`);
    ensure(b.p < 0n, at, RULE, `${where}: bound ${cs.bound} is not negative`);
    // b < −ε (b.q > 0): the float32 rounding margin (0 for an exact claim), so ℓ_m − ℓ_x ≥ −b > ε.
    ensure((b.p << BigInt(MARGIN_FRAC_BITS)) + ctx.margin * b.q < 0n, at, RULE, () => `${where}: bound ${cs.bound} is not below −ε = −${marginDecimal(ctx.margin)}, the float32 rounding margin`);
    const group = byMax.get(m) ?? [];
    if (group.length === 0) work += 2 * K * V + 3 * (m + 1) * V;
    if (nJoint > 0 && !withJoint.has(m)) work += 2 * K * V;
    if (nJoint > 0) withJoint.add(m);
    work += caseWork(V, K, c, q === m, nGood, nJoint);
    group.push({ i, q, c, bound: cs.bound, good: cs.good, joint: cs.joint, b, n: c === 0 ? 1n : binomial(K - 1, c) * BigInt(nGood) ** BigInt(c) });
    byMax.set(m, group);
  });
  ensureWork(ctx, RULE, work, 'a cubic count');

  const { exp, EU, EVOU, PVOU } = logitPaths(model);
  return {
    V, K, exp, EU, EVOU, PVOU, eEhi: tE.hi, eElo: tE.lo, ePhi: tP.hi, ePlo: tP.lo, order, f: screenTables(V, K, [EU, EVOU, PVOU], tE, tP, at),
    cases: step.cases.length, groups: [...byMax].map(([m, items]) => ({ m, items })),
  };
}

// Screen bit budgets (header): paths PB, exp-table ends EB (so (K−1)·2^(2EB) < 2^52 for K ≤ MAX_K), weights WB.
const [PB, EB, WB] = [21, (52 - bitLength(BigInt(MAX_K - 1))) >> 1, 26];
const NB = 2n ** BigInt(PB + 3);
const pow = (xs: bigint[][]) => bitLength(xs.flat().reduce((a, x) => (x > a ? x : -x > a ? -x : a), 0n));

/** The screen's tables: shifts s (paths to PB bits), e and r (exp-table ends to EB bits, weights to WB bits). */
function screenTables(V: number, K: number, paths: bigint[][], tE: { hi: bigint[]; lo: bigint[] }, tP: { hi: bigint[]; lo: bigint[] }, at: string): CubicData['f'] {
  // Rows less their first entry (centring cancels the difference): the screen's precision is that of the spread.
  const [EU, EVOU, PVOU] = paths.map((X) => X.map((x, i) => x - X[i - (i % V)]));
  const s = Math.max(0, pow([EU, EVOU, PVOU]) - PB);
  const r = Math.max(0, 2 * EB + bitLength(BigInt(K - 1)) - WB);
  const round = (xs: bigint[], by: (i: number) => number, up: boolean) => Float64Array.from(xs, (x, i) => Number(up ? ceilShift(x, by(i)) : floorShift(x, by(i))));
  // EQKP rows are scaled each by its own shift (to EB bits): every sum's weights share their row q.
  const by = Array.from({ length: V }, (_, q) => Math.max(0, pow([tP.hi.slice(q * K, q * K + K)]) - EB));
  const byP = (i: number) => by[Math.floor(i / K)];
  // EQKE ends (≥ 0) as floats rounded up or down to at most 53 bits (exact dyadic values), scaled per (q, m) in checkMax.
  const dyadic = (xs: bigint[], up: boolean) => Float64Array.from(xs, (x) => {
    const sh = Math.max(0, 4 * x.toString(16).length - 53);
    return Number(up ? ceilShift(x, sh) : floorShift(x, sh)) * 2 ** sh;
  });
  const f = {
    s, r, EUu: round(EU, () => s, true), EUd: round(EU, () => s, false), EVu: round(EVOU, () => s, true), EVd: round(EVOU, () => s, false),
    PVu: round(PVOU, () => s, true), PVd: round(PVOU, () => s, false), eEu: dyadic(tE.hi, true), eEd: dyadic(tE.lo, false),
    ePu: round(tP.hi, byP, true), ePd: round(tP.lo, byP, false),
  };
  const big = (lim: number, ...xs: Float64Array[]) => xs.every((a) => a.every((x) => Math.abs(x) <= 2 ** lim));
  ensure(big(PB, f.EUu, f.EUd, f.EVu, f.EVd, f.PVu, f.PVd) && big(EB, f.ePu, f.ePd), at, RULE, 'magnitude guard: rounded tables exceed their bounds');
  return f;
}

/** What checkMax returns: the indices (in step.cases) of the cases it verified, in order. */
export interface Verified {
  cases: number[];
}

/**
 * Verifies the cases of one max m, in order; returns the cases verified, or throws the rejection of the first case
 * that fails. Cases of different m share nothing, so groups may run on any thread.
 */
export function checkMax(d: CubicData, m: number, cases: CubicItem[], at: string, ops: Count): Verified {
  const mt = maxTables(d, m, ops);
  const verified: Verified = { cases: [] };
  for (const cs of cases) {
    const s = caseSums(d, mt, cs);
    if (cs.c === 0 && cs.q === m) checkAllMax(d, mt, cs, s, at, ops);
    else if (cs.c === 0) checkNoFill(d, mt, cs, s, at, ops);
    else checkFill(d, mt, cs, s, at, ops);
    verified.cases.push(cs.i);
  }
  return verified;
}

/** A function of i computed on first use and kept: the exact tables are needed only where the screen does not decide. */
function memo<T>(g: (i: number) => T): (i: number) => T {
  const rows = new Map<number, T>();
  return (i) => rows.get(i) ?? rows.set(i, g(i)).get(i)!;
}

/** A value computed on first use (the exact sums' operands, needed only where the screen does not decide). */
const once = <T>(g: () => T) => memo(g).bind(null, 0);

/** eP[q, p] at its upper or lower end. */
const eP = (d: CubicData, q: number, p: number, hi: boolean) => (hi ? d.ePhi : d.ePlo)[q * d.K + p];

/** Σ eP[q, order[q][i]] over i in [from, to), at the lower or upper end. */
function posMass(d: CubicData, q: number, from: number, to: number, hi: boolean): bigint {
  let s = 0n;
  for (let i = from; i < to; i++) s += eP(d, q, d.order[q][i], hi);
  return s;
}

/** posMass on the screen: [lower end rounded down, upper end rounded up], over 2^ρ. */
function massF(d: CubicData, q: number, from: number, to: number): [number, number] {
  const { K, order, f } = d;
  let lo = 0;
  let hi = 0;
  for (let i = from; i < to; i++) {
    lo += f.ePd[q * K + order[q][i]];
    hi += f.ePu[q * K + order[q][i]];
  }
  return [lo, hi];
}

/** sel(coefficient)·weight·coefficient, exactly and on the screen. */
const term = (cf: bigint, w: { lo: bigint; hi: bigint }) => cf * (cf >= 0n ? w.hi : w.lo);
const termF = (cf: number, w: number[]) => cf * (cf >= 0 ? w[1] : w[0]);

/**
 * The tables of one max m: the exact centred paths EUm(q, x) = EU_m[q,x], EVm(t, x) = EVOU_m[t,x],
 * PVm(p, x) = PVOU_m[p,x], with pmax(x, K) = P*[x], pmax(x, K − 1) = P°[x] and W[t], entry by entry; the screen's
 * centred paths (rounded up), P*, W, P° and PQ for every row; EQKE's rows q scaled for the screen (screenRow).
 */
function maxTables(d: CubicData, m: number, ops: Count) {
  const { V, K, EU, EVOU, PVOU, f } = d;
  const maxOverX = (g: (x: number) => number) => {
    let best = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) best = Math.max(best, g(x));
    return best;
  };
  const rowMax = (rows: Float64Array[], x: number) => rows.reduce((a, row) => Math.max(a, row[x]), -Infinity);
  const [EUm, EVm, PVm] = [EU, EVOU, PVOU].map((M) => (r: number, x: number) => M[r * V + x] - M[r * V + m]);
  const pmax = (x: number, n: number) => {
    let a = PVm(0, x);
    for (let p = 1; p < n; p++) a = PVm(p, x) > a ? PVm(p, x) : a;
    return a;
  };
  /**
   * max_{x≠m} ex(x), exactly, where hi(x) is the screen's value of ex(x) (a sum of at most three centred entries,
   * each rounded up, within 2 of its rounding down): the maximiser x* has hi(x*) ≥ ex(x*)/2^s ≥ ex(x)/2^s ≥ hi(x) − 6
   * for every x, so only the x with hi(x) within 6 of the largest are compared.
   */
  const exactMax = (hi: (x: number) => number, ex: (x: number) => bigint) => {
    const top = maxOverX(hi) - 6;
    let best: bigint | null = null;
    for (let x = 0; x < V; x++) {
      if (x === m || hi(x) < top) continue;
      const v = ex(x);
      if (best === null || v > best) best = v;
    }
    return best!;
  };
  const centredF = (Mu: Float64Array, Md: Float64Array, rows: number) => Array.from({ length: rows }, (_, r) => {
    const out = new Float64Array(V);
    for (let x = 0; x < V; x++) out[x] = Mu[r * V + x] - Md[r * V + m];
    return out;
  });
  const [EUF, EVF, PVF] = [centredF(f.EUu, f.EUd, m + 1), centredF(f.EVu, f.EVd, m + 1), centredF(f.PVu, f.PVd, K)];
  const PstarF = Array.from({ length: V }, (_, x) => rowMax(PVF, x));
  const WF = Array.from({ length: m + 1 }, (_, t) => maxOverX((x) => EVF[t][x] + PstarF[x]));
  ops.add(2 * K * V + 3 * (m + 1) * V);
  return {
    m, maxOverX, EUm, EVm, PVm, pmax, exactMax, EUF, EVF, PstarF, WF,
    W: memo((t) => exactMax((x) => EVF[t][x] + PstarF[x], (x) => EVm(t, x) + pmax(x, K))),
    // Joint form: P°[x] = max over the non-query positions, PQ[x] = the query position (counted on first use).
    PnonF: Array.from({ length: V }, (_, x) => rowMax(PVF.slice(0, K - 1), x)),
    PqF: PVF[K - 1],
    jointCounted: false,
    /** EQKE row q over the tokens t ≤ m, scaled by 2^−σ (max to about EB bits) and rounded up and down: exact integers. */
    screenRow: memo((q: number) => {
      let top = 0;
      for (let t = 0; t <= m; t++) top = Math.max(top, f.eEu[q * V + t]);
      const sc = 2 ** -Math.max(0, Math.ceil(Math.log2(top)) - EB);
      const [eu, ed] = [new Float64Array(m + 1), new Float64Array(m + 1)];
      for (let t = 0; t <= m; t++) {
        eu[t] = Math.ceil(f.eEu[q * V + t] * sc);
        ed[t] = Math.floor(f.eEd[q * V + t] * sc);
      }
      return { eu, ed, ok: eu.every((w) => w <= 2 ** EB) };
    }),
  };
}

type MaxTables = ReturnType<typeof maxTables>;

/**
 * A case's sums. Exact: coef(v) = (v/2^exp − b)·(b.q·2^exp), a slot's coefficient scaled by a positive constant, and
 * weight(t, …) = eE[q,t]·mass at both ends. Screen: nb = −b·2^(exp−s) rounded up (NaN, deciding nothing, beyond its
 * bound), coefF(v⁺) ≥ the coefficient over b.q·2^s, weightF: [lo, hi] over 2^(σ + ρ + r), rounded down and up.
 */
function caseSums(d: CubicData, mt: MaxTables, cs: CubicItem) {
  const { V, K, exp, f } = d;
  const { q, b } = cs;
  const bOne = b.p << BigInt(exp);
  const R = 2 ** -f.r;
  const { eu, ed, ok } = mt.screenRow(q);
  const nb0 = ceilDiv(-b.p << BigInt(Math.max(0, exp - f.s)), b.q << BigInt(Math.max(0, f.s - exp)));
  const nb = ok && nb0 <= NB ? Number(nb0) : NaN;
  const weightF = (t: number, lo: number, hi: number) => [Math.floor(ed[t] * lo * R), Math.ceil(eu[t] * hi * R)];
  return {
    where: `case (q=${q}, m=${mt.m}, c=${cs.c})`, R, eu, ed, weightF,
    coef: (v: bigint) => v * b.q - bOne,
    weight: (t: number, massLo: bigint, massHi: bigint) => ({ lo: d.eElo[q * V + t] * massLo, hi: d.eEhi[q * V + t] * massHi }),
    coefF: (v: number) => v + nb,
    /** The query slot's screen weight. */
    wqF: weightF(q, f.ePd[q * K + K - 1], f.ePu[q * K + K - 1]),
  };
}

type CaseSums = ReturnType<typeof caseSums>;

/** c = 0, q = m: coef is increasing in v (b.q > 0), so the largest coefficient is that of the largest v. */
function checkAllMax(d: CubicData, mt: MaxTables, cs: CubicItem, s: CaseSums, at: string, ops: Count): void {
  const { K } = d;
  const { m, EUF, EVF, PstarF } = mt;
  const q = cs.q;
  const hi = (x: number) => EUF[q][x] + EVF[m][x] + PstarF[x];
  ops.add(5 * d.V);
  ensure(s.coefF(mt.maxOverX(hi)) <= 0 || s.coef(mt.exactMax(hi, (x) => mt.EUm(q, x) + mt.EVm(m, x) + mt.pmax(x, K))) <= 0n,
    at, RULE, () => `${s.where}: max_x (EU_m + EVOU_m + P*)[x] exceeds the bound ${cs.bound}`);
}

/** c = 0, q < m: every non-query slot holds m; per output x, the m slots' and the query slot's terms. */
function checkNoFill(d: CubicData, mt: MaxTables, cs: CubicItem, s: CaseSums, at: string, ops: Count): void {
  const { V, K } = d;
  const { m, EUF, EVF, PstarF } = mt;
  const q = cs.q;
  ops.add(2 * (K - 1));
  const wmF = s.weightF(m, ...massF(d, q, 0, K - 1));
  const w = once(() => [s.weight(m, posMass(d, q, 0, K - 1, false), posMass(d, q, 0, K - 1, true)), s.weight(q, eP(d, q, K - 1, false), eP(d, q, K - 1, true))]);
  for (let x = 0; x < V; x++) {
    if (x === m) continue;
    const baseF = EUF[q][x] + PstarF[x];
    ops.add(16);
    if (termF(s.coefF(baseF + EVF[m][x]), wmF) + termF(s.coefF(baseF + EVF[q][x]), s.wqF) <= 0) continue;
    const base = mt.EUm(q, x) + mt.pmax(x, K);
    ensure(term(s.coef(base + mt.EVm(m, x)), w()[0]) + term(s.coef(base + mt.EVm(q, x)), w()[1]) <= 0n,
      at, RULE, () => `${s.where}: the weighted logit gap of output ${x} is not below the bound ${cs.bound}`);
  }
}

/** c ≥ 1: every good token, in its form (decoupled or joint), at both extreme layouts. */
function checkFill(d: CubicData, mt: MaxTables, cs: CubicItem, s: CaseSums, at: string, ops: Count): void {
  const { K } = d;
  const { m, EUF, EVF, PnonF, PqF, WF } = mt;
  const { q, c } = cs;
  const good = bits(cs.good!);
  const joint = cs.joint === undefined ? [] : bits(cs.joint);
  const decoupled = good.filter((k) => !joint.includes(k));
  ops.add(2 * (K - 1));
  const EUqF = EUF[q];
  const UqF = mt.maxOverX((x) => EUqF[x]);
  const fill: Fill = {
    q, c, decoupled, joint, tot: massF(d, q, 0, K - 1), queryF: termF(s.coefF(UqF + WF[q]), s.wqF), cmF: s.coefF(UqF + WF[m]),
    cfKF: decoupled.map((k) => s.coefF(UqF + WF[k])),
    // Joint form, per output: the query slot's term, the m and joint slots' coefficients.
    JF: joint.length === 0 ? null : {
      q: EUqF.map((v, x) => (x === m ? 0 : termF(s.coefF(v + PqF[x] + EVF[q][x]), s.wqF))),
      m: EUqF.map((v, x) => s.coefF(v + PnonF[x] + EVF[m][x])),
      k: joint.map((k) => EUqF.map((v, x) => s.coefF(v + PnonF[x] + EVF[k][x]))),
    },
    // The exact operands: layout-independent coefficients, formed on first use.
    E: once(() => {
      const Uq = mt.exactMax((x) => EUqF[x], (x) => mt.EUm(q, x));
      const wq = s.weight(q, eP(d, q, K - 1, false), eP(d, q, K - 1, true));
      return { Uq, wq, tot: [posMass(d, q, 0, K - 1, false), posMass(d, q, 0, K - 1, true)], query: term(s.coef(Uq + mt.W(q)), wq), cm: s.coef(Uq + mt.W(m)) };
    }),
  };
  // Layout A: m on the first K−1−c positions of positionOrder[q]; layout B: m on the last K−1−c.
  checkLayout(d, mt, cs, s, fill, 0, K - 1 - c, at, ops);
  checkLayout(d, mt, cs, s, fill, c, K - 1, at, ops);
}

/** What checkFill's layouts share. */
interface Fill {
  q: number; c: number; decoupled: number[]; joint: number[]; tot: [number, number]; queryF: number; cmF: number; cfKF: number[];
  JF: { q: Float64Array; m: Float64Array; k: Float64Array[] } | null;
  E: () => { Uq: bigint; wq: { lo: bigint; hi: bigint }; tot: bigint[]; query: bigint; cm: bigint };
}

/** One layout of a fill (m on positionOrder[q][mFrom..mTo)): the decoupled tokens, then the joint ones per output. */
function checkLayout(d: CubicData, mt: MaxTables, cs: CubicItem, s: CaseSums, fl: Fill, mFrom: number, mTo: number, at: string, ops: Count): void {
  const { V, order } = d;
  const { m } = mt;
  const { q, E } = fl;
  const layout = () => `m on positions [${order[q].slice(mFrom, mTo)}]`;
  ops.add(2 * (mTo - mFrom));
  const mF = massF(d, q, mFrom, mTo);
  const mLoF = mF[0];
  const mHiF = mF[1];
  const kLoF = fl.tot[0] - mLoF;
  const kHiF = fl.tot[1] - mHiF;
  const L = once(() => {
    const mLo = posMass(d, q, mFrom, mTo, false);
    const mHi = posMass(d, q, mFrom, mTo, true);
    const wm = s.weight(m, mLo, mHi);
    return { wm, kLo: E().tot[0] - mLo, kHi: E().tot[1] - mHi, fixed: E().query + term(E().cm, wm) };
  });
  const wmF = s.weightF(m, mLoF, mHiF);
  const fixedF = fl.queryF + termF(fl.cmF, wmF);
  ops.add(3 * V + 12);
  for (let i = 0; i < fl.decoupled.length; i++) {
    const k = fl.decoupled[i];
    ops.add(8);
    const cf = fl.cfKF[i];
    if (fixedF + cf * (cf >= 0 ? Math.ceil(s.eu[k] * kHiF * s.R) : Math.floor(s.ed[k] * kLoF * s.R)) <= 0) continue;
    ensure(L().fixed + term(s.coef(E().Uq + mt.W(k)), s.weight(k, L().kLo, L().kHi)) <= 0n, at, RULE,
      () => `${s.where}: token k=${k} with ${layout()} is not below the bound ${cs.bound}`);
  }
  if (!fl.JF) return;
  const JF = fl.JF;
  if (!mt.jointCounted) ops.add(2 * d.K * V);
  mt.jointCounted = true;
  // The exact joint sum for token k and output x: the query, m and k slots' terms.
  const jointSum = (k: number, x: number) => {
    const v = mt.EUm(q, x) + mt.pmax(x, d.K - 1);
    const query = term(s.coef(mt.EUm(q, x) + mt.PVm(d.K - 1, x) + mt.EVm(q, x)), E().wq);
    return query + term(s.coef(v + mt.EVm(m, x)), L().wm) + term(s.coef(v + mt.EVm(k, x)), s.weight(k, L().kLo, L().kHi));
  };
  // The query and m slots' terms per output, then each joint token's.
  const fixedXF = JF.m.map((cf, x) => JF.q[x] + termF(cf, wmF));
  ops.add(16 * V);
  for (let j = 0; j < fl.joint.length; j++) {
    const k = fl.joint[j];
    const cfs = JF.k[j];
    const wkF = s.weightF(k, kLoF, kHiF);
    for (let x = 0; x < V; x++) {
      if (x === m) continue;
      ops.add(8);
      if (fixedXF[x] + termF(cfs[x], wkF) <= 0) continue;
      ensure(jointSum(k, x) <= 0n, at, RULE,
        () => `${s.where}: token k=${k} (joint) with ${layout()}: output ${x} is not below the bound ${cs.bound}`);
    }
  }
}

/**
 * Coverage and total: pieces[g] lists the cases verified for group g; every case of the step (0..cases−1) must be
 * verified exactly once, by the piece of its own max. Returns the sum of their counts (from the validated data), N*.
 */
export function sumCases(d: CubicData, pieces: Verified[], at: string): bigint {
  ensure(pieces.length === d.groups.length, at, RULE, `coverage: ${pieces.length} results for ${d.groups.length} maxima`);
  const owner = new Int32Array(d.cases).fill(-1);
  const n: bigint[] = [];
  d.groups.forEach(({ items }, g) => items.forEach((it) => {
    owner[it.i] = g;
    n[it.i] = it.n;
  }));
  const done = new Uint8Array(d.cases);
  let count = 0n;
  let verified = 0;
  for (const [g, p] of pieces.entries()) {
    for (const i of p.cases) {
      ensure(owner[i] === g, at, RULE, `coverage: case ${i} is not one with max ${d.groups[g].m}`);
      ensure(done[i] === 0, at, RULE, `coverage: case ${i} verified twice`);
      done[i] = 1;
      verified++;
      count += n[i];
    }
  }
  ensure(verified === d.cases, at, RULE, `coverage: ${verified} of ${d.cases} cases verified`);
  return count;
}

/** Returns N*, the number of sequences the cases prove correct (single-threaded: the reference path). */
export function checkCubicCount(step: CubicCountStep, ctx: StepContext): bigint {
  const d = cubicData(step, ctx);
  const pieces = d.groups.map(({ m, items }, g) => {
    const r = checkMax(d, m, items, ctx.step, ctx.ops);
    ctx.progress?.(g + 1, d.groups.length);
    return r;
  });
  return sumCases(d, pieces, ctx.step);
}
