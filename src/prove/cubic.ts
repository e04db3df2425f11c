/**
 * The cubic proof (PAPER §3.2, SPEC §4.3). The search runs in float64 on the path tables and the exp tables'
 * enclosures to find which cases (query q, max m, one non-max value k, c non-max non-query positions) have a
 * negative largest-wrong-logit bound; it emits one `cubic-count` case per (q, m, c) with the good k as a bitmask and
 * a bound b per case: the largest float bound over the good k, plus a tolerance far above float error, rounded up.
 * Each k is first tried with the paper's decoupled bound U[q] + Σ a_p W[t_p]; where that is not negative, with the
 * joint form (x kept joint, exact PVOU at the query position), which costs V× more to check, so only those k are
 * marked in the case's `joint` bitmask (option `joint`: 'fallback', the default; 'always' marks every good k,
 * 'never' uses the decoupled form only).
 * Each float bound already uses the checker's pessimistic reading of the enclosures (hi weight where the coefficient
 * is non-negative, lo otherwise), so the checker's exact recomputation stays below b.
 *
 * Counting (SPEC §4.3): c = 0 counts 1; c ≥ 1 counts C(K−1, c)·|good|^c; the claim is the sum.
 */
import { Decimal } from 'decimal.js';
import { performance } from 'node:perf_hooks';
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { FORMAT, PROVER, type Certificate, type CubicCase } from './certificate.js';
import { adaptiveFracBits, attentionTables, pessimisticAverage } from './attention.js';
import type { DyadicMatrix } from './exact.js';
import type { Progress, ProveOptions, ProveResult, Strategy } from './strategy.js';

/**
 * Default exp-table precision: at least 64 fraction bits, and enough that the smallest entry keeps ~16 significant
 * bits. Rows are shifted by their maximum, so for small m every weight in a case can lie far below 2^−64 (trained
 * K=4, V=64 models reach e^−100); with a flat F = 64 those enclosures become [0, 2^−64] and the cubic bound loses
 * about 7 points (0.876 instead of 0.948 on the seed-123 model).
 */
const CUBIC_SIGNIFICANT_BITS = 16;
const CUBIC_MIN_FRAC_BITS = 64;
const CUBIC_MAX_FRAC_BITS = 256;
/** Relative tolerance (times the tables' scale) added to every float bound before it is claimed. */
const REL_TOL = 1e-9;
/** Significant digits of an emitted bound (rounded toward +∞). */
const BOUND_DIGITS = 12;

export function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** Non-query positions 0..K−2 sorted by exact EQKP[q,·] ascending (ties by index), per query. */
export function positionOrders(EQKP: DyadicMatrix): number[][] {
  const K = EQKP.cols;
  const out: number[][] = [];
  for (let q = 0; q < EQKP.rows; q++) {
    const ps = Array.from({ length: K - 1 }, (_, p) => p);
    ps.sort((a, b) => {
      const va = EQKP.num[q * K + a];
      const vb = EQKP.num[q * K + b];
      return va < vb ? -1 : va > vb ? 1 : a - b;
    });
    out.push(ps);
  }
  return out;
}

/** b rounded up to BOUND_DIGITS significant digits, as a decimal string; null when that is not < 0. */
export function roundBoundUp(b: number): string | null {
  if (!(b < 0) || !Number.isFinite(b)) return null;
  const s = new Decimal(b).toSignificantDigits(BOUND_DIGITS, Decimal.ROUND_CEIL).toFixed();
  return new Decimal(s).isNegative() && !new Decimal(s).isZero() ? s : null;
}

export interface CubicSearchResult {
  cases: CubicCase[];
  correct: bigint;
  positionOrder: number[][];
}

/**
 * Observes every float bound the search computes (tests use it to build mutants that are certainly wrong): `bound`
 * of the form the certificate uses for k, and for c ≥ 1 also the decoupled form's bound.
 */
export type CubicBoundHook = (q: number, m: number, c: number, k: number, bound: number, decoupled?: number) => void;

/** Where the joint-x form is used for c ≥ 1 (SPEC §4.3): only where the decoupled bound fails, everywhere, or never. */
export type CubicJointMode = 'fallback' | 'always' | 'never';

/**
 * `onBound` sees, per (q, m, c, k), the bound of the form the certificate would use for k (the joint bound where the
 * decoupled one is not negative and joint is allowed, else the decoupled one): a k whose reported bound is above a
 * case's b fails the check in either form, since the joint bound is never above the decoupled one.
 */
