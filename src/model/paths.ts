/**
 * The model's path tables in float64 (docs/paper.md §4; SPEC §1). The logits at the last position are exactly
 *   logits = EU[q] + Σ_p a_p (EVOU[t_p] + PVOU[p]),   a = softmax_p((EQKE[q, t_p] + EQKP[q, p]) / sqrt(d_head)).
 * Biases fold in: b_Q joins every query row (E_q W_Q + b_Q); b_K adds (E_q W_Q + b_Q)·b_K to every key's score, a
 * constant per query that cancels in the softmax; b_V, b_O and b_U add c = (b_V W_O + b_O) W_U + b_U to every logit
 * row, since the attention weights sum to 1, so it joins EU.
 * Used by the fast evaluator and as the prover's (untrusted) view of the model.
 */
import type { Model } from './model.js';

export interface PathTables {
  k: number;
  vocab: number;
  /** 1 / sqrt(d_head). */
  scale: number;
  /** [V(query), V(out)]: (E + P[K-1]) W_U + 1 c. */
  EU: Float64Array;
  /** [V(key), V(out)]: E W_V W_O W_U. */
  EVOU: Float64Array;
  /** [K, V(out)]: P W_V W_O W_U. */
  PVOU: Float64Array;
  /** [V(query), V(key)]: ((E + P[K-1]) W_Q + 1 b_Q) W_K^T E^T. */
  EQKE: Float64Array;
  /** [V(query), K]: ((E + P[K-1]) W_Q + 1 b_Q) W_K^T P^T. */
  EQKP: Float64Array;
}

/** C[r, c] = Σ_j A[r, j] B[j, c] for row-major A [rows, inner], B [inner, cols]. */
export function matmul(A: ArrayLike<number>, B: ArrayLike<number>, rows: number, inner: number, cols: number): Float64Array {
  const C = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < inner; j++) {
      const a = A[r * inner + j];
      if (a === 0) continue;
      const bo = j * cols;
      const co = r * cols;
      for (let c = 0; c < cols; c++) C[co + c] += a * B[bo + c];
    }
  }
  return C;
}

export function transpose(A: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = A[r * cols + c];
  return T;
}

/** E + P[K-1]: the residual stream at the last position before attention, one row per query token. */
export function queryEmbedding(model: Model): Float64Array {
  const { vocab, dModel, k } = model.config;
  const Eq = new Float64Array(vocab * dModel);
  for (let t = 0; t < vocab; t++) for (let i = 0; i < dModel; i++) Eq[t * dModel + i] = model.WE[t * dModel + i] + model.Wpos[(k - 1) * dModel + i];
  return Eq;
}

/** c = (b_V W_O + b_O) W_U + b_U (length V), the logits' bias row; null for a model without biases. */
export function logitBias(model: Model): Float64Array | null {
  const { vocab: V, dModel: d, dHead: h } = model.config;
  const b = model.biases;
  if (!b) return null;
  const resid = matmul(b.bV, model.WO, 1, h, d).map((x, i) => x + b.bO[i]);
  return matmul(resid, model.WU, 1, d, V).map((x, i) => x + b.bU[i]);
}

/** Adds the row vector `row` to every row of the [rows, row.length] matrix A, in place. */
function addRow(A: Float64Array, row: ArrayLike<number>, rows: number): Float64Array {
  const cols = row.length;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) A[r * cols + c] += row[c];
  return A;
}

/** E_q W_Q + 1 b_Q [V, d_head]: the query of each token at the last position. */
function queryRows(model: Model): Float64Array {
  const { vocab: V, dModel: d, dHead: h } = model.config;
  const EqQ = matmul(queryEmbedding(model), model.WQ, V, d, h);
  return model.biases ? addRow(EqQ, model.biases.bQ, V) : EqQ;
}

export function pathTables(model: Model): PathTables {
  const { vocab: V, dModel: d, dHead: h, k: K } = model.config;
  const EU = matmul(queryEmbedding(model), model.WU, V, d, V);
  const c = logitBias(model);
  if (c) addRow(EU, c, V);
  const OU = matmul(model.WO, model.WU, h, d, V);
  const VOU = matmul(model.WV, OU, d, h, V);
  const EVOU = matmul(model.WE, VOU, V, d, V);
  const PVOU = matmul(model.Wpos, VOU, K, d, V);
  const EqQ = queryRows(model);
  const QK = matmul(EqQ, transpose(model.WK, d, h), V, h, d);
  const EQKE = matmul(QK, transpose(model.WE, V, d), V, d, V);
  const EQKP = matmul(QK, transpose(model.Wpos, K, d), V, d, K);
  return { k: K, vocab: V, scale: 1 / Math.sqrt(h), EU, EVOU, PVOU, EQKE, EQKP };
}

/**
 * Logits at the last position for one sequence, written into `out` (length V); `scratch` has length K.
 * Softmax is shifted by the largest score for stability.
 */
export function logitsFromTables(T: PathTables, tokens: ArrayLike<number>, offset: number, out: Float64Array, scratch: Float64Array): void {
  const { k: K, vocab: V, scale } = T;
  const q = tokens[offset + K - 1];
  let maxScore = -Infinity;
  for (let p = 0; p < K; p++) {
    const s = (T.EQKE[q * V + tokens[offset + p]] + T.EQKP[q * K + p]) * scale;
    scratch[p] = s;
    if (s > maxScore) maxScore = s;
  }
  let z = 0;
  for (let p = 0; p < K; p++) {
    scratch[p] = Math.exp(scratch[p] - maxScore);
    z += scratch[p];
  }
  for (let x = 0; x < V; x++) out[x] = T.EU[q * V + x];
  for (let p = 0; p < K; p++) {
    const a = scratch[p] / z;
    const ev = tokens[offset + p] * V;
    const pv = p * V;
    for (let x = 0; x < V; x++) out[x] += a * (T.EVOU[ev + x] + T.PVOU[pv + x]);
  }
}

/** Correct on a sequence: the logit of max(t) is strictly greater than every other logit (a tie is wrong). */
export function isCorrect(logits: Float64Array, label: number): boolean {
  const target = logits[label];
  for (let x = 0; x < logits.length; x++) if (x !== label && !(logits[x] < target)) return false;
  return true;
}
