/**
 * The brute-force prover's float pass over all sequences with a given query token, shared by the worker threads and
 * the inline path. For a sequence t (query q = t[K−1], max m) and output x, with mid-point slot weights
 * w_p = eE[q,t_p]·eP[q,p], it computes s_x = Σ_p w_p·(H[p,t_p,x] − H[p,t_p,m]) with H[p,t,x] = EU[q,x] + EVOU[t,x] +
 * PVOU[p,x]: Z times the float logit gap. The checker's exact sum T_x (slot weights at the enclosure end chosen by
 * the coefficient's sign) differs from s_x by at most tol = τ·Z + Cmax·Σ_p (w_hi,p − w_lo,p), where τ bounds the
 * float error of the coefficients relative to Z and Cmax bounds |coefficient|. So:
 *   max_x s_x < −tol      → the checker counts the sequence;
 *   max_x s_x >  tol      → it does not;
 *   otherwise             → undecided here: the caller decides it exactly, as the checker does.
 * `floatCorrect` counts max_x s_x < 0: the float evaluation (with the tables' mid-point weights, which equals the
 * model's float evaluation except on float ties, unless the tables underflow: entries below 2^−F become [0, 1 ulp]).
 * The deciding value of a sequence is g = max_x s_x / Z (logit units) against the thresholds ±tol/Z; with a band b > 0
 * the scan also lists the sequences with g within b of the undecided interval, [−tol/Z − b, tol/Z + b], for a caller
 * that re-decides them (the bruteForceScan kernel, src/backend/kernels.ts, whose float32 results are hints).
 */

export interface KernelInput {
  V: number;
  K: number;
  /** V×V, K×V path tables (float64). */
  EU: Float64Array;
  EVOU: Float64Array;
  PVOU: Float64Array;
  /** Exp-table ends as doubles: eE V×V, eP V×K. */
  eElo: Float64Array;
  eEhi: Float64Array;
  ePlo: Float64Array;
  ePhi: Float64Array;
  /** Coefficient float error, relative to the total weight Z. */
  tau: number;
  /** Bound on |coefficient|. */
  cmax: number;
  /** ε, the float32 rounding margin (SPEC §1.1; absent for an exact claim): counted means max_x s_x + ε·Z < 0. */
  margin?: number;
}

export interface KernelTally {
  /** Sequences the checker certainly counts, none of them listed in `near`. */
  certain: number;
  /** Sequences the float evaluation calls correct, listed or not. */
  floatCorrect: number;
  /**
   * Sequence indices (Σ t_p·V^(K−1−p)) whose deciding value lies in [−tol/Z − band, tol/Z + band], left to the caller
   * (with band 0: the undecided ones). Every other sequence is certainly counted or certainly not.
   */
  near: number[];
  /** The deciding value g = max_x s_x / Z of each sequence in `near`. */
  nearValue: number[];
}

export function emptyTally(): KernelTally {
  return { certain: 0, floatCorrect: 0, near: [], nearValue: [] };
}

/** The tally with its near list (and values) in ascending index order, whatever order the queries were scanned in. */
export function sortNear(tally: KernelTally): KernelTally {
  const order = tally.near.map((_, j) => j).sort((a, b) => tally.near[a] - tally.near[b]);
  return { ...tally, near: order.map((j) => tally.near[j]), nearValue: order.map((j) => tally.nearValue[j]) };
}

/** One query's tables: H[(p·V + t)·V + x], and the mid weight and width of slot (p, t) at [p·V + t]. */
export interface QueryTables {
  H: Float64Array;
  wMid: Float64Array;
  wWid: Float64Array;
}

export function queryTables(inp: KernelInput, q: number): QueryTables {
  const { V, K, EU, EVOU, PVOU } = inp;
  const H = new Float64Array(K * V * V);
  for (let p = 0; p < K; p++) {
    for (let t = 0; t < V; t++) {
      const o = (p * V + t) * V;
      for (let x = 0; x < V; x++) H[o + x] = EU[q * V + x] + EVOU[t * V + x] + PVOU[p * V + x];
    }
  }
  const wMid = new Float64Array(K * V);
  const wWid = new Float64Array(K * V);
  for (let p = 0; p < K; p++) {
    const pl = inp.ePlo[q * K + p];
    const ph = inp.ePhi[q * K + p];
    for (let t = 0; t < V; t++) {
      const el = inp.eElo[q * V + t];
      const eh = inp.eEhi[q * V + t];
      wMid[p * V + t] = ((el + eh) / 2) * ((pl + ph) / 2);
      wWid[p * V + t] = eh * ph - el * pl;
    }
  }
  return { H, wMid, wWid };
}

/** One sequence's float values: worst = max_{x≠m} s_x (already minus s_m), Z and tol. */
export interface SequenceValues {
  worst: number;
  z: number;
  tol: number;
}

/**
 * Adds one scanned sequence to `tally`: counted for sure, listed as near (band `band`, logit units), or neither. The
 * decision is on worst + margin·z (the checker counts where Z·(ℓ_x − ℓ_m + ε) < 0); floatCorrect on worst alone.
 */
