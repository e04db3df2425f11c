/**
 * Loss and gradient of the paper's model (docs/paper.md §2) on a batch of Max-of-K sequences, in float64, by hand-written
 * backpropagation vectorised over the batch.
 *
 * Only the last position's output enters the loss, and the last query row of a causal mask sees every position, so
 * the mask never applies and only that one query row is computed. In the paper's recipe the biases are zero and
 * frozen, so they are not parameters; with `dims.biases` they are (b_K's gradient is zero up to rounding: it adds the
 * same term to every score of a sequence). With x_p = W_E[t_p] + W_pos[p] and q = x_{K-1}, biases zero when frozen:
 *   s_p = (q W_Q + b_Q) · (x_p W_K + b_K) / sqrt(d_head),   a = softmax(s),   z = Σ_p a_p (x_p W_V + b_V),
 *   logits = (q + z W_O + b_O) W_U + b_U,
 *   loss = -mean over the batch of log_softmax(logits)[max(t)].
 * log_softmax is taken the way the reference's `use_log1p` does: subtract the largest logit, leave the argmax's own
 * term (exactly 1) out of the sum and use log1p of the others' sum, which keeps the small losses of a well-trained
 * model precise.
 */
import { matmul, matmulNT, matmulTN } from './linalg.js';

export interface Dims {
  k: number;
  vocab: number;
  dModel: number;
  dHead: number;
  /** The biases are parameters too (laid out after the weights); otherwise they are zero and frozen. */
  biases?: boolean;
}

/** Weight tensors in the order they are laid out in the flat parameter vector (and drawn at init). */
export const PARAM_NAMES = ['WE', 'Wpos', 'WQ', 'WK', 'WV', 'WO', 'WU'] as const;
/** Bias tensors, laid out after the weights when they are trained (and initialised to zero, as TransformerLens does). */
export const BIAS_PARAM_NAMES = ['bQ', 'bK', 'bV', 'bO', 'bU'] as const;
export type ParamName = (typeof PARAM_NAMES)[number] | (typeof BIAS_PARAM_NAMES)[number];

/** The tensors that are parameters under `dims`, in layout order. */
export function paramNames(dims: Dims): readonly ParamName[] {
  return dims.biases ? [...PARAM_NAMES, ...BIAS_PARAM_NAMES] : PARAM_NAMES;
}

/**
 * Shapes as in src/model/model.ts: W_E [V, d], W_pos [K, d], W_Q/W_K/W_V [d, d_head], W_O [d_head, d], W_U [d, V];
 * b_Q/b_K/b_V [1, d_head], b_O [1, d], b_U [1, V].
 */
export function paramShapes(dims: Dims): Record<ParamName, [number, number]> {
  const { k, vocab: V, dModel: d, dHead: h } = dims;
  return { WE: [V, d], Wpos: [k, d], WQ: [d, h], WK: [d, h], WV: [d, h], WO: [h, d], WU: [d, V], bQ: [1, h], bK: [1, h], bV: [1, h], bO: [1, d], bU: [1, V] };
}

/** Offsets and sizes of the tensors that are parameters (the bias entries only when `dims.biases`). */
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
  for (const name of paramNames(dims)) {
    offsets[name] = total;
    sizes[name] = shapes[name][0] * shapes[name][1];
    total += sizes[name];
  }
  return { offsets, sizes, total };
}

/** Views of each tensor inside a flat vector laid out by `layout` (they share its memory); no bias views without biases. */
export function paramViews(flat: Float64Array, layout: ParamLayout): Record<ParamName, Float64Array> {
  const views = {} as Record<ParamName, Float64Array>;
  for (const name of Object.keys(layout.offsets) as ParamName[]) views[name] = flat.subarray(layout.offsets[name], layout.offsets[name] + layout.sizes[name]);
  return views;
}

/** A [rows, row.length] += row, broadcast over the rows. */
function addBias(A: Float64Array, row: Float64Array, rows: number): void {
  const n = row.length;
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) A[r * n + c] += row[c];
}

/** g[c] += Σ_r A[r, c] for A [rows, g.length]: a broadcast bias's gradient. */
function addColumnSums(g: Float64Array, A: Float64Array, rows: number): void {
  const n = g.length;
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) g[c] += A[r * n + c];
}

export interface BatchResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Sequences whose first argmax logit is the label (the training-time accuracy, for progress only). */
  correct: number;
}

type Views = Record<ParamName, Float64Array>;

/**
 * Holds the buffers for one batch size, so that a training step allocates nothing.
 * `lossAndGrad` overwrites `grad` with d(mean loss)/d(params).
 *
 * A key or value row depends only on the (position, token) pair it comes from, so the forward pass computes one row
 * per distinct pair in the batch (at most V·K of the batch·K rows; about 220 of 512 in the paper's K=4 batch) with
 * exactly the operations the row would get on its own, and every row that shares the pair reads it.
 */
