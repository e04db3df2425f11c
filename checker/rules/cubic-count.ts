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
 * Speed: per max the centred logit paths are formed once, and per case every coefficient and weight that does not
 * depend on the layout is formed once for both layouts; every sum is evaluated exactly (BigInt). The checks, their
 * order, their verdicts and their operation count are those written above.
 * Work: cubicWork counts the operations of the cases from their structure (c, |good|, |joint|) before any is
 * checked; it is exact for a certificate that verifies, and the step stops, not decided, beyond ctx.workLimit.
 */
import type { StepContext } from '../context.js';
import { parseRational } from '../arith/exact.js';
import { ensure, reject } from '../errors.js';
import { MAX_NUMBER_CHARS } from '../limits.js';
import { logitPaths } from '../model.js';
import { ensureWork, pathWork } from '../work.js';

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

  // Validate the case split, group it by m, and add up the work it will take.
  const seen = new Set<number>();
  const byMax = new Map<number, CubicItem[]>();
  const withJoint = new Set<number>();
  let work = pathWork(model, 'EU') + pathWork(model, 'EVOU') + pathWork(model, 'PVOU');
  for (const [i, cs] of step.cases.entries()) {
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
    const group = byMax.get(m) ?? [];
    if (group.length === 0) work += 2 * K * V + 3 * (m + 1) * V;
    if (nJoint > 0 && !withJoint.has(m)) work += 2 * K * V;
    if (nJoint > 0) withJoint.add(m);
    work += caseWork(V, K, c, q === m, nGood, nJoint);
    group.push({ i, q, c, bound: cs.bound, good: cs.good, joint: cs.joint, b, n: c === 0 ? 1n : binomial(K - 1, c) * BigInt(nGood) ** BigInt(c) });
    byMax.set(m, group);
  }
  ensureWork(ctx, RULE, work, 'a cubic count');

  const { exp, EU, EVOU, PVOU } = logitPaths(model);
  return {
    V, K, exp, EU, EVOU, PVOU, eEhi: tE.hi, eElo: tE.lo, ePhi: tP.hi, ePlo: tP.lo, order,
    cases: step.cases.length, groups: [...byMax].map(([m, items]) => ({ m, items })),
  };
}

/** What checkMax returns: the indices (in step.cases) of the cases it verified, in order. */
export interface Verified {
  cases: number[];
}

/**
 * Verifies the cases of one max m, in order; returns the cases verified, or throws the rejection of the first case
 * that fails. Cases of different m share nothing, so
 * groups may run on any thread.
 */
