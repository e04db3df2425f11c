/** Random models for tests: every weight normal(0, std) from the project's seeded PRNG, zero biases unless added. */
import type { Model, ModelConfig } from '../../src/model/model.js';
import { Rng } from '../../src/train/rng.js';

export function randomModel(config: ModelConfig, seed: number, std = 0.8 / Math.sqrt(config.dModel)): Omit<Model, 'sha256'> {
  const { k, vocab, dModel: d, dHead: h } = config;
  const rng = new Rng(BigInt(seed));
  const normal = (n: number) => Float32Array.from({ length: n }, () => std * rng.normal());
  return {
    config: { ...config },
    WE: normal(vocab * d),
    Wpos: normal(k * d),
    WQ: normal(d * h),
    WK: normal(d * h),
    WV: normal(d * h),
    WO: normal(h * d),
    WU: normal(d * vocab),
    metadata: { seed: String(seed) },
  };
}

/**
 * A model that mostly solves Max-of-K, plus normal(0, noise) on every weight, so that both verdicts are common:
 * d_model = d_head = V, W_E = I, attention score c·t_p/sqrt(V) (so the larger tokens draw the attention), and
 * EVOU = gain·I, which votes for the attended tokens against the direct path's vote EU[q] = e_q.
 */
export function solverModel(k: number, vocab: number, seed: number, noise = 0.05, c = 4, gain = 6): Omit<Model, 'sha256'> {
  const m = randomModel({ k, vocab, dModel: vocab, dHead: vocab }, seed, noise);
  const V = vocab;
  for (let i = 0; i < V; i++) {
    m.WE[i * V + i] += 1;
    m.WQ[i * V] += 1;
    m.WK[i * V] += c * i;
    m.WV[i * V + i] += 1;
    m.WO[i * V + i] += gain;
    m.WU[i * V + i] += 1;
  }
  return m;
}

/** The model with every bias normal(0, std) from the project's seeded PRNG (TransformerLens's b_Q, b_K, b_V, b_O, b_U). */
export function withRandomBiases<M extends Omit<Model, 'sha256'>>(model: M, seed: number, std = 0.5): M {
  const { vocab, dModel: d, dHead: h } = model.config;
  const rng = new Rng(BigInt(seed) ^ 0xb1a5n);
  const normal = (n: number) => Float32Array.from({ length: n }, () => std * rng.normal());
  return { ...model, biases: { bQ: normal(h), bK: normal(h), bV: normal(h), bO: normal(d), bU: normal(vocab) } };
}