export class MaxOfKNet {
  readonly layout: ParamLayout;
  private readonly scale: number;
  // Forward activations ([rows, cols]; N = batch·K rows are (sequence, position) pairs, sequence-major; U ≤ min(N,
  // V·K) rows are the distinct (position, token) pairs of the batch, in order of first appearance).
  private readonly X: Float64Array; // [N, d] residual stream before attention
  private readonly Xq: Float64Array; // [B, d] the last position's rows of X
  private readonly Xu: Float64Array; // [U, d] the distinct rows of X
  private readonly row: Int32Array; // [N] the row of Xu (and of Kt, Vt) that each row of X equals
  private readonly slot: Int32Array; // [K·V] the row of Xu of the pair (p, t) at p·V + t, or -1
  private readonly Q: Float64Array; // [B, h]
  private readonly Kt: Float64Array; // [U, h]
  private readonly Vt: Float64Array; // [U, h]
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
  private readonly dXk: Float64Array; // [N, d] the key path's part of dX
  private readonly dXv: Float64Array; // [N, d] the value path's part of dX
  private readonly dXq: Float64Array; // [B, d] the query path's part of the last position's dX
  private readonly labels: Int32Array; // [B]
  // Tensor views of the last parameter and gradient vectors seen (the trainer passes the same two every step).
  private views: { params: Float64Array; grad: Float64Array; P: Views; G: Views } | undefined;

  constructor(readonly dims: Dims, readonly batch: number) {
    const { k: K, vocab: V, dModel: d, dHead: h } = dims;
    const N = batch * K;
    const U = Math.min(N, V * K);
    this.layout = paramLayout(dims);
    this.scale = 1 / Math.sqrt(h);
    this.X = new Float64Array(N * d);
    this.Xq = new Float64Array(batch * d);
    this.Xu = new Float64Array(U * d);
    this.row = new Int32Array(N);
    this.slot = new Int32Array(K * V);
    this.Q = new Float64Array(batch * h);
    this.Kt = new Float64Array(U * h);
    this.Vt = new Float64Array(U * h);
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
    this.dXk = new Float64Array(N * d);
    this.dXv = new Float64Array(N * d);
    this.dXq = new Float64Array(batch * d);
    this.labels = new Int32Array(batch);
  }

  /**
   * `tokens` holds `batch` sequences of K tokens each, sequence-major. Returns the mean loss and the number of
   * sequences the batch got right; writes the gradient of the mean loss into `grad` (same layout as `params`).
   */
  lossAndGrad(params: Float64Array, tokens: ArrayLike<number>, grad: Float64Array): BatchResult {
    if (this.views?.params !== params || this.views.grad !== grad) {
      this.views = { params, grad, P: paramViews(params, this.layout), G: paramViews(grad, this.layout) };
    }
    const { P, G } = this.views;
    grad.fill(0);
    const distinct = this.embed(P, tokens);
    this.attend(P, distinct);
    this.project(P);
    const result = this.lossAndLogitGrad();
    this.backProject(P, G);
    this.backAttend();
    this.backEmbed(P, G, tokens);
    return result;
  }

  /** X, Xq, the distinct rows Xu with each row's index into them, and the labels; returns the number of distinct rows. */
  private embed(P: Views, tokens: ArrayLike<number>): number {
    const { k: K, vocab: V, dModel: d } = this.dims;
    const { X, Xq, Xu, row, slot, labels } = this;
    slot.fill(-1);
    let distinct = 0;
    for (let b = 0; b < this.batch; b++) {
      let label = 0;
      for (let p = 0; p < K; p++) {
        const n = b * K + p;
        const t = tokens[n];
        if (t > label) label = t;
        const xo = n * d;
        for (let i = 0; i < d; i++) X[xo + i] = P.WE[t * d + i] + P.Wpos[p * d + i];
        let u = slot[p * V + t];
        if (u < 0) {
          u = distinct++;
          slot[p * V + t] = u;
          for (let i = 0; i < d; i++) Xu[u * d + i] = X[xo + i];
        }
        row[n] = u;
      }
      labels[b] = label;
      for (let i = 0; i < d; i++) Xq[b * d + i] = X[(b * K + K - 1) * d + i];
    }
    return distinct;
  }

  /** Q, the distinct key and value rows, the last position's attention A and its output Z. */
  private attend(P: Views, distinct: number): void {
    const { k: K, dModel: d, dHead: h } = this.dims;
    const B = this.batch;
    const { Xq, Xu, row, Q, Kt, Vt, A, Z, scale } = this;
    matmul(Q, Xq, P.WQ, B, d, h);
    matmul(Kt, Xu, P.WK, distinct, d, h);
    matmul(Vt, Xu, P.WV, distinct, d, h);
    if (this.dims.biases === true) {
      addBias(Q, P.bQ, B);
      addBias(Kt, P.bK, distinct);
      addBias(Vt, P.bV, distinct);
    }
    Z.fill(0);
    for (let b = 0; b < B; b++) {
      let maxS = -Infinity;
      for (let p = 0; p < K; p++) {
        const ko = row[b * K + p] * h;
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
        const vo = row[b * K + p] * h;
        for (let j = 0; j < h; j++) Z[b * h + j] += a * Vt[vo + j];
      }
    }
  }