export function cubicCertificate(model: Model, options: ProveOptions & { joint?: CubicJointMode } = {}, progress: Progress = () => {}, onBound?: CubicBoundHook): { certificate: Certificate; figures: Record<string, number | string> } {
  const jointMode = options.joint ?? 'fallback';
  const t0 = performance.now();
  const { k: K, vocab: V } = model.config;
  if (K < 2) throw new RangeError('the cubic proof needs K ≥ 2');
  progress({ phase: 'exp tables', fraction: 0 });
  const att = attentionTables(model, options.fracBits ?? ((qk, rHi) => adaptiveFracBits(qk, rHi, CUBIC_SIGNIFICANT_BITS, CUBIC_MIN_FRAC_BITS, CUBIC_MAX_FRAC_BITS)));
  const F = att.expE.step.fracBits;
  const tTables = performance.now();
  const T = pathTables(model);
  const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const tol = REL_TOL * (1 + maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU));
  const order = positionOrders(att.qk.EQKP);
  const eElo = att.expE.loF;
  const eEhi = att.expE.hiF;
  const ePlo = att.expP.loF;
  const ePhi = att.expP.hiF;

  const Pstar = new Float64Array(V);
  const Pnon = new Float64Array(V);
  const Pq = new Float64Array(V);
  const U = new Float64Array(V);
  const W = new Float64Array(V);
  const coef = new Float64Array(K);
  const wlo = new Float64Array(K);
  const whi = new Float64Array(K);
  const scratch = new Int32Array(K);
  const toks = new Int32Array(K);
  const cases: CubicCase[] = [];
  let correct = 0n;
  let jointTokens = 0;
  const binom = Array.from({ length: K }, (_, c) => binomial(K - 1, c));

  for (let m = 0; m < V; m++) {
    progress({ phase: 'cases', fraction: m / V });
    // Centre on column m: P*[x] = max_p PVOU_m[p,x], U[q] = max_{x≠m} EU_m[q,x], W[t] = max_{x≠m} EVOU_m[t,x] + P*[x].
    for (let x = 0; x < V; x++) {
      let best = -Infinity;
      for (let p = 0; p < K - 1; p++) best = Math.max(best, T.PVOU[p * V + x] - T.PVOU[p * V + m]);
      Pnon[x] = best;
      Pq[x] = T.PVOU[(K - 1) * V + x] - T.PVOU[(K - 1) * V + m];
      Pstar[x] = Math.max(best, Pq[x]);
    }
    for (let t = 0; t <= m; t++) {
      let u = -Infinity;
      let w = -Infinity;
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        u = Math.max(u, T.EU[t * V + x] - T.EU[t * V + m]);
        w = Math.max(w, T.EVOU[t * V + x] - T.EVOU[t * V + m] + Pstar[x]);
      }
      U[t] = u;
      W[t] = w;
    }
    for (let q = 0; q <= m; q++) {
      const ord = order[q];
      // c = 0.
      let L0 = -Infinity;
      if (q === m) {
        for (let x = 0; x < V; x++) {
          if (x === m) continue;
          L0 = Math.max(L0, T.EU[m * V + x] - T.EU[m * V + m] + T.EVOU[m * V + x] - T.EVOU[m * V + m] + Pstar[x]);
        }
      } else {
        // Slots: positions 0..K−2 hold m, position K−1 holds q.
        for (let p = 0; p < K; p++) {
          const t = p === K - 1 ? q : m;
          wlo[p] = eElo[q * V + t] * ePlo[q * K + p];
          whi[p] = eEhi[q * V + t] * ePhi[q * K + p];
        }
        for (let x = 0; x < V; x++) {
          if (x === m) continue;
          const base = T.EU[q * V + x] - T.EU[q * V + m] + Pstar[x];
          const cm = base + T.EVOU[m * V + x] - T.EVOU[m * V + m];
          const cq = base + T.EVOU[q * V + x] - T.EVOU[q * V + m];
          for (let p = 0; p < K - 1; p++) coef[p] = cm;
          coef[K - 1] = cq;
          L0 = Math.max(L0, pessimisticAverage(coef, wlo, whi, K, scratch));
        }
      }
      onBound?.(q, m, 0, m, L0);
      const b0 = roundBoundUp(L0 + tol);
      if (b0 !== null && L0 < -tol) {
        cases.push({ q, m, c: 0, bound: b0 });
        correct += 1n;
      }
      // c ≥ 1: c of the K−1 non-query positions hold k < m, the other K−1−c hold m.
      const cMax = q === m ? K - 1 : K - 2;
      for (let c = 1; c <= cMax; c++) {
        const r = K - 1 - c; // copies of m among non-query positions
        let good = 0n;
        let joint = 0n;
        let count = 0;
        let worst = -Infinity;
        for (let k = 0; k < m; k++) {
          // Slot i < K−1 is position ord[i]; slot K−1 is the query. layout 0: m on the first r positions of the
          // order (lowest EQKP), k on the rest; layout 1: reversed.
          const fill = (layout: number) => {
            for (let i = 0; i < K - 1; i++) {
              const p = ord[i];
              const t = (layout === 0 ? i < r : i >= K - 1 - r) ? m : k;
              toks[i] = t;
              wlo[i] = eElo[q * V + t] * ePlo[q * K + p];
              whi[i] = eEhi[q * V + t] * ePhi[q * K + p];
            }
            toks[K - 1] = q;
            wlo[K - 1] = eElo[q * V + q] * ePlo[q * K + K - 1];
            whi[K - 1] = eEhi[q * V + q] * ePhi[q * K + K - 1];
          };
          let Lbest = -Infinity;
          for (let layout = 0; layout < 2; layout++) {
            fill(layout);
            for (let i = 0; i < K; i++) coef[i] = W[toks[i]];
            Lbest = Math.max(Lbest, U[q] + pessimisticAverage(coef, wlo, whi, K, scratch));
          }
          const useJoint = jointMode === 'always' || (jointMode === 'fallback' && !(Lbest < -tol));
          let L = Lbest;
          if (useJoint) {
            // Joint form: per output x, slot coefficients EU_m[q,x] + P_slot[x] + EVOU_m[t,x] (same weights).
            L = -Infinity;
            for (let layout = 0; layout < 2; layout++) {
              fill(layout);
              for (let x = 0; x < V; x++) {
                if (x === m) continue;
                const eu = T.EU[q * V + x] - T.EU[q * V + m];
                for (let i = 0; i < K; i++) coef[i] = eu + (i === K - 1 ? Pq[x] : Pnon[x]) + T.EVOU[toks[i] * V + x] - T.EVOU[toks[i] * V + m];
                L = Math.max(L, pessimisticAverage(coef, wlo, whi, K, scratch));
              }
            }
          }
          onBound?.(q, m, c, k, L, Lbest);
          if (L < -tol) {
            good |= 1n << BigInt(k);
            if (useJoint) joint |= 1n << BigInt(k);
            count++;
            worst = Math.max(worst, L);
          }
        }
        if (count === 0) continue;
        const b = roundBoundUp(worst + tol);
        if (b === null) continue;
        cases.push(joint === 0n ? { q, m, c, good: good.toString(16), bound: b } : { q, m, c, good: good.toString(16), joint: joint.toString(16), bound: b });
        correct += binom[c] * BigInt(count) ** BigInt(c);
        for (let j = joint; j > 0n; j >>= 1n) jointTokens += Number(j & 1n);
      }
    }
  }
  const tEnd = performance.now();
  progress({ phase: 'cases', fraction: 1 });
  const total = BigInt(V) ** BigInt(K);
  const certificate: Certificate = {
    format: FORMAT,
    claim: { modelSha256: model.sha256, task: 'max-of-k', k: K, vocab: V, strategy: 'cubic', correct: correct.toString(), total: total.toString() },
    evidence: {
      steps: [
        att.scale,
        att.expE.step,
        att.expP.step,
        { id: 'count', kind: 'cubic-count', expE: att.expE.step.id, expP: att.expP.step.id, positionOrder: order, cases },
      ],
    },
    prover: { ...PROVER },
  };
  return {
    certificate,
    figures: {
      'tables s': (tTables - t0) / 1000,
      'cases s': (tEnd - tTables) / 1000,
      cases: cases.length,
      'joint tokens': jointTokens,
      fracBits: F,
      tolerance: tol,
    },
  };
}

export const cubic: Strategy = {
  name: 'cubic',
  group: 'cubic',
  complexity: 'V³K²',
  description: 'The cubic proof of the paper: every (query, max, non-max value, copy count) case with extreme position layouts and the convexity count.',
  async prove(model: Model, options: ProveOptions, progress: Progress): Promise<ProveResult> {
    return cubicCertificate(model, options, progress);
  },
};
