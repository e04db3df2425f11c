/**
 * brute-force-count (SPEC §4.4): the checker enumerates all V^K sequences and counts those it proves correct.
 *
 * For a sequence t with query q = t[K−1] and max m, and each output x ≠ m, let C_p = EU_m[q,x] + EVOU_m[t_p,x] +
 * PVOU_m[p,x] (X_m[·,x] = X[·,x] − X[·,m]) and T_x = Σ_p sel_p·C_p, where sel_p = eE_hi[q,t_p]·eP_hi[q,p] if C_p ≥ 0
 * and eE_lo[q,t_p]·eP_lo[q,p] otherwise.
 *
 *   T_x < 0 for every x ≠ m   ⟹   t is correct (ℓ_m > ℓ_x for every x ≠ m)
 *
 * Soundness: the true attention weight of slot p is a_p = w_p / Z with w_p = κ·eE[q,t_p]·eP[q,p] for a constant
 * κ > 0 (the row shifts and 2^−(F_E+F_P)), so w_p·C_p ≤ κ·sel_p·C_p and Z·(ℓ_x − ℓ_m) = Σ_p w_p·C_p ≤ κ·T_x < 0 with Z > 0.
 * The counted set is exactly {t : T_x < 0 for all x ≠ m}, decided exactly:
 *
 * Fast path (scaled integers in float64). Per m, coefficients are rounded to multiples of 2^s (ceil for C⁺, floor
 * for C⁻) and per (m, q) weights to multiples of 2^u (ceil for w⁺, floor for w⁻). Then, with C the exact coefficient,
 *   T⁺ = Σ_p (C⁺_p ≥ 0 ? w_hi⁺ : w_lo⁻)·C⁺_p ≥ T·2^−(s+u)   and   T⁻ = Σ_p (C⁻_p ≥ 0 ? w_hi⁻ : w_lo⁺)·C⁻_p ≤ T·2^−(s+u)
 * term by term: for C ≥ 0, w_hi·C ≤ w_hi⁺·C⁺ (and ≥ w_hi⁻·C⁻ when C⁻ ≥ 0, ≥ 0 ≥ w_lo⁺·C⁻ otherwise); for C < 0,
 * w_lo·C ≤ w_lo⁻·C ≤ w_lo⁻·C⁺ when C⁺ < 0, ≤ 0 ≤ w_hi⁺·C⁺ otherwise, and w_lo·C ≥ w_lo⁺·C ≥ w_lo⁺·C⁻.
 * So T⁺ < 0 proves T_x < 0 and T⁻ ≥ 0 proves T_x ≥ 0; otherwise T_x is computed in BigInt. T⁺ is summed position
 * by position along the enumeration; a prefix whose partial sums plus, per remaining position, the largest term over
 * tokens are < 0 for every x ≠ m proves all its completions at once (each of their T⁺ is at most that).
 * Exactness of the float64 arithmetic: s and u are chosen so that |C^±| ≤ 2^CB and w^± ≤ 2^WB, and these bounds are
 * verified on the built tables (a failure rejects). Every product then has magnitude ≤ 2^(CB+WB) and every partial
 * sum of at most K products ≤ K·2^(CB+WB) ≤ 2^52 < 2^53, so each value is an integer held exactly and every + and ×
 * is exact. Nothing else is stored in a float64.
 *
 * Skipping outputs already settled (a speed-up that decides and counts exactly as the plain enumeration): once a
 * prefix has shown acc[x] + rest[d][x] < 0 for every output x < x0 (its scan stopped at x0), every completion's T⁺
 * sum for those x is < 0 (rest bounds the suffix term by term; all values are exact integers, so the order of the
 * additions is immaterial). Below that prefix the scans start at x0 and prefix sums are formed from x0 on; the first
 * failing output of every scan is the plain enumeration's, and the operation count is the plain enumeration's
 * (2 per output scanned up to and including the first failure, V per extended prefix, 6K per slow output).
 * When the last position can only be m (no m yet, q < m), the prefix through K−3 is not extended: its child's scan and
 * its one sequence are tested on fused tables (slot at K−3 plus rest[K−2], or plus slot m at K−2), the same sums of
 * exact integers in another order, with the plain enumeration's decisions and operation count.
 *
 * Coverage: sequences are enumerated per (m, q) over the non-query positions in [0, m] with at least one m when
 * q < m; the count visited for each (m, q) (leaves plus the sizes of pruned subtrees) is compared with
 * (m+1)^(K−1) − [q<m]·m^(K−1), and the visited counts summed over all maxima with V^K. Each max m is one independent
 * piece (countMax); with several threads (checker/parallel.ts) pieces run on worker threads and the main thread
 * checks that every m in 0..V−1 was counted exactly once before the V^K comparison.
 *
 * Work: bruteForceWork bounds the operations of the float path from V and K alone, and the step stops, not decided,
 * when that bound over limits.FLOAT_OPS_PER_WORK exceeds ctx.workLimit, before any table is built; the slow path
 * (exact BigInt sums) is bounded as it runs by a budget of its own, ctx.workLimit: countMax gives each max its share
 * of it, so the slow path stays within 2·ctx.workLimit whatever the split over threads.
 */