  /** R = Xq + Z W_O (+ b_O) and the logits L = R W_U (+ b_U). */
  private project(P: Views): void {
    const { vocab: V, dModel: d, dHead: h } = this.dims;
    const B = this.batch;
    const { Xq, Z, R, L } = this;
    matmul(R, Z, P.WO, B, h, d);
    for (let i = 0; i < B * d; i++) R[i] += Xq[i];
    if (this.dims.biases === true) addBias(R, P.bO, B);
    matmul(L, R, P.WU, B, d, V);
    if (this.dims.biases === true) addBias(L, P.bU, B);
  }

  /** The batch's loss and correct count; L becomes dLoss/dLogits = (softmax - onehot(label)) / B. */
  private lossAndLogitGrad(): BatchResult {
    const V = this.dims.vocab;
    const B = this.batch;
    const { L, labels } = this;
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
    return { loss: lossSum / B, correct };
  }

  /** Gradients of W_U, W_O (and b_U, b_O), and dR, dZ. */
  private backProject(P: Views, G: Views): void {
    const { vocab: V, dModel: d, dHead: h } = this.dims;
    const B = this.batch;
    const { R, Z, L, dR, dZ } = this;
    matmulTN(G.WU, R, L, B, d, V);
    matmulNT(dR, L, P.WU, B, V, d);
    matmulTN(G.WO, Z, dR, B, h, d);
    matmulNT(dZ, dR, P.WO, B, d, h);
    if (this.dims.biases === true) {
      addColumnSums(G.bU, L, B);
      addColumnSums(G.bO, dR, B);
    }
  }

  /** Through the attention softmax: dVt = a·dZ, da_p = dZ·Vt_p, ds_p = a_p (da_p - Σ a da), then dQ and dKt. */
  private backAttend(): void {
    const { k: K, dHead: h } = this.dims;
    const { A, Q, Kt, Vt, row, dZ, dA, dQ, dKt, dVt, scale } = this;
    dQ.fill(0);
    for (let b = 0; b < this.batch; b++) {
      let weighted = 0;
      for (let p = 0; p < K; p++) {
        const a = A[b * K + p];
        const no = (b * K + p) * h;
        const vo = row[b * K + p] * h;
        let da = 0;
        for (let j = 0; j < h; j++) {
          dVt[no + j] = a * dZ[b * h + j];
          da += dZ[b * h + j] * Vt[vo + j];
        }
        dA[b * K + p] = da;
        weighted += a * da;
      }
      for (let p = 0; p < K; p++) {
        const no = (b * K + p) * h;
        const ko = row[b * K + p] * h;
        const ds = A[b * K + p] * (dA[b * K + p] - weighted) * scale;
        for (let j = 0; j < h; j++) {
          dQ[b * h + j] += ds * Kt[ko + j];
          dKt[no + j] = ds * Q[b * h + j];
        }
      }
    }
  }

  /**
   * Gradients of W_Q, W_K, W_V (and b_Q, b_K, b_V), then of W_E and W_pos: row n of dX is
   * (dKt_n W_Kᵀ + dVt_n W_Vᵀ), plus (dQ_b W_Qᵀ + dR_b) at each sequence's last position, added row by row in order.
   */
  private backEmbed(P: Views, G: Views, tokens: ArrayLike<number>): void {
    const { k: K, dModel: d, dHead: h } = this.dims;
    const B = this.batch;
    const N = B * K;
    const { X, Xq, dQ, dKt, dVt, dR, dXk, dXv, dXq } = this;
    matmulTN(G.WQ, Xq, dQ, B, d, h);
    matmulTN(G.WK, X, dKt, N, d, h);
    matmulTN(G.WV, X, dVt, N, d, h);
    if (this.dims.biases === true) {
      addColumnSums(G.bQ, dQ, B);
      addColumnSums(G.bK, dKt, N);
      addColumnSums(G.bV, dVt, N);
    }
    matmulNT(dXk, dKt, P.WK, N, h, d);
    matmulNT(dXv, dVt, P.WV, N, h, d);
    matmulNT(dXq, dQ, P.WQ, B, h, d);
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < K; p++) {
        const n = b * K + p;
        const eo = tokens[n] * d;
        const po = p * d;
        const last = p === K - 1;
        for (let i = 0; i < d; i++) {
          let g = dXk[n * d + i] + dXv[n * d + i];
          if (last) g += dXq[b * d + i] + dR[b * d + i];
          G.WE[eo + i] += g;
          G.Wpos[po + i] += g;
        }
      }
    }
  }
}
