/**
 * The cubic proof's float64 bounds (docs/paper.md §5.2, SPEC §4.3), one case at a time: the search in cubic.ts and the `cpu`
 * backend's `cubicCaseBounds` kernel (the reference the WebGPU kernel is held to) both compute them here.
 *
 * A case is (query q, max m, one non-max value k < m, c non-query positions holding k); the other K−1−c non-query
 * positions hold m. `centre(m)` prepares the m-centred tables; then for every q ≤ m:
 * - `caseZero(q)`: the c = 0 bound (every non-query position holds m);
 * - `decoupled(q, c, k)`: the paper's bound U[q] + pessimistic average of W[t] over the slots;
 * - `joint(q, c, k)`: the joint-x bound, max over outputs x ≠ m of the pessimistic average of the exact per-slot
 *   logit differences (never above the decoupled one).
 * Both c ≥ 1 bounds take the worse of the two extreme layouts of the position order (m on the positions of lowest
 * EQKP[q,·], or on the highest). Each pessimistic average already reads the enclosures the checker's way (hi weight
 * where the coefficient is non-negative, lo otherwise), so a bound b at or above it passes the checker's exact test.
 */
import type { PathTables } from '../model/paths.js';
import { pessimisticAverage } from './attention.js';

/** The float views of the two exp tables: expE [V(query), V(key)], expP [V(query), K], as lo/hi enclosures. */
export interface CubicWeights {
  expE: { lo: Float64Array; hi: Float64Array };
  expP: { lo: Float64Array; hi: Float64Array };
  /** Per query, the non-query positions 0..K−2 sorted by EQKP[q,·] ascending (cubic.ts positionOrders). */
  positionOrder: number[][];
}

export class CubicBounds {
  private readonly K: number;
  private readonly V: number;
  private m = -1;
  private readonly Pstar: Float64Array;
  private readonly Pnon: Float64Array;
  private readonly Pq: Float64Array;
  private readonly U: Float64Array;
  private readonly W: Float64Array;
  private readonly coef: Float64Array;
  private readonly wlo: Float64Array;
  private readonly whi: Float64Array;
  private readonly toks: Int32Array;
  private readonly scratch: Int32Array;

  constructor(
    private readonly T: PathTables,
    private readonly weights: CubicWeights,
  ) {
    this.K = T.k;
    this.V = T.vocab;
    const { K, V } = this;
    this.Pstar = new Float64Array(V);
    this.Pnon = new Float64Array(V);
    this.Pq = new Float64Array(V);
    this.U = new Float64Array(V);
    this.W = new Float64Array(V);
    this.coef = new Float64Array(K);
    this.wlo = new Float64Array(K);
    this.whi = new Float64Array(K);
    this.toks = new Int32Array(K);
    this.scratch = new Int32Array(K);
  }

  /**
   * Centres on column m: Pnon[x] = max_{p<K−1} PVOU_m[p,x], Pq[x] = PVOU_m[K−1,x], P*[x] = max of both,
   * U[q] = max_{x≠m} EU_m[q,x], W[t] = max_{x≠m} EVOU_m[t,x] + P*[x], for q, t ≤ m (X_m[·,x] = X[·,x] − X[·,m]).
   */
  centre(m: number): void {
    const { T, K, V, Pstar, Pnon, Pq, U, W } = this;
    this.m = m;
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
  }

  /** The c = 0 bound for query q ≤ m: positions 0..K−2 hold m, position K−1 holds q. */
  caseZero(q: number): number {
    const { T, K, V, m, Pstar, coef, wlo, whi, scratch } = this;
    const { expE, expP } = this.weights;
    let L0 = -Infinity;
    if (q === m) {
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        L0 = Math.max(L0, T.EU[m * V + x] - T.EU[m * V + m] + T.EVOU[m * V + x] - T.EVOU[m * V + m] + Pstar[x]);
      }
      return L0;
    }
    for (let p = 0; p < K; p++) {
      const t = p === K - 1 ? q : m;
      wlo[p] = expE.lo[q * V + t] * expP.lo[q * K + p];
      whi[p] = expE.hi[q * V + t] * expP.hi[q * K + p];
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
    return L0;
  }

  /** The largest c with a case for query q: K−1 when q = m (no copy of m is needed elsewhere), else K−2. */
  maxCopies(q: number): number {
    return q === this.m ? this.K - 1 : this.K - 2;
  }

  /** The paper's decoupled bound for (q, m, c, k), 1 ≤ c ≤ maxCopies(q), k < m. */
  decoupled(q: number, c: number, k: number): number {
    const { K, U, W, coef, wlo, whi, toks, scratch } = this;
    let L = -Infinity;
    for (let layout = 0; layout < 2; layout++) {
      this.fill(q, c, k, layout);
      for (let i = 0; i < K; i++) coef[i] = W[toks[i]];
      L = Math.max(L, U[q] + pessimisticAverage(coef, wlo, whi, K, scratch));
    }
    return L;
  }

  /** The joint-x bound for (q, m, c, k): per output x, slot coefficients EU_m[q,x] + P_slot[x] + EVOU_m[t,x]. */
  joint(q: number, c: number, k: number): number {
    const { T, K, V, m, Pq, Pnon, coef, wlo, whi, toks, scratch } = this;
    let L = -Infinity;
    for (let layout = 0; layout < 2; layout++) {
      this.fill(q, c, k, layout);
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        const eu = T.EU[q * V + x] - T.EU[q * V + m];
        for (let i = 0; i < K; i++) coef[i] = eu + (i === K - 1 ? Pq[x] : Pnon[x]) + T.EVOU[toks[i] * V + x] - T.EVOU[toks[i] * V + m];
        L = Math.max(L, pessimisticAverage(coef, wlo, whi, K, scratch));
      }
    }
    return L;
  }

  /**
   * Slot i < K−1 is position order[q][i]; slot K−1 is the query. Layout 0 puts m on the first r = K−1−c positions of
   * the order (lowest EQKP) and k on the rest; layout 1 the reverse.
   */
  private fill(q: number, c: number, k: number, layout: number): void {
    const { K, V, m, toks, wlo, whi } = this;
    const { expE, expP, positionOrder } = this.weights;
    const ord = positionOrder[q];
    const r = K - 1 - c;
    for (let i = 0; i < K - 1; i++) {
      const p = ord[i];
      const t = (layout === 0 ? i < r : i >= K - 1 - r) ? m : k;
      toks[i] = t;
      wlo[i] = expE.lo[q * V + t] * expP.lo[q * K + p];
      whi[i] = expE.hi[q * V + t] * expP.hi[q * K + p];
    }
    toks[K - 1] = q;
    wlo[K - 1] = expE.lo[q * V + q] * expP.lo[q * K + K - 1];
    whi[K - 1] = expE.hi[q * V + q] * expP.hi[q * K + K - 1];
  }
}
