import { describe, expect, it } from 'vitest';
import { MaxOfKNet, paramViews, type Dims } from '../../src/train/forward-backward.js';
import { Rng } from '../../src/train/rng.js';

/** Independent scalar forward pass (no shared code with the net): mean loss by the textbook log_softmax. */
function referenceLoss(dims: Dims, params: Float64Array, net: MaxOfKNet, tokens: Int32Array, batch: number): number {
  const { k: K, vocab: V, dModel: d, dHead: h } = dims;
  const W = paramViews(params, net.layout);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const seq = Array.from(tokens.subarray(b * K, (b + 1) * K));
    const x = seq.map((t, p) => Array.from({ length: d }, (_, i) => W.WE[t * d + i] + W.Wpos[p * d + i]));
    const proj = (v: number[], M: Float64Array, cols: number) =>
      Array.from({ length: cols }, (_, c) => v.reduce((s, vi, i) => s + vi * M[i * cols + c], 0));
    const q = proj(x[K - 1], W.WQ, h);
    const scores = x.map((xp) => proj(xp, W.WK, h).reduce((s, kj, j) => s + kj * q[j], 0) / Math.sqrt(h));
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - m));
    const a = e.map((v) => v / e.reduce((s, u) => s + u, 0));
    const z = new Array<number>(h).fill(0);
    x.forEach((xp, p) => proj(xp, W.WV, h).forEach((v, j) => (z[j] += a[p] * v)));
    const o = proj(z, W.WO, d);
    const r = x[K - 1].map((xi, i) => xi + o[i]);
    const logits = proj(r, W.WU, V);
    const lm = Math.max(...logits);
    const lse = lm + Math.log(logits.reduce((s, l) => s + Math.exp(l - lm), 0));
    total += lse - logits[Math.max(...seq)];
  }
  return total / batch;
}

describe('MaxOfKNet.lossAndGrad', () => {
  const dims: Dims = { k: 3, vocab: 5, dModel: 4, dHead: 3 };
  const batch = 7;
  const net = new MaxOfKNet(dims, batch);
  const rng = new Rng(2024n);
  const params = new Float64Array(net.layout.total).map(() => 0.7 * rng.normal());
  const tokens = new Int32Array(batch * dims.k).map(() => rng.uniformInt(dims.vocab));
  const grad = new Float64Array(net.layout.total);
  const { loss } = net.lossAndGrad(params, tokens, grad);

  it('computes the same loss as an independent scalar forward pass', () => {
    expect(loss).toBeCloseTo(referenceLoss(dims, params, net, tokens, batch), 12);
  });

  it('matches central finite differences for every parameter', () => {
    const scratch = new Float64Array(net.layout.total);
    const eps = 1e-6;
    let worst = 0;
    for (let i = 0; i < params.length; i++) {
      const saved = params[i];
      params[i] = saved + eps;
      const up = net.lossAndGrad(params, tokens, scratch).loss;
      params[i] = saved - eps;
      const down = net.lossAndGrad(params, tokens, scratch).loss;
      params[i] = saved;
      const numeric = (up - down) / (2 * eps);
      worst = Math.max(worst, Math.abs(numeric - grad[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grad[i])));
    }
    // Central differences in float64 with eps 1e-6 agree to ~1e-9 relative; a wrong term shows up as O(1).
    expect(worst).toBeLessThan(1e-6);
  });

  it('is deterministic: the same inputs give bit-identical loss and gradient', () => {
    const again = new Float64Array(net.layout.total);
    expect(net.lossAndGrad(params, tokens, again).loss).toBe(loss);
    expect(again).toEqual(grad);
  });
});