import type { StepContext } from '../context.js';
import { bitLength, abs } from '../arith/exact.js';
import { ensure, ensureWithin } from '../errors.js';
import { FLOAT_OPS_PER_WORK, MAX_BRUTE_FORCE_SEQUENCES } from '../limits.js';
import { logitPaths, type Shape } from '../model.js';
import type { Count } from '../ops.js';
import { ensureWork, pathWork } from '../work.js';
import { marginOnGrid } from './float32-margin.js';

export interface BruteForceCountStep {
  id: string;
  kind: 'brute-force-count';
  expE: string;
  expP: string;
}

const RULE = 'brute-force-count';

const maxAbs = (xs: bigint[]) => xs.reduce((a, x) => (abs(x) > a ? abs(x) : a), 0n);

/**
 * Everything the per-max count needs, as plain data (structured-cloneable, so worker threads can receive it): the
 * exact logit paths and the exact weight ends wHi/wLo[(q·V + t)·K + p] = eE[q,t]·eP[q,p] over 2^(F_E + F_P).
 */
export interface BruteForceData {
  V: number;
  K: number;
  CB: number;
  WB: number;
  EU: bigint[];
  EVOU: bigint[];
  PVOU: bigint[];
  wHi: bigint[];
  wLo: bigint[];
  /** Operations the slow path of the whole count may use: the work limit (the float path is bounded apart). */
  slowBudget: number;
  /** ε (ctx.margin) over 2^exp of the paths, rounded up: added to every EU_m[q,x] (0 for an exact claim). */
  margin: bigint;
}

/**
 * The operations the count adds (its ops.add calls) on its float path, bounded from V and K alone, and the logit
 * paths it forms: per (m, q) its tables, 2V per level entry (≤ n^d at depth d), V per extended prefix, 2V per
 * visited sequence (Σ_q visited(m, q) = (m+1)^K − m^K). The slow path (6K per output whose float bracket does not
 * decide) is not in it: countMax bounds it as it goes, by its max m's share of ctx.workLimit (see there).
 * Exact: V^K ≤ 2^31 (checked first),
 * so every term is below 2^53.
 */
export function bruteForceWork(shape: Shape): number {
  const { vocab: V, k: K } = shape;
  let work = pathWork(shape, 'EU') + pathWork(shape, 'EVOU') + pathWork(shape, 'PVOU') + 2 * V * V * K;
  for (let n = 1; n <= V; n++) {
    let entries = 0;
    let extended = 0;
    for (let d = 0, nd = 1; d <= K - 2; d++, nd *= n) {
      entries += nd;
      if (d >= 1) extended += nd;
    }
    work += 3 * (2 * n + K) * V + n * (5 * n * K + 6 * K * n * V + 2 * V * entries + V * extended) + (n ** K - (n - 1) ** K) * 2 * V;
  }
  return work;
}