export function recordSequence(tally: KernelTally, index: number, worstGap: number, z: number, tol: number, band: number, margin = 0): void {
  if (worstGap < 0) tally.floatCorrect++;
  const worst = worstGap + margin * z;
  const reach = tol + band * z;
  if (worst < -reach) tally.certain++;
  else if (worst <= reach) {
    tally.near.push(index);
    tally.nearValue.push(worst / z);
  }
}

/**
 * The float pass's values for single sequences by index, each computed alone but in scanQuery's order of operations
 * (query slot first, then positions 0..K−2), so bit for bit what scanQuery computes for it. Query tables are cached.
 */
export function sequenceValues(inp: KernelInput): (index: number) => SequenceValues {
  const { V, K, tau, cmax } = inp;
  const cache = new Map<number, QueryTables>();
  const tok = new Int32Array(K);
  const acc = new Float64Array(V);
  return (index) => {
    let r = index;
    for (let p = K - 1; p >= 0; p--) {
      tok[p] = r % V;
      r = Math.floor(r / V);
    }
    const q = tok[K - 1];
    let tables = cache.get(q);
    if (!tables) cache.set(q, (tables = queryTables(inp, q)));
    const { H, wMid, wWid } = tables;
    let m = 0;
    for (let p = 0; p < K; p++) if (tok[p] > m) m = tok[p];
    const wq = wMid[(K - 1) * V + q];
    const oq = ((K - 1) * V + q) * V;
    for (let x = 0; x < V; x++) acc[x] = wq * H[oq + x];
    let z = wq;
    let wid = wWid[(K - 1) * V + q];
    for (let p = 0; p < K - 1; p++) {
      const w = wMid[p * V + tok[p]];
      const o = (p * V + tok[p]) * V;
      for (let x = 0; x < V; x++) acc[x] = acc[x] + w * H[o + x];
      z = z + w;
      wid = wid + wWid[p * V + tok[p]];
    }
    let worst = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m && acc[x] > worst) worst = acc[x];
    return { worst: worst - acc[m], z, tol: tau * z + cmax * wid };
  };
}

/**
 * Scans the V^(K−1) sequences whose query (last token) is q, adding to `tally`; lists those within `band` (logit
 * units, default 0) of the undecided interval.
 */
export function scanQuery(inp: KernelInput, q: number, tally: KernelTally, band = 0): void {
  const { V, K, tau, cmax } = inp;
  const L = K - 1; // number of non-query positions
  const { H, wMid, wWid } = queryTables(inp, q);
  // Level d holds the partial sums over the query slot and positions 0..d−1.
  const acc: Float64Array[] = Array.from({ length: L + 1 }, () => new Float64Array(V));
  const zAcc = new Float64Array(L + 1);
  const dAcc = new Float64Array(L + 1);
  const mAcc = new Int32Array(L + 1);
  const idxAcc = new Float64Array(L + 1);
  {
    const w = wMid[(K - 1) * V + q];
    const o = ((K - 1) * V + q) * V;
    for (let x = 0; x < V; x++) acc[0][x] = w * H[o + x];
    zAcc[0] = w;
    dAcc[0] = wWid[(K - 1) * V + q];
    mAcc[0] = q;
    idxAcc[0] = 0;
  }
  if (L === 0) {
    // K = 1: the single sequence (q); its max is q.
    let worst = -Infinity;
    for (let x = 0; x < V; x++) if (x !== q && acc[0][x] > worst) worst = acc[0][x];
    recordSequence(tally, q, worst - acc[0][q], zAcc[0], tau * zAcc[0] + cmax * dAcc[0], band, inp.margin);
    return;
  }
  const tok = new Int32Array(L);
  let d = 0;
  tok[0] = 0;
  // Iterative depth-first enumeration of t_0..t_{L−1}, last position fastest.
  for (;;) {
    if (d < L - 1) {
      // Extend level d with token tok[d] and descend.
      const t = tok[d];
      const w = wMid[d * V + t];
      const o = (d * V + t) * V;
      const a = acc[d];
      const b = acc[d + 1];
      for (let x = 0; x < V; x++) b[x] = a[x] + w * H[o + x];
      zAcc[d + 1] = zAcc[d] + w;
      dAcc[d + 1] = dAcc[d] + wWid[d * V + t];
      mAcc[d + 1] = t > mAcc[d] ? t : mAcc[d];
      idxAcc[d + 1] = (idxAcc[d] + t) * V;
      d++;
      tok[d] = 0;
      continue;
    }
    // Innermost position d = L − 1: every token at once.
    const a = acc[d];
    const base = d * V;
    for (let t = 0; t < V; t++) {
      const w = wMid[base + t];
      const o = (base + t) * V;
      const m = t > mAcc[d] ? t : mAcc[d];
      const gm = a[m] + w * H[o + m];
      let worst = -Infinity;
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        const s = a[x] + w * H[o + x];
        if (s > worst) worst = s;
      }
      const z = zAcc[d] + w;
      recordSequence(tally, (idxAcc[d] + t) * V + q, worst - gm, z, tau * z + cmax * (dAcc[d] + wWid[base + t]), band, inp.margin);
    }
    // Climb to the next prefix.
    d--;
    while (d >= 0 && tok[d] === V - 1) d--;
    if (d < 0) return;
    tok[d]++;
  }
}
