/**
 * Direct forward pass from the raw weights, in float64, at the last position only (docs/paper.md §2.3), biases applied
 * where TransformerLens applies them (zero when the model has none):
 *   x_p = E[t_p] + P[p],  score_p = (x_{K-1} W_Q + b_Q) · (x_p W_K + b_K) / sqrt(d_head),  a = softmax(score),
 *   logits = (x_{K-1} + (Σ_p a_p (x_p W_V + b_V)) W_O + b_O) W_U + b_U.
 * It shares no code with the path tables (src/model/paths.ts), so it serves as an independent reference for them
 * and for the fast evaluator. It is slow (O(K·d·d_head + d·V) per sequence) and meant for tests and spot checks.
 */
import type { Model } from './model.js';

/**
 * Logits at the last position for `count` sequences stored back to back in `tokens` (K tokens each), returned as a
 * [count, V] row-major Float64Array.
 */
export function forwardLastPosition(model: Model, tokens: ArrayLike<number>, count: number): Float64Array {
  const { k: K, vocab: V, dModel: d, dHead: h } = model.config;
  if (tokens.length < count * K) throw new RangeError(`forwardLastPosition: ${tokens.length} tokens cannot hold ${count} sequences of length ${K}`);
  const { WE, Wpos, WQ, WK, WV, WO, WU } = model;
  const zero = (n: number) => new Float32Array(n);
  const { bQ, bK, bV, bO, bU } = model.biases ?? { bQ: zero(h), bK: zero(h), bV: zero(h), bO: zero(d), bU: zero(V) };
  const scale = 1 / Math.sqrt(h);
  const out = new Float64Array(count * V);
  const x = new Float64Array(K * d);
  const query = new Float64Array(h);
  const key = new Float64Array(h);
  const value = new Float64Array(h);
  const mixed = new Float64Array(h);
  const resid = new Float64Array(d);
  const score = new Float64Array(K);
  for (let n = 0; n < count; n++) {
    for (let p = 0; p < K; p++) {
      const t = tokens[n * K + p];
      if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`forwardLastPosition: token ${t} is outside 0..${V - 1}`);
      for (let i = 0; i < d; i++) x[p * d + i] = WE[t * d + i] + Wpos[p * d + i];
    }
    const last = (K - 1) * d;
    rowTimes(x, last, WQ, d, h, query, bQ);
    let maxScore = -Infinity;
    for (let p = 0; p < K; p++) {
      rowTimes(x, p * d, WK, d, h, key, bK);
      let s = 0;
      for (let j = 0; j < h; j++) s += query[j] * key[j];
      score[p] = s * scale;
      if (score[p] > maxScore) maxScore = score[p];
    }
    let z = 0;
    for (let p = 0; p < K; p++) {
      score[p] = Math.exp(score[p] - maxScore);
      z += score[p];
    }
    mixed.fill(0);
    for (let p = 0; p < K; p++) {
      rowTimes(x, p * d, WV, d, h, value, bV);
      const a = score[p] / z;
      for (let j = 0; j < h; j++) mixed[j] += a * value[j];
    }
    for (let i = 0; i < d; i++) {
      let s = x[last + i] + bO[i];
      for (let j = 0; j < h; j++) s += mixed[j] * WO[j * d + i];
      resid[i] = s;
    }
    for (let c = 0; c < V; c++) {
      let s = bU[c];
      for (let i = 0; i < d; i++) s += resid[i] * WU[i * V + c];
      out[n * V + c] = s;
    }
  }
  return out;
}

/** out[c] = bias[c] + Σ_i row[i] M[i, c] for the row of `src` starting at `offset` (length rows) and M [rows, cols]. */
function rowTimes(src: Float64Array, offset: number, M: Float32Array, rows: number, cols: number, out: Float64Array, bias: Float32Array): void {
  out.set(bias);
  for (let i = 0; i < rows; i++) {
    const r = src[offset + i];
    for (let c = 0; c < cols; c++) out[c] += r * M[i * cols + c];
  }
}