export function checkMax(d: CubicData, m: number, cases: CubicItem[], at: string, ops: { add(n: number): void }): Verified {
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
  // Centred paths, formed once per max: EUm[q][x] = EU_m[q,x] (q ≤ m), EVm[t][x] = EVOU_m[t,x] (t ≤ m).
  const centred = (M: bigint[], r: number) => Array.from({ length: V }, (_, x) => M[r * V + x] - M[r * V + m]);
  const EUm = Array.from({ length: m + 1 }, (_, q) => centred(EU, q));
  const EVm = Array.from({ length: m + 1 }, (_, t) => centred(EVOU, t));
  const PVm = Array.from({ length: K }, (_, p) => centred(PVOU, p));
  const maxOverX = (f: (x: number) => bigint) => {
    let best: bigint | null = null;
    for (let x = 0; x < V; x++) if (x !== m) best = best === null ? f(x) : max(best, f(x));
    return best!;
  };
  const Pstar = Array.from({ length: V }, (_, x) => PVm.reduce((a, row) => max(a, row[x]), PVm[0][x]));
  const W = Array.from({ length: m + 1 }, (_, t) => maxOverX((x) => EVm[t][x] + Pstar[x]));
  ops.add(2 * K * V + 3 * (m + 1) * V);
  // Joint form: P°[x] = max over the non-query positions, PQ[x] = the query position (counted on first use).
  const Pnon = Array.from({ length: V }, (_, x) => PVm.slice(0, K - 1).reduce((a, row) => max(a, row[x]), PVm[0][x]));
  const Pq = PVm[K - 1];
  let jointCounted = false;

  const verified: Verified = { cases: [] };
  for (const cs of cases) {
    const { q, c, b } = cs;
    const where = `case (q=${q}, m=${m}, c=${c})`;
    // (v/2^exp − b)·(b.q·2^exp): the coefficient of a slot, scaled by a positive constant.
    const bOne = b.p * one;
    const coef = (v: bigint) => v * b.q - bOne;
    /** The weight eE[q,t]·mass at its upper and lower ends. */
    const weight = (t: number, massLo: bigint, massHi: bigint) => ({ lo: eE(q, t, false) * massLo, hi: eE(q, t, true) * massHi });
    /** sel(coefficient)·weight·coefficient. */
    const term = (cf: bigint, w: { lo: bigint; hi: bigint }) => cf * (cf >= 0n ? w.hi : w.lo);
    const EUq = EUm[q];
    if (c === 0 && q === m) {
      // coef is increasing in v (b.q > 0), so the largest coefficient is that of the largest v.
      const worst = coef(maxOverX((x) => EUq[x] + EVm[m][x] + Pstar[x]));
      ops.add(5 * V);
      ensure(worst <= 0n, at, RULE, () => `${where}: max_x (EU_m + EVOU_m + P*)[x] exceeds the bound ${cs.bound}`);
    } else if (c === 0) {
      const wm = weight(m, posMass(q, 0, K - 1, false), posMass(q, 0, K - 1, true));
      const wq = weight(q, eP(q, K - 1, false), eP(q, K - 1, true));
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        const base = EUq[x] + Pstar[x];
        ops.add(16);
        ensure(term(coef(base + EVm[m][x]), wm) + term(coef(base + EVm[q][x]), wq) <= 0n, at, RULE, () => `${where}: the weighted logit gap of output ${x} is not below the bound ${cs.bound}`);
      }
    } else {
      const good = bits(cs.good!);
      const joint = cs.joint === undefined ? [] : bits(cs.joint);
      const inJoint = new Set(joint);
      const Uq = maxOverX((x) => EUq[x]);
      const [totLo, totHi] = [posMass(q, 0, K - 1, false), posMass(q, 0, K - 1, true)];
      const wq = weight(q, eP(q, K - 1, false), eP(q, K - 1, true));
      const query = term(coef(Uq + W[q]), wq);
      const cm = coef(Uq + W[m]);
      // Layout-independent coefficients: decoupled per good token; joint per output for the query, m and joint slots.
      const cfK = new Map(good.filter((k) => !inJoint.has(k)).map((k) => [k, coef(Uq + W[k])]));
      const jointX = joint.length === 0 ? null : {
        base: EUq.map((v, x) => v + Pnon[x]),
        query: EUq.map((v, x) => (x === m ? 0n : term(coef(v + Pq[x] + EVm[q][x]), wq))),
      };
      const cfJ = jointX && new Map(joint.map((k) => [k, jointX.base.map((v, x) => coef(v + EVm[k][x]))]));
      const cfM = jointX && jointX.base.map((v, x) => coef(v + EVm[m][x]));
      const nM = K - 1 - c;
      // Layout A: m on the first nM positions of positionOrder[q]; layout B: m on the last nM.
      for (const [mFrom, mTo] of [[0, nM], [c, K - 1]]) {
        const [mLo, mHi] = [posMass(q, mFrom, mTo, false), posMass(q, mFrom, mTo, true)];
        const wm = weight(m, mLo, mHi);
        const fixed = query + term(cm, wm);
        const [kLo, kHi] = [totLo - mLo, totHi - mHi];
        ops.add(3 * V + 12);
        for (const [k, cf] of cfK) {
          ops.add(8);
          const hi = cf >= 0n;
          ensure(fixed + cf * (eE(q, k, hi) * (hi ? kHi : kLo)) <= 0n, at, RULE,
            () => `${where}: token k=${k} with m on positions [${order[q].slice(mFrom, mTo)}] is not below the bound ${cs.bound}`);
        }
        if (!jointX || !cfJ || !cfM) continue;
        // Joint form: per output x, the query and m slots' terms, then each joint token's.
        if (!jointCounted) ops.add(2 * K * V);
        jointCounted = true;
        // The query and m slots' terms per output, formed once per layout.
        const fixedX = cfM.map((cf, x) => jointX.query[x] + term(cf, wm));
        ops.add(16 * V);
        for (const [k, cfs] of cfJ) {
          const wk = weight(k, kLo, kHi);
          for (let x = 0; x < V; x++) {
            if (x === m) continue;
            ops.add(8);
            ensure(fixedX[x] + term(cfs[x], wk) <= 0n, at, RULE,
              () => `${where}: token k=${k} (joint) with m on positions [${order[q].slice(mFrom, mTo)}]: output ${x} is not below the bound ${cs.bound}`);
          }
        }
      }
    }
    verified.cases.push(cs.i);
  }
  return verified;
}

/**
 * Coverage and total: pieces[g] lists the cases verified for group g; every case of the step (0..cases−1) must be
 * verified exactly once, by the piece of its own max. Returns the sum of their counts (from the validated data), N*.
 */
export function sumCases(d: CubicData, pieces: Verified[], at: string): bigint {
  ensure(pieces.length === d.groups.length, at, RULE, `coverage: ${pieces.length} results for ${d.groups.length} maxima`);
  const owner = new Int32Array(d.cases).fill(-1);
  const n: bigint[] = [];
  for (const [g, { items }] of d.groups.entries()) for (const it of items) [owner[it.i], n[it.i]] = [g, it.n];
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