/** Resolves and checks the cited tables, bounds the work, and builds the count's data (SPEC §4.4). */
export function bruteForceData(step: BruteForceCountStep, ctx: StepContext): BruteForceData {
  const { model, ops } = ctx;
  const { vocab: V, k: K } = model;
  const at = ctx.step;
  const tE = ctx.resolve('expE', step.expE, 'exp-table');
  const tP = ctx.resolve('expP', step.expP, 'exp-table');
  ensure(tE.source === 'EQKE' && tP.source === 'EQKP', at, RULE, 'expE must be a table over EQKE and expP over EQKP');
  const total = BigInt(V) ** BigInt(K);
  ensureWithin(total <= BigInt(MAX_BRUTE_FORCE_SEQUENCES), at, RULE, `V^K = ${total} exceeds the limit ${MAX_BRUTE_FORCE_SEQUENCES}`);
  const work = Math.ceil(bruteForceWork(model) / FLOAT_OPS_PER_WORK);
  ensureWork(ctx, RULE, work, `a brute-force count (float64 operations weighed at 1/${FLOAT_OPS_PER_WORK})`);

  // Bit budgets: K·2^(CB+WB) ≤ 2^52.
  const logK = bitLength(BigInt(K - 1));
  const CB = Math.floor((52 - logK) / 2);
  const WB = 52 - logK - CB;

  // ε on the paths' grid, refined to at least 2^−64 for a float32 claim (marginOnGrid).
  const { exp, EU, EVOU, PVOU } = logitPaths(model, ctx.margin > 0n ? 64 : 0);
  const margin = marginOnGrid(ctx.margin, exp);
  // Exact weight ends, per (q, t, p): eE[q,t]·eP[q,p] (over 2^(F_E + F_P)).
  const wHi: bigint[] = [];
  const wLo: bigint[] = [];
  for (let q = 0; q < V; q++) {
    for (let t = 0; t < V; t++) {
      for (let p = 0; p < K; p++) {
        wHi.push(tE.hi[q * V + t] * tP.hi[q * K + p]);
        wLo.push(tE.lo[q * V + t] * tP.lo[q * K + p]);
      }
    }
  }
  ops.add(2 * V * V * K);

  return { V, K, CB, WB, EU, EVOU, PVOU, wHi, wLo, slowBudget: ctx.work.limit, margin };
}

/**
 * floor(x / 2^s) into down[i] and ceil(x / 2^s) into up[i], for x = xs[i]; `mask` is 2^s − 1. Exact when the results
 * are below 2^53 in magnitude (the callers' magnitude guards check the bound they rely on): the shift floors, and the
 * ceiling is one more exactly when bits below 2^s are set (`&` sees two's complement, so this holds for x < 0 too).
 */
function roundBoth(xs: bigint[], from: number, to: number, s: bigint, mask: bigint, down: Float64Array, up: Float64Array, at = 0): void {
  for (let i = from; i < to; i++) {
    const f = Number(xs[i] >> s);
    down[at + i - from] = f;
    up[at + i - from] = (xs[i] & mask) === 0n ? f : f + 1;
  }
}

/** Coverage of one (m, q): the sequences visited must be the (m+1)^(K−1) − [q<m]·m^(K−1) with query q and max m. */
export function checkVisited(m: number, q: number, K: number, visited: number, at: string): void {
  const expected = BigInt(m + 1) ** BigInt(K - 1) - (q < m ? BigInt(m) ** BigInt(K - 1) : 0n);
  ensure(BigInt(visited) === expected, at, RULE, `coverage: (m=${m}, q=${q}) visited ${visited} sequences, expected ${expected}`);
}

/**
 * The sequences with max m: every query q ≤ m, every non-query layout over [0, m] with at least one m when q < m.
 * Returns how many were proved correct and how many were visited (each (m, q) checked against its size here); the
 * coverage of all of 0..V−1 is the caller's check.
 */
export function countMax(d: BruteForceData, m: number, at: string, ops: Count): { good: bigint; visited: bigint } {
  const mc = maxCoefficients(d, m, at, ops);
  const ws = workSpace(d, m + 1);
  let counted = 0n;
  let visitedAll = 0n;
  let slowAll = 0;
  for (let q = 0; q <= m; q++) {
    queryTables(d, mc, q, ws, at, ops);
    const r = countQuery(d, mc, q, ws, slowAll, at);
    ops.add(r.fastOps + r.slowOps);
    slowAll += r.slowOps;
    checkVisited(m, q, d.K, r.visited, at);
    visitedAll += BigInt(r.visited);
    counted += BigInt(r.good);
  }
  return { good: counted, visited: visitedAll };
}

