import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MaxOfKNet, paramLayout, paramViews, type Dims } from '../../src/train/forward-backward.js';
import { matmul, matmulNT, matmulTN } from '../../src/train/linalg.js';
import { Rng } from '../../src/train/rng.js';

/**
 * Independent scalar forward pass (no shared code with the net): mean loss by the textbook log_softmax, biases
 * applied where TransformerLens applies them (zero when they are not parameters).
 */
function referenceLoss(dims: Dims, params: Float64Array, net: MaxOfKNet, tokens: Int32Array, batch: number): number {
  const { k: K, vocab: V, dModel: d, dHead: h } = dims;
  const W = paramViews(params, net.layout);
  const bias = (b: Float64Array | undefined) => (i: number) => b?.[i] ?? 0;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const seq = Array.from(tokens.subarray(b * K, (b + 1) * K));
    const x = seq.map((t, p) => Array.from({ length: d }, (_, i) => W.WE[t * d + i] + W.Wpos[p * d + i]));
    const proj = (v: number[], M: Float64Array, cols: number, b: (c: number) => number) =>
      Array.from({ length: cols }, (_, c) => v.reduce((s, vi, i) => s + vi * M[i * cols + c], b(c)));
    const q = proj(x[K - 1], W.WQ, h, bias(W.bQ));
    const scores = x.map((xp) => proj(xp, W.WK, h, bias(W.bK)).reduce((s, kj, j) => s + kj * q[j], 0) / Math.sqrt(h));
    const m = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - m));
    const a = e.map((v) => v / e.reduce((s, u) => s + u, 0));
    const z = new Array<number>(h).fill(0);
    x.forEach((xp, p) => proj(xp, W.WV, h, bias(W.bV)).forEach((v, j) => (z[j] += a[p] * v)));
    const o = proj(z, W.WO, d, bias(W.bO));
    const r = x[K - 1].map((xi, i) => xi + o[i]);
    const logits = proj(r, W.WU, V, bias(W.bU));
    const lm = Math.max(...logits);
    const lse = lm + Math.log(logits.reduce((s, l) => s + Math.exp(l - lm), 0));
    total += lse - logits[Math.max(...seq)];
  }
  return total / batch;
}

describe.each([
  ['frozen zero biases', { k: 3, vocab: 5, dModel: 4, dHead: 3 }],
  ['trained biases', { k: 3, vocab: 5, dModel: 4, dHead: 3, biases: true }],
] as [string, Dims][])('MaxOfKNet.lossAndGrad, %s', (_, dims) => {
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

  it('lays the biases out after the weights, only when they are trained; b_K\'s gradient is zero up to rounding', () => {
    const layout = paramLayout(dims);
    const weights = paramLayout({ ...dims, biases: false });
    expect(layout.offsets).toMatchObject(weights.offsets);
    if (!dims.biases) {
      expect(layout.total).toBe(weights.total);
      return;
    }
    const { dModel: d, dHead: h, vocab: V } = dims;
    expect(layout.total).toBe(weights.total + 3 * h + d + V);
    expect(layout.offsets.bQ).toBe(weights.total);
    const G = paramViews(grad, layout);
    for (const name of ['bQ', 'bV', 'bO', 'bU'] as const) expect(Math.max(...G[name].map(Math.abs))).toBeGreaterThan(1e-6);
    expect(Math.max(...G.bK.map(Math.abs))).toBeLessThan(1e-14);
  });

  it('is deterministic: the same inputs give bit-identical loss and gradient', () => {
    const again = new Float64Array(net.layout.total);
    expect(net.lossAndGrad(params, tokens, again).loss).toBe(loss);
    expect(again).toEqual(grad);
  });

  it('reads whichever parameter and gradient vectors it is given (another pair with the same values)', () => {
    const otherGrad = new Float64Array(net.layout.total);
    expect(net.lossAndGrad(params.slice(), tokens, otherGrad).loss).toBe(loss);
    expect(otherGrad).toEqual(grad);
  });
});

describe('MaxOfKNet.lossAndGrad at the paper\'s shapes (K=4, V=64, d_model = d_head = 32, batch 128)', () => {
  // SHA-256 of the float64 gradient and loss of one batch, taken from the trainer that trained models/ (before its
  // kernels were tiled and its key and value rows shared): every sum must keep its order for the bytes to stay.
  it.each([
    [false, 'fe4ff310dc3ff5d3ef97c9e88670a1727412ccd158fed89323107f0e92c2aa25'],
    [true, 'deba445a93addeb07e838058c8fcdc1b75f3eefdb7dc690ebec06b77a3789a1e'],
  ])('gives the pinned gradient bytes, biases %s', (biases, expected) => {
    const net = new MaxOfKNet({ k: 4, vocab: 64, dModel: 32, dHead: 32, biases }, 128);
    const rng = new Rng(11n);
    const params = new Float64Array(net.layout.total).map(() => 0.3 * rng.normal());
    const tokens = new Int32Array(128 * 4).map(() => rng.uniformInt(64));
    const grad = new Float64Array(net.layout.total);
    const { loss } = net.lossAndGrad(params, tokens, grad);
    const bytes = (t: Float64Array) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    expect(createHash('sha256').update(bytes(grad)).update(bytes(Float64Array.of(loss))).digest('hex')).toBe(expected);
  });
});

describe('linalg kernels', () => {
  /** Entry (i, c) as one sum over k ascending, from 0: the order the trainer's results depend on. */
  const reference = (m: number, p: number, n: number, a: (i: number, k: number) => number, b: (k: number, c: number) => number) =>
    Float64Array.from({ length: m * p }, (_, e) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += a(Math.floor(e / p), k) * b(k, e % p);
      return s;
    });
  const rng = new Rng(7n);
  const random = (length: number) => Float64Array.from({ length }, () => rng.normal());

  // Shapes that fill the 2×4 tiles exactly and ones that leave a last row, last columns or both.
  it.each([[1, 1, 1], [2, 4, 3], [3, 5, 2], [7, 6, 5], [8, 9, 1], [16, 32, 8]])('compute every entry in that order, m=%i n=%i p=%i', (m, n, p) => {
    const A = random(m * n);
    const Bnn = random(n * p);
    const Bnt = random(p * n);
    const Btn = random(m * p);
    const C = new Float64Array(m * p);
    matmul(C, A, Bnn, m, n, p);
    expect(C).toEqual(reference(m, p, n, (i, k) => A[i * n + k], (k, c) => Bnn[k * p + c]));
    matmulNT(C, A, Bnt, m, n, p);
    expect(C).toEqual(reference(m, p, n, (i, k) => A[i * n + k], (k, c) => Bnt[c * n + k]));
    const G = new Float64Array(n * p);
    matmulTN(G, A, Btn, m, n, p);
    expect(G).toEqual(reference(n, p, m, (j, i) => A[i * n + j], (i, c) => Btn[i * p + c]));
  });
});
