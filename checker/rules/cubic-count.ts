/**
 * cubic-count (SPEC §4.3, PAPER §3.2): the cubic proof, with the case split and the bounds supplied as hints.
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
 * The cases of each max m are one independent piece (checkMax); with several threads (checker/parallel.ts) pieces run
 * on worker threads, while the validation of positionOrder and of the case split (cubicData: structure, duplicates)
 * stays on the main thread, which then checks that every case was verified exactly once and sums the per-case counts.
 */
import type { StepContext } from '../context.js';
import { parseRational } from '../arith/exact.js';
import { ensure, reject } from '../errors.js';
import { MAX_NUMBER_CHARS } from '../limits.js';
import { logitPaths } from '../model.js';

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

function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** A validated case: its index in step.cases, the good and joint tokens, the bound, and how many sequences it covers. */
export interface CubicItem {
  i: number;
  q: number;
  c: number;
  bound: string;
  good: number[];
  joint: number[];
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
  cases: number;
  groups: { m: number; items: CubicItem[] }[];
}

/** Resolves the cited tables, checks positionOrder and the case split (duplicates, structure), builds the data. */
export function cubicData(step: CubicCountStep, ctx: StepContext): CubicData {
  const { model, ops } = ctx;
  const { vocab: V, k: K } = model;
  const at = ctx.step;
  const tE = ctx.resolve('expE', step.expE, 'exp-table');
  const tP = ctx.resolve('expP', step.expP, 'exp-table');
  ensure(tE.source === 'EQKE' && tP.source === 'EQKP', at, RULE, 'expE must be a table over EQKE and expP over EQKP');

  // positionOrder[q]: the non-query positions 0..K−2, EQKP[q,·] non-decreasing along it.
  const order = step.positionOrder;
  ensure(order.length === V, at, RULE, `positionOrder must have ${V} rows`);
  for (let q = 0; q < V; q++) {
    const row = order[q];
    ensure(row.length === K - 1 && new Set(row).size === K - 1 && row.every((p) => p < K - 1), at, RULE,
      `positionOrder[${q}] must be a permutation of the non-query positions 0..${K - 2}`);
    for (let i = 1; i < row.length; i++) {
      ops.add(1);
      ensure(model.EQKP.num[q * K + row[i - 1]] <= model.EQKP.num[q * K + row[i]], at, RULE,
        `positionOrder[${q}]: EQKP[${q}][${row[i - 1]}] > EQKP[${q}][${row[i]}]`);
    }
  }

  // Validate the case split and group it by m.
  const seen = new Set<number>();
  const byMax = new Map<number, CubicItem[]>();
  for (const [i, cs] of step.cases.entries()) {
    const { q, m, c } = cs;
    const where = `case ${i} (q=${q}, m=${m}, c=${c})`;
    ensure(q <= m && m < V && c <= K - 1 && (q === m || c <= K - 2), at, RULE, `${where}: not a valid (q ≤ m < V, c) triple`);
    const key = (q * V + m) * K + c;
    ensure(!seen.has(key), at, RULE, `${where}: duplicate case`);
    seen.add(key);
    ensure((c === 0) === (cs.good === undefined), at, RULE, `${where}: good must be present exactly when c ≥ 1`);
    const good: number[] = [];
    if (cs.good !== undefined) {
      ensure(cs.good.length <= MAX_NUMBER_CHARS, at, RULE, `${where}: good bitmask too long`);
      const mask = BigInt(`0x${cs.good}`);
      ensure(mask > 0n && mask < 1n << BigInt(m), at, RULE, `${where}: good must be a non-empty set of tokens below m`);
      for (let k = 0; k < m; k++) if ((mask >> BigInt(k)) & 1n) good.push(k);
    }
    const joint: number[] = [];
    if (cs.joint !== undefined) {
      ensure(c >= 1, at, RULE, `${where}: joint must be absent when c = 0`);
      ensure(cs.joint.length <= MAX_NUMBER_CHARS, at, RULE, `${where}: joint bitmask too long`);
      const jmask = BigInt(`0x${cs.joint}`);
      const gmask = BigInt(`0x${cs.good}`);
      ensure(jmask > 0n && (jmask & ~gmask) === 0n, at, RULE, `${where}: joint must be a non-empty subset of good`);
      for (const k of good) if ((jmask >> BigInt(k)) & 1n) joint.push(k);
    }
    const b = parseRational(cs.bound) ?? reject(at, RULE, `${where}: bound is not a rational within the length limit`);
    ensure(b.p < 0n, at, RULE, `${where}: bound ${cs.bound} is not negative`);
    const group = byMax.get(m) ?? [];
    group.push({ i, q, c, bound: cs.bound, good, joint, b, n: c === 0 ? 1n : binomial(K - 1, c) * BigInt(good.length) ** BigInt(c) });
    byMax.set(m, group);
  }

  const { exp, EU, EVOU, PVOU } = logitPaths(model);
  return {
    V, K, exp, EU, EVOU, PVOU, eEhi: tE.hi, eElo: tE.lo, ePhi: tP.hi, ePlo: tP.lo, order,
    cases: step.cases.length, groups: [...byMax].map(([m, items]) => ({ m, items })),
  };
}