/** Per max m: its share of the slow-path budget, the exact centred coefficients, and their roundings up and down. */
function maxCoefficients(d: BruteForceData, m: number, at: string, ops: Count) {
  const { V, K, CB, EU, EVOU, PVOU } = d;
  const n = m + 1;
  // This max's share of the slow-path budget L: its sequences' fraction of L, plus the fallback for two outputs of
  // each of its sequences (12K each) up to L/V in all. Near-ties concentrate on small maxima, whose fraction of L is
  // tiny (at V = 64, K = 5, 4 operations a sequence); a model tied everywhere needs V − 1 outputs a sequence and
  // still stops at its first maxima. The share depends on m alone, never on the threads; the shares sum to ≤ 2L.
  const seqs = n ** K - m ** K;
  const slowBudget = Math.floor(d.slowBudget * (seqs / V ** K)) + Math.min(Math.floor(d.slowBudget / V), 12 * K * seqs);
  // Exact centred coefficients: cEU[q·V+x] (q ≤ m), cEV[t·V+x] (t ≤ m), cPV[p·V+x].
  const centre = (M: bigint[], rows: number, shift = 0n) => {
    const out: bigint[] = new Array(rows * V);
    for (let r = 0; r < rows; r++) for (let x = 0; x < V; x++) out[r * V + x] = M[r * V + x] - M[r * V + m] + shift;
    return out;
  };
  // With ε added to every EU_m[q,x] (every slot's coefficient), T_x < 0 proves ℓ_x − ℓ_m + ε < 0 (Σ_p a_p = 1).
  const cEU = centre(EU, n, d.margin);
  const cEV = centre(EVOU, n);
  const cPV = centre(PVOU, K);
  ops.add((2 * n + K) * V);
  const A = maxAbs(cEU) + maxAbs(cEV) + maxAbs(cPV);
  const s = Math.max(0, bitLength(A) - (CB - 1));
  // Rounded coefficients (…U up, …D down). |x| ≤ A < 2^(s + CB − 1), so each is below 2^(CB−1) + 1: exact.
  const [sB, sMask] = [BigInt(s), (1n << BigInt(s)) - 1n];
  const rounded = (xs: bigint[]) => {
    const [down, up] = [new Float64Array(xs.length), new Float64Array(xs.length)];
    roundBoth(xs, 0, xs.length, sB, sMask, down, up);
    return [up, down];
  };
  const [euU, euD] = rounded(cEU);
  const [evU, evD] = rounded(cEV);
  const [pvU, pvD] = rounded(cPV);
  ops.add(2 * (2 * n + K) * V);
  const big = (xs: Float64Array) => xs.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  ensure(big(euU) + big(evU) + big(pvU) <= 2 ** CB && big(euD) + big(evD) + big(pvD) <= 2 ** CB, at, RULE,
    `magnitude guard: rounded coefficients for m=${m} exceed 2^${CB}`);
  return { m, n, slowBudget, cEU, cEV, cPV, euU, euD, evU, evD, pvU, pvD };
}

type MaxCoefficients = ReturnType<typeof maxCoefficients>;

/** Work space reused across the queries of one max (n = m + 1 tokens): every table queryTables fills. */
function workSpace(d: BruteForceData, n: number) {
  const { V, K } = d;
  const [whU, whD, wlU, wlD] = Array.from({ length: 4 }, () => new Float64Array(n * K));
  return {
    /** Scaled weights for tokens t ≤ m at every position, index t·K + p: hi and lo ends, each rounded up and down. */
    whU, whD, wlU, wlD,
    /** T[(p·n + t)·V + x]: the upper term of slot (t, p) for output x. */
    T: new Float64Array((K - 1) * n * V),
    /** rest[d][x] = Σ_{d ≤ p ≤ K−2} max_{t ≤ m} T[p][t][x] (rest[K−1] = 0). */
    rest: Array.from({ length: K }, () => new Float64Array(V)),
    /** accs[d]: the upper sums of the prefix through position d − 1 (accs[0]: the query slot alone). */
    accs: Array.from({ length: K }, () => new Float64Array(V)),
    /** The sequence being visited. */
    tok: new Int32Array(K),
    /** Fused last two positions: slot t at K−3 plus rest[K−2] (Fr), or plus the slot m at K−2 (Fm). */
    Fr: new Float64Array(n * V),
    Fm: new Float64Array(n * V),
  };
}

type WorkSpace = ReturnType<typeof workSpace>;

