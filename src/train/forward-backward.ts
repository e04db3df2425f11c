/**
 * Loss and gradient of the paper's model (PAPER.md §1) on a batch of Max-of-K sequences, in float64, by hand-written
 * backpropagation vectorised over the batch.
 *
 * Only the last position's output enters the loss, and the last query row of a causal mask sees every position, so
 * the mask never applies and only that one query row is computed. Biases are zero and frozen, so they are not
 * parameters. With x_p = W_E[t_p] + W_pos[p] and q = x_{K-1}:
 *   s_p = (q W_Q) · (x_p W_K) / sqrt(d_head),   a = softmax(s),   z = Σ_p a_p x_p W_V,
 *   logits = (q + z W_O) W_U,
 *   loss = -mean over the batch of log_softmax(logits)[max(t)].
 * log_softmax is taken the way the reference's `use_log1p` does: subtract the largest logit, leave the argmax's own
 * term (exactly 1) out of the sum and use log1p of the others' sum, which keeps the small losses of a well-trained
 * model precise.
 */
import { addMatmulTN, matmul, matmulNT } from './linalg.js';

export interface Dims {
  k: number;
  vocab: number;
  dModel: number;
  dHead: number;
}

/** Parameter tensors in the order they are laid out in the flat parameter vector (and drawn at init). */
export const PARAM_NAMES = ['WE', 'Wpos', 'WQ', 'WK', 'WV', 'WO', 'WU'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** Shapes as in src/model/model.ts: W_E [V, d], W_pos [K, d], W_Q/W_K/W_V [d, d_head], W_O [d_head, d], W_U [d, V]. */
export function paramShapes(dims: Dims): Record<ParamName, [number, number]> {
  const { k, vocab: V, dModel: d, dHead: h } = dims;
  return { WE: [V, d], Wpos: [k, d], WQ: [d, h], WK: [d, h], WV: [d, h], WO: [h, d], WU: [d, V] };
}

export interface ParamLayout {
  offsets: Record<ParamName, number>;
  sizes: Record<ParamName, number>;
  total: number;
}

export function paramLayout(dims: Dims): ParamLayout {
  const shapes = paramShapes(dims);
  const offsets = {} as Record<ParamName, number>;
  const sizes = {} as Record<ParamName, number>;
  let total = 0;
  for (const name of PARAM_NAMES) {
    offsets[name] = total;
    sizes[name] = shapes[name][0] * shapes[name][1];
    total += sizes[name];
  }
  return { offsets, sizes, total };
}

/** Views of each tensor inside a flat vector laid out by `layout` (they share its memory). */
export function paramViews(flat: Float64Array, layout: ParamLayout): Record<ParamName, Float64Array> {
  const views = {} as Record<ParamName, Float64Array>;
  for (const name of PARAM_NAMES) views[name] = flat.subarray(layout.offsets[name], layout.offsets[name] + layout.sizes[name]);
  return views;
}

export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Sequences whose first argmax logit is the label (the training-time accuracy, for progress only). */
  correct: number;
}

/**
 * Holds the buffers for one batch size, so that a training step allocates nothing.
 * `lossAndGrad` overwrites `grad` with d(mean loss)/d(params).
 */
export class MaxOfKNet {
  readonly layout: ParamLayout;
  private readonly scale: number;
  // Forward activations ([rows, cols]; N = batch·K rows are (sequence, position) pairs, sequence-major).
  private readonly X: Float64Array; // [N, d] residual stream before attention
  private readonly Xq: Float64Array; // [B, d] the last position's rows of X
  private readonly Q: Float64Array; // [B, h]
  private readonly Kt: Float64Array; // [N, h]
  private readonly Vt: Float64Array; // [N, h]
  private readonly A: Float64Array; // [B, K] attention of the last position
  private readonly Z: Float64Array; // [B, h]
  private readonly R: Float64Array; // [B, d] residual stream after attention
  private readonly L: Float64Array; // [B, V] logits, then their gradient
  // Backward buffers.
  private readonly dR: Float64Array; // [B, d]
  private readonly dZ: Float64Array; // [B, h]
  private readonly dA: Float64Array; // [B, K]
  private readonly dQ: Float64Array; // [B, h]
  private readonly dKt: Float64Array; // [N, h]
  private readonly dVt: Float64Array; // [N, h]
  private readonly dX: Float64Array; // [N, d]
  private readonly tmp: Float64Array; // [N, d] scratch for the second half of dX and for dXq
  private readonly labels: Int32Array; // [B]

  constructor(readonly dims: Dims, readonly batch: number) {
    const { k: K, vocab: V, dModel: d, dHead: h } = dims;
    const N = batch * K;
    this.layout = paramLayout(dims);
    this.scale = 1 / Math.sqrt(h);
    this.X = new Float64Array(N * d);
    this.Xq = new Float64Array(batch * d);
    this.Q = new Float64Array(batch * h);
    this.Kt = new Float64Array(N * h);
    this.Vt = new Float64Array(N * h);
    this.A = new Float64Array(batch * K);
    this.Z = new Float64Array(batch * h);
    this.R = new Float64Array(batch * d);
    this.L = new Float64Array(batch * V);
    this.dR = new Float64Array(batch * d);
    this.dZ = new Float64Array(batch * h);
    this.dA = new Float64Array(batch * K);
    this.dQ = new Float64Array(batch * h);
    this.dKt = new Float64Array(N * h);
    this.dVt = new Float64Array(N * h);
    this.dX = new Float64Array(N * d);
    this.tmp = new Float64Array(N * d);
    this.labels = new Int32Array(batch);
  }