/**
 * Verifies the cases of one max m, in order; returns the number of sequences each proves correct (its `n`), or throws
 * the rejection of the first case that fails. Cases of different m share nothing, so groups may run on any thread.
 */
export function checkMax(d: CubicData, m: number, cases: CubicItem[], at: string, ops: { add(n: number): void }): bigint[] {
  const { V, K, exp, EU, EVOU, PVOU, order } = d;
  const one = 1n << BigInt(exp);
  const eE = (q: number, t: number, hi: boolean) => (hi ? d.eEhi : d.eElo)[q * V + t];
  const eP = (q: number, p: number, hi: boolean) => (hi ? d.ePhi : d.ePlo)[q * K + p];
  /** Σ eP[q, order[q][i]] over i in [from, to), at the lower or upper ends. */
  const posMass = (q: number, from: number, to: number, hi: boolean) => {
    let s = 0n;
    for (let i = from; i < to; i++) s += eP(q, order[q][i], hi);
    ops.add(to - from);
    return s;
  };
  const Pstar: bigint[] = [];
  for (let x = 0; x < V; x++) {
    let best = PVOU[x] - PVOU[m];
    for (let p = 1; p < K; p++) best = max(best, PVOU[p * V + x] - PVOU[p * V + m]);
    Pstar.push(best);
  }
  const EUm = (q: number, x: number) => EU[q * V + x] - EU[q * V + m];
  const EVOUm = (t: number, x: number) => EVOU[t * V + x] - EVOU[t * V + m];
  const maxOverX = (f: (x: number) => bigint) => {
    let best: bigint | null = null;
    for (let x = 0; x < V; x++) if (x !== m) best = best === null ? f(x) : max(best, f(x));
    return best!;
  };
  const W = Array.from({ length: m + 1 }, (_, t) => maxOverX((x) => EVOUm(t, x) + Pstar[x]));
  ops.add(2 * K * V + 3 * (m + 1) * V);
  // Joint form: P°[x] = max over the non-query positions, PQ[x] = the query position (computed on first use).
  let Pnon: bigint[] | undefined;
  let Pq: bigint[] | undefined;
  const jointTables = () => {
    if (Pnon === undefined || Pq === undefined) {
      Pnon = [];
      Pq = [];
      for (let x = 0; x < V; x++) {
        let best = PVOU[x] - PVOU[m];
        for (let p = 1; p < K - 1; p++) best = max(best, PVOU[p * V + x] - PVOU[p * V + m]);
        Pnon.push(best);
        Pq.push(PVOU[(K - 1) * V + x] - PVOU[(K - 1) * V + m]);
      }
      ops.add(2 * K * V);
    }
    return { Pnon, Pq };
  };

  const counts: bigint[] = [];
  for (const cs of cases) {
    const { q, c, good, b } = cs;
    const joint = new Set(cs.joint);
    const where = `case (q=${q}, m=${m}, c=${c})`;
    // (v/2^exp − b)·(b.q·2^exp): the coefficient of a slot, scaled by a positive constant.
    const coef = (v: bigint) => v * b.q - b.p * one;
    /** sel(coefficient)·weight·coefficient, the weight being eE[q,t]·mass with mass given at both ends. */
    const term = (cf: bigint, t: number, massLo: bigint, massHi: bigint) =>
      cf * (cf >= 0n ? eE(q, t, true) * massHi : eE(q, t, false) * massLo);
    if (c === 0 && q === m) {
      const worst = maxOverX((x) => coef(EUm(m, x) + EVOUm(m, x) + Pstar[x]));
      ops.add(5 * V);
      ensure(worst <= 0n, at, RULE, `${where}: max_x (EU_m + EVOU_m + P*)[x] exceeds the bound ${cs.bound}`);
    } else if (c === 0) {
      const [mLo, mHi] = [posMass(q, 0, K - 1, false), posMass(q, 0, K - 1, true)];
      const [qLo, qHi] = [eP(q, K - 1, false), eP(q, K - 1, true)];
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        const base = EUm(q, x) + Pstar[x];
        const s = term(coef(base + EVOUm(m, x)), m, mLo, mHi) + term(coef(base + EVOUm(q, x)), q, qLo, qHi);
        ops.add(16);
        ensure(s <= 0n, at, RULE, `${where}: the weighted logit gap of output ${x} is not below the bound ${cs.bound}`);
      }
    } else {
      const Uq = maxOverX((x) => EUm(q, x));
      const [totLo, totHi] = [posMass(q, 0, K - 1, false), posMass(q, 0, K - 1, true)];
      const query = term(coef(Uq + W[q]), q, eP(q, K - 1, false), eP(q, K - 1, true));
      const cm = coef(Uq + W[m]);
      const nM = K - 1 - c;
      // Layout A: m on the first nM positions of positionOrder[q]; layout B: m on the last nM.
      for (const [mFrom, mTo] of [[0, nM], [c, K - 1]]) {
        const [mLo, mHi] = [posMass(q, mFrom, mTo, false), posMass(q, mFrom, mTo, true)];
        const fixed = query + term(cm, m, mLo, mHi);
        const [kLo, kHi] = [totLo - mLo, totHi - mHi];
        ops.add(3 * V + 12);
        for (const k of good) {
          if (joint.has(k)) continue;
          ops.add(8);
          ensure(fixed + term(coef(Uq + W[k]), k, kLo, kHi) <= 0n, at, RULE,
            `${where}: token k=${k} with m on positions [${order[q].slice(mFrom, mTo)}] is not below the bound ${cs.bound}`);
        }
        if (joint.size === 0) continue;
        // Joint form: per output x, the query and m slots' terms, then each joint token's.
        const { Pnon, Pq } = jointTables();
        const [qLo, qHi] = [eP(q, K - 1, false), eP(q, K - 1, true)];
        const fixedX: bigint[] = [];
        for (let x = 0; x < V; x++) {
          if (x === m) {
            fixedX.push(0n);
            continue;
          }
          fixedX.push(term(coef(EUm(q, x) + Pq[x] + EVOUm(q, x)), q, qLo, qHi) + term(coef(EUm(q, x) + Pnon[x] + EVOUm(m, x)), m, mLo, mHi));
        }
        ops.add(16 * V);
        for (const k of joint) {
          for (let x = 0; x < V; x++) {
            if (x === m) continue;
            ops.add(8);
            ensure(fixedX[x] + term(coef(EUm(q, x) + Pnon[x] + EVOUm(k, x)), k, kLo, kHi) <= 0n, at, RULE,
              `${where}: token k=${k} (joint) with m on positions [${order[q].slice(mFrom, mTo)}]: output ${x} is not below the bound ${cs.bound}`);
          }
        }
      }
    }
    counts.push(cs.n);
  }
  return counts;
}

/** Returns N*, the number of sequences the cases prove correct (single-threaded: the reference path). */
export function checkCubicCount(step: CubicCountStep, ctx: StepContext): bigint {
  const d = cubicData(step, ctx);
  let count = 0n;
  for (const { m, items } of d.groups) for (const n of checkMax(d, m, items, ctx.step, ctx.ops)) count += n;
  return count;
}