/** Fills the work space for query q: the scaled weights (guarded), the slot terms, the query slot, rest, the fused tables. */
function queryTables(d: BruteForceData, mc: MaxCoefficients, q: number, ws: WorkSpace, at: string, ops: Count): void {
  const { V, K, WB, wHi, wLo } = d;
  const { m, n, euU, evU, pvU } = mc;
  const { whU, whD, wlU, wlD, T, rest } = ws;
  let wmax = 0n;
  for (let i = q * V * K, end = i + n * K; i < end; i++) if (wHi[i] > wmax) wmax = wHi[i];
  const u = Math.max(0, bitLength(wmax) - WB);
  const [uB, uMask] = [BigInt(u), (1n << BigInt(u)) - 1n];
  roundBoth(wHi, q * V * K, (q * V + n) * K, uB, uMask, whD, whU);
  roundBoth(wLo, q * V * K, (q * V + n) * K, uB, uMask, wlD, wlU);
  ops.add(5 * n * K);
  ensure(whU.every((w) => w <= 2 ** WB) && wlU.every((w) => w <= 2 ** WB), at, RULE,
    `magnitude guard: scaled weights for (m=${m}, q=${q}) exceed 2^${WB}`);
  for (let p = 0; p < K - 1; p++) {
    for (let t = 0; t < n; t++) {
      const hi = whU[t * K + p], lo = wlD[t * K + p];
      for (let x = 0; x < V; x++) {
        const C = euU[q * V + x] + evU[t * V + x] + pvU[p * V + x];
        T[(p * n + t) * V + x] = C >= 0 ? C * hi : C * lo;
      }
    }
  }
  // acc0: the query slot (t = q, p = K − 1).
  for (let x = 0; x < V; x++) {
    const C = euU[q * V + x] + evU[q * V + x] + pvU[(K - 1) * V + x];
    ws.accs[0][x] = C >= 0 ? C * whU[q * K + K - 1] : C * wlD[q * K + K - 1];
  }
  ops.add(4 * K * n * V);
  // acc[x] + rest[d][x] < 0 for all x ≠ m proves every completion of positions d..K−2 at once (each of its T⁺ sums
  // is at most that; same K-term magnitude bound).
  for (let dd = K - 2; dd >= 0; dd--) {
    for (let x = 0; x < V; x++) {
      let best = T[dd * n * V + x];
      for (let t = 1; t < n; t++) best = Math.max(best, T[(dd * n + t) * V + x]);
      rest[dd][x] = rest[dd + 1][x] + best;
    }
  }
  ops.add(2 * K * n * V);
  // Fused tables, for a prefix whose last position can only be m (partial sums of at most K terms: exact).
  for (let t = 0; K >= 3 && t < n; t++) {
    for (let x = 0; x < V; x++) {
      ws.Fr[t * V + x] = T[((K - 3) * n + t) * V + x] + rest[K - 2][x];
      ws.Fm[t * V + x] = T[((K - 3) * n + t) * V + x] + T[((K - 2) * n + m) * V + x];
    }
  }
}

/**
 * The enumeration for (m, q) over the filled work space: how many sequences were proved correct and visited, and the
 * operations of the fast and the slow path. `slowBefore`: what this max's earlier queries took of its slow budget.
 */