  /**
   * `tokens` holds `batch` sequences of K tokens each, sequence-major. Returns the mean loss and the number of
   * sequences the batch got right; writes the gradient of the mean loss into `grad` (same layout as `params`).
   */
  lossAndGrad(params: Float64Array, tokens: ArrayLike<number>, grad: Float64Array): BatchResult {
    const { k: K, vocab: V, dModel: d, dHead: h } = this.dims;
    const B = this.batch;
    const N = B * K;
    const { X, Xq, Q, Kt, Vt, A, Z, R, L, dR, dZ, dA, dQ, dKt, dVt, dX, tmp, labels, scale } = this;
    const P = paramViews(params, this.layout);
    const G = paramViews(grad, this.layout);
    grad.fill(0);

    // Embeddings and labels.
    for (let b = 0; b < B; b++) {
      let label = 0;
      for (let p = 0; p < K; p++) {
        const t = tokens[b * K + p];
        if (t > label) label = t;
        const xo = (b * K + p) * d;
        for (let i = 0; i < d; i++) X[xo + i] = P.WE[t * d + i] + P.Wpos[p * d + i];
      }
      labels[b] = label;
      Xq.set(X.subarray((b * K + K - 1) * d, (b * K + K) * d), b * d);
    }

    // Attention of the last position.
    matmul(Q, Xq, P.WQ, B, d, h);
    matmul(Kt, X, P.WK, N, d, h);
    matmul(Vt, X, P.WV, N, d, h);
    Z.fill(0);
    for (let b = 0; b < B; b++) {
      let maxS = -Infinity;
      for (let p = 0; p < K; p++) {
        const ko = (b * K + p) * h;
        let s = 0;
        for (let j = 0; j < h; j++) s += Q[b * h + j] * Kt[ko + j];
        s *= scale;
        A[b * K + p] = s;
        if (s > maxS) maxS = s;
      }
      let sum = 0;
      for (let p = 0; p < K; p++) {
        const e = Math.exp(A[b * K + p] - maxS);
        A[b * K + p] = e;
        sum += e;
      }
      for (let p = 0; p < K; p++) {
        const a = A[b * K + p] / sum;
        A[b * K + p] = a;
        const vo = (b * K + p) * h;
        for (let j = 0; j < h; j++) Z[b * h + j] += a * Vt[vo + j];
      }
    }
    matmul(R, Z, P.WO, B, h, d);
    for (let i = 0; i < B * d; i++) R[i] += Xq[i];
    matmul(L, R, P.WU, B, d, V);

    // Loss; L becomes dLoss/dLogits = (softmax - onehot(label)) / B.
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < B; b++) {
      const lo = b * V;
      const y = labels[b];
      let top = 0;
      for (let x = 1; x < V; x++) if (L[lo + x] > L[lo + top]) top = x;
      const maxL = L[lo + top];
      const yMinusMax = L[lo + y] - maxL;
      let others = 0;
      for (let x = 0; x < V; x++) {
        const e = x === top ? 1 : Math.exp(L[lo + x] - maxL);
        if (x !== top) others += e;
        L[lo + x] = e;
      }
      // log_softmax(logits)[y] = (logit_y - max) - log1p(Σ_{x ≠ argmax} exp(logit_x - max)).
      lossSum -= yMinusMax - Math.log1p(others);
      if (top === y) correct++;
      const z = 1 + others;
      for (let x = 0; x < V; x++) L[lo + x] = (L[lo + x] / z - (x === y ? 1 : 0)) / B;
    }

    // Unembedding and output projection.
    addMatmulTN(G.WU, R, L, B, d, V);
    matmulNT(dR, L, P.WU, B, V, d);
    addMatmulTN(G.WO, Z, dR, B, h, d);
    matmulNT(dZ, dR, P.WO, B, d, h);

    // Through the attention softmax: dVt = a·dZ, da_p = dZ·Vt_p, ds_p = a_p (da_p - Σ a da), then dQ and dKt.
    dQ.fill(0);
    for (let b = 0; b < B; b++) {
      let weighted = 0;
      for (let p = 0; p < K; p++) {
        const a = A[b * K + p];
        const vo = (b * K + p) * h;
        let da = 0;
        for (let j = 0; j < h; j++) {
          dVt[vo + j] = a * dZ[b * h + j];
          da += dZ[b * h + j] * Vt[vo + j];
        }
        dA[b * K + p] = da;
        weighted += a * da;
      }
      for (let p = 0; p < K; p++) {
        const ko = (b * K + p) * h;
        const ds = A[b * K + p] * (dA[b * K + p] - weighted) * scale;
        for (let j = 0; j < h; j++) {
          dQ[b * h + j] += ds * Kt[ko + j];
          dKt[ko + j] = ds * Q[b * h + j];
        }
      }
    }

    // Projections back to the residual stream.
    addMatmulTN(G.WQ, Xq, dQ, B, d, h);
    addMatmulTN(G.WK, X, dKt, N, d, h);
    addMatmulTN(G.WV, X, dVt, N, d, h);
    matmulNT(dX, dKt, P.WK, N, h, d);
    matmulNT(tmp, dVt, P.WV, N, h, d);
    for (let i = 0; i < N * d; i++) dX[i] += tmp[i];
    matmulNT(tmp, dQ, P.WQ, B, h, d);
    for (let b = 0; b < B; b++) {
      const xo = (b * K + K - 1) * d;
      for (let i = 0; i < d; i++) dX[xo + i] += tmp[b * d + i] + dR[b * d + i];
    }

    // Embeddings.
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < K; p++) {
        const t = tokens[b * K + p];
        const xo = (b * K + p) * d;
        for (let i = 0; i < d; i++) {
          G.WE[t * d + i] += dX[xo + i];
          G.Wpos[p * d + i] += dX[xo + i];
        }
      }
    }
    return { loss: lossSum / B, correct };
  }
}
