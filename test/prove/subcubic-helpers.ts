/** Helpers for the subcubic tests: directly-settable models, float truth, and the claimed cases' sequences. */
import type { Model } from '../../src/model/model.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { isCorrect, logitsFromTables, pathTables } from '../../src/model/paths.js';

/**
 * A model whose path matrices are set directly (d_model = 2V + 1, d_head = V, W_pos = 0): E[t] = e_t + f with a
 * common direction f; EU[q, ·] = w for every query (W_U's f row), EVOU = W_U's second block (W_V W_O maps e_t to
 * e_{V+t}), EQKE = Q (W_Q's first block, W_K = I on the first block), EQKP = 0, PVOU = 0.
 */
export function settableModel(K: number, w: number[], EVOU: number[][], Q: number[][]): { model: Model; bytes: Uint8Array } {
  const V = w.length; const d = 2 * V + 1; const h = V;
  const WE = new Float32Array(V * d); const WQ = new Float32Array(d * h); const WK = new Float32Array(d * h);
  const WV = new Float32Array(d * h); const WO = new Float32Array(h * d); const WU = new Float32Array(d * V);
  for (let t = 0; t < V; t++) {
    WE[t * d + t] = 1; WE[t * d + 2 * V] = 1;
    WK[t * h + t] = 1; WV[t * h + t] = 1; WO[t * d + V + t] = 1;
    for (let j = 0; j < V; j++) { WQ[t * h + j] = Q[t][j]; WU[(V + t) * V + j] = EVOU[t][j]; }
    WU[2 * V * V + t] = w[t];
  }
  const bytes = serializeModel({ config: { k: K, vocab: V, dModel: d, dHead: h }, WE, Wpos: new Float32Array(K * d), WQ, WK, WV, WO, WU, metadata: {} });
  return { model: parseModel(bytes), bytes };
}

/** Every sequence's correctness (float64 forward pass on the path tables), indexed by base-V number of the tokens. */
export function truthTable(model: Model): Uint8Array {
  const { vocab: V, k: K } = model.config;
  const T = pathTables(model);
  const n = V ** K;
  const ok = new Uint8Array(n);
  const toks = new Int32Array(K); const out = new Float64Array(V); const scratch = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let r = i; let m = 0;
    for (let p = K - 1; p >= 0; p--) { toks[p] = r % V; r = Math.floor(r / V); m = Math.max(m, toks[p]); }
    logitsFromTables(T, toks, 0, out, scratch);
    ok[i] = isCorrect(out, m) ? 1 : 0;
  }
  return ok;
}

export const trueCount = (ok: Uint8Array): number => ok.reduce((s, x) => s + x, 0);

/** Sequences of a case (q, m, c, g): query q, max m, exactly c positions ≠ m, each such token ≤ m − g. */
export function caseSequences(V: number, K: number, cs: { q: number; m: number; c: number; g: number }): number[] {
  const out: number[] = [];
  const n = V ** K;
  for (let i = 0; i < n; i++) {
    let r = i; let mx = 0; let nonMax = 0; let ok = true; const toks: number[] = [];
    for (let p = K - 1; p >= 0; p--) { toks[p] = r % V; r = Math.floor(r / V); mx = Math.max(mx, toks[p]); }
    if (toks[K - 1] !== cs.q) continue;
    for (const t of toks) if (t !== cs.m) { nonMax++; if (t > cs.m - cs.g) ok = false; }
    if (mx === cs.m && nonMax === cs.c && ok) out.push(i);
  }
  return out;
}