function countQuery(d: BruteForceData, mc: MaxCoefficients, q: number, ws: WorkSpace, slowBefore: number, at: string) {
  const { V, K } = d;
  const { m, n } = mc;
  const { T, rest, accs, tok, Fr, Fm } = ws;
  tok[K - 1] = q;
  const firstFail = (acc: Float64Array, B: Float64Array, row: number, x0: number) => firstFailing(acc, B, row, x0, m, V);
  let good = 0;
  let visited = 0;
  let fastOps = 0;
  let slowOps = 0;
  /** The sequence in tok, whose T⁺ sums are acc[x] + B[row + x]; outputs below x0 are known to pass. */
  const leaf = (acc: Float64Array, B: Float64Array, row: number, x0: number): void => {
    visited++;
    let x = firstFail(acc, B, row, x0);
    fastOps += 2 * x;
    let ok = true;
    while (x < V && ok) {
      slowOps += 6 * K;
      ensureWithin(slowBefore + slowOps <= mc.slowBudget, at, RULE, () => `the exact fallback for max ${m} needs more than its share ${mc.slowBudget} of the work limit`);
      ok = lowerSum(d, mc, ws, q, x) < 0 && exactSum(d, mc, ws, q, x) < 0n;
      x = firstFail(acc, B, row, x + 1);
    }
    if (ok) good++;
  };
  /**
   * Position pos of the non-query positions 0..K−2, given acc (the prefix's upper sums, set from xFrom on); mSeen:
   * whether m occurs before pos. Outputs x < xFrom passed the parent's test acc[x] + rest[pos−1][x] < 0, which
   * bounds this level's tests for them (rest[pos−1][x] ≥ T[pos−1][t][x] + rest[pos][x]), so scans start at xFrom.
   * Sizes are below V^K ≤ 2^31 (checked), so every count is an exact integer.
   */
  const level = (pos: number, mSeen: boolean, xFrom: number): void => {
    const acc = accs[pos];
    const x0 = firstFail(acc, rest[pos], 0, xFrom);
    fastOps += 2 * x0;
    if (x0 === V) {
      // Completions of the K−1−pos remaining positions from [0, m], with at least one m if none is placed yet.
      const r = K - 1 - pos;
      const all = n ** r - (!mSeen && q < m ? m ** r : 0);
      good += all;
      visited += all;
      return;
    }
    const last = pos === K - 2;
    const from = last && !mSeen && q < m ? m : 0;
    for (let t = from; t < n; t++) {
      tok[pos] = t;
      const row = (pos * n + t) * V;
      if (pos === K - 3 && q < m && !mSeen && t !== m) {
        // The child (position K−2 can only be m): its scan and its one leaf on the fused sums, no prefix formed.
        fastOps += V;
        tok[K - 2] = m;
        const x1 = firstFail(acc, Fr, t * V, x0);
        fastOps += 2 * x1;
        if (x1 < V) leaf(acc, Fm, t * V, x1);
        else {
          good++;
          visited++;
        }
        continue;
      }
      if (!last) {
        const next = accs[pos + 1];
        for (let x = x0; x < V; x++) next[x] = acc[x] + T[row + x];
        fastOps += V;
        level(pos + 1, mSeen || t === m, x0);
        continue;
      }
      // Outputs below x0 passed acc[x] + rest[pos][x] < 0 with rest[pos][x] = max_t T[pos][t][x] ≥ T[row + x].
      leaf(acc, T, row, x0);
    }
  };
  level(0, q === m, 0);
  return { good, visited, fastOps, slowOps };
}

/** The first output x ≥ x0, x ≠ m, with acc[x] + B[row + x] ≥ 0, or V if none. */
function firstFailing(acc: Float64Array, B: Float64Array, row: number, x0: number, m: number, V: number): number {
  let x = x0;
  while (x < m && acc[x] + B[row + x] < 0) x++;
  if (x < m) return x;
  x = Math.max(x, m + 1);
  while (x < V && acc[x] + B[row + x] < 0) x++;
  return x;
}

/** T⁻ for output x on the sequence in ws.tok with query q (scaled integers, exact as in the header). */
function lowerSum(d: BruteForceData, mc: MaxCoefficients, ws: WorkSpace, q: number, x: number): number {
  const { V, K } = d;
  let sum = 0;
  for (let p = 0; p < K; p++) {
    const t = ws.tok[p];
    const C = mc.euD[q * V + x] + mc.evD[t * V + x] + mc.pvD[p * V + x];
    sum += C >= 0 ? C * ws.whD[t * K + p] : C * ws.wlU[t * K + p];
  }
  return sum;
}

/** T_x exactly, in BigInt, for the sequence in ws.tok with query q. */
function exactSum(d: BruteForceData, mc: MaxCoefficients, ws: WorkSpace, q: number, x: number): bigint {
  const { V, K } = d;
  let sum = 0n;
  for (let p = 0; p < K; p++) {
    const t = ws.tok[p];
    const C = mc.cEU[q * V + x] + mc.cEV[t * V + x] + mc.cPV[p * V + x];
    sum += C * (C >= 0n ? d.wHi : d.wLo)[(q * V + t) * K + p];
  }
  return sum;
}

/** Returns N*, the number of sequences proved correct (single-threaded: the reference path). */
export function checkBruteForceCount(step: BruteForceCountStep, ctx: StepContext): bigint {
  const d = bruteForceData(step, ctx);
  let counted = 0n;
  let visitedAll = 0n;
  for (let m = 0; m < d.V; m++) {
    const r = countMax(d, m, ctx.step, ctx.ops);
    counted += r.good;
    visitedAll += r.visited;
    ctx.progress?.(m + 1, d.V);
  }
  coverage(visitedAll, d, ctx.step);
  return counted;
}

/** Coverage: the sequences visited over all maxima are exactly the V^K sequences. */
export function coverage(visitedAll: bigint, d: { V: number; K: number }, at: string): void {
  const total = BigInt(d.V) ** BigInt(d.K);
  ensure(visitedAll === total, at, RULE, `coverage: visited ${visitedAll} sequences, expected V^K = ${total}`);
}
