/**
 * Tiny models for the prover's property and mutation tests, built deterministically from a seed: random normal
 * weights at several scales (large scales push exp-table entries far below 2^−F), identity-like "solver" models
 * (d_model = V, W_E = I: mostly correct, so the proofs have cases to count), small-integer weights (exact ties in
 * attention and logits), and zero-attention models (every score equal). Also the float ground truth used to judge
 * soundness: a sequence is surely correct / possibly correct when its float logit margin is above +tol / −tol.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { certificateBytes, type Certificate } from '../../src/prove/certificate.js';
import { parseModel, serializeModel, type Model } from '../../src/model/model.js';
import { logitsFromTables, pathTables } from '../../src/model/paths.js';

export type ModelKind = 'normal' | 'large' | 'solver' | 'integer' | 'zero-attention';

export interface TinySpec {
  kind: ModelKind;
  vocab: number;
  k: number;
  dModel: number;
  dHead: number;
  seed: number;
  /** Weight scale (std for normal weights, noise for solver models). */
  scale: number;
  /** When set and > 0: every bias (b_Q, b_K, b_V, b_O, b_U) normal(0, biases), drawn after the weights. */
  biases?: number;
}

/** mulberry32. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildModel(spec: TinySpec): { model: Model; bytes: Uint8Array } {
  const { kind, vocab: V, k: K, seed, scale } = spec;
  const dModel = kind === 'solver' ? V : spec.dModel;
  const dHead = kind === 'solver' ? Math.max(1, Math.min(spec.dHead, V)) : spec.dHead;
  const next = prng(seed);
  const normal = () => {
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const d = dModel;
  const h = dHead;
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const std = kind === 'large' ? scale * 30 : kind === 'solver' ? scale : scale / Math.sqrt(d);
  const gen = kind === 'integer' ? () => Math.floor(next() * 3) - 1 : () => std * normal();
  const m = {
    config: { k: K, vocab: V, dModel: d, dHead: h },
    WE: fill(V * d, gen), Wpos: fill(K * d, gen), WQ: fill(d * h, gen), WK: fill(d * h, gen),
    WV: fill(d * h, gen), WO: fill(h * d, gen), WU: fill(d * V, gen),
    metadata: { seed: String(seed), kind },
  };
  if (kind === 'zero-attention') m.WQ.fill(0);
  if (kind === 'solver') {
    // W_E = I; score ∝ key token (through head dim 0); OV copies the attended token with gain 4.
    for (let i = 0; i < V; i++) {
      m.WE[i * d + i] += 1;
      m.WQ[i * h] += 1;
      m.WK[i * h] += 3 * i;
      if (i < h) m.WV[i * h + i] += 1;
      if (i < h) m.WO[i * d + i] += 4;
      m.WU[i * V + i] += 1;
    }
  }
  const b = spec.biases ?? 0;
  const biased = b > 0 ? { ...m, biases: { bQ: fill(h, () => b * normal()), bK: fill(h, () => b * normal()), bV: fill(h, () => b * normal()), bO: fill(d, () => b * normal()), bU: fill(V, () => b * normal()) } } : m;
  const bytes = serializeModel(biased);
  return { model: parseModel(bytes), bytes };
}

export const tinySpecArb: fc.Arbitrary<TinySpec> = fc.record({
  kind: fc.constantFrom<ModelKind>('normal', 'normal', 'large', 'solver', 'solver', 'integer', 'zero-attention'),
  vocab: fc.integer({ min: 3, max: 8 }),
  k: fc.integer({ min: 2, max: 4 }),
  dModel: fc.integer({ min: 2, max: 8 }),
  dHead: fc.integer({ min: 1, max: 8 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  scale: fc.constantFrom(0, 0.05, 0.3, 1, 3),
});

export interface FloatTruth {
  total: number;
  /** Float margin > +tol: correct however float error falls. */
  sure: number;
  /** Float margin > −tol: possibly correct (near-ties included). */
  maybe: number;
  /** Strict float verdict (the evaluator's count). */
  float: number;
}

/** Float ground truth over all V^K sequences (normalised softmax, float64). */
export function floatTruth(model: Model): FloatTruth {
  const T = pathTables(model);
  const { k: K, vocab: V } = T;
  const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  const tol = 1e-9 * (1 + maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU));
  const total = V ** K;
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let sure = 0;
  let maybe = 0;
  let float = 0;
  for (let n = 0; n < total; n++) {
    let r = n;
    for (let p = K - 1; p >= 0; p--) {
      tokens[p] = r % V;
      r = Math.floor(r / V);
    }
    let m = 0;
    for (let p = 0; p < K; p++) m = Math.max(m, tokens[p]);
    logitsFromTables(T, tokens, 0, logits, scratch);
    let other = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) other = Math.max(other, logits[x]);
    const margin = logits[m] - other;
    if (margin > tol) sure++;
    if (margin > -tol) maybe++;
    if (margin > 0) float++;
  }
  return { total, sure, maybe, float };
}

/**
 * The checker's verdict on a certificate the prover built from corrupted backend hints: 'rejected', or 'verified'
 * after asserting that the checked count is sound (≤ the sequences the float ground truth calls possibly correct).
 */
export async function judgeCorrupted(certificate: Certificate, bytes: Uint8Array, model: Model): Promise<'verified' | 'rejected'> {
  const verdict = await checkCertificate(certificateBytes(certificate), bytes);
  if (!verdict.verified) return 'rejected';
  expect(Number(verdict.counted)).toBeLessThanOrEqual(floatTruth(model).maybe);
  return 'verified';
}
