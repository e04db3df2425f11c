/**
 * AdamW with PyTorch's semantics (torch.optim.AdamW, single-tensor path, amsgrad off), on one flat float64 vector.
 * Per step t (from 1), for every parameter p with gradient g:
 *   p ← p·(1 − lr·wd)                          decoupled weight decay, before the moment update
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * β^t is kept as a running product (plain IEEE multiplications) rather than taken with Math.pow, whose accuracy
 * ECMAScript leaves to the implementation.
 */

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults, which are also the paper's settings (docs/paper.md §3.1). */
export const ADAMW_DEFAULTS: AdamWOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export class AdamW {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private beta1Pow = 1;
  private beta2Pow = 1;

  constructor(size: number, readonly opts: AdamWOptions) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(params: Float64Array, grad: Float64Array): void {
    const { lr, beta1, beta2, eps, weightDecay } = this.opts;
    const { m, v } = this;
    this.beta1Pow *= beta1;
    this.beta2Pow *= beta2;
    const stepSize = lr / (1 - this.beta1Pow);
    const bias2Sqrt = Math.sqrt(1 - this.beta2Pow);
    const decay = 1 - lr * weightDecay;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = params[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / bias2Sqrt + eps);
    }
  }
}
