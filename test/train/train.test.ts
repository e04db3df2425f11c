import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { dataSeed, train, type TrainOptions } from '../../src/train/train.js';

const tiny = { k: 3, vocab: 8, dModel: 8, dHead: 8, batch: 32 };

const bytes = (t: Float32Array | Float64Array) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);

/**
 * SHA-256 of a run's float32 tensors (weights, then biases when trained) and of every step's float64 loss: the losses
 * carry differences in the last bits of the float64 parameters that the float32 rounding of a short run would hide.
 */
function fingerprint(options: TrainOptions): string {
  const losses: number[] = [];
  const { model } = train(options, (p) => losses.push(p.loss));
  const hash = createHash('sha256');
  for (const t of [model.WE, model.Wpos, model.WQ, model.WK, model.WV, model.WO, model.WU, ...Object.values(model.biases ?? {})]) hash.update(bytes(t));
  return hash.update(bytes(Float64Array.from(losses))).digest('hex');
}

/**
 * Fingerprints of short runs, taken from the trainer that trained models/ (before its kernels were tiled). Float64
 * addition is not associative, so a change in the order of any sum (or a regrouped AdamW update) changes them, as it
 * would change the shipped models. The runs cover the paper's shapes (K·V = 256 distinct pairs under 512 rows, so rows are shared), a batch
 * smaller than K·V, and odd widths with trained biases (the kernels' edge tiles).
 */
const PINNED: Array<[TrainOptions, string]> = [
  [{ k: 4, vocab: 64, dModel: 32, dHead: 32, batch: 128, steps: 20, seed: 123 }, '67536ace9e86e491081ecb99dccc12b2afdbc478fc0c19ca5b85c4c85bef84c8'],
  [{ k: 4, vocab: 64, dModel: 8, dHead: 8, batch: 8, steps: 30, seed: 4 }, '29d4ced1961740d69da9471d0cd635f4873c9a3c90160972a984673c964df555'],
  [{ k: 3, vocab: 7, dModel: 6, dHead: 5, batch: 9, steps: 40, seed: 2, biases: true }, '6f4acbabe0cb1a7e0bae4c3ceb77af33821ec84da9616ecabc3f27464d289b69'],
];

describe('train', () => {
  it('lowers the loss on a short run', () => {
    const losses: number[] = [];
    train({ ...tiny, seed: 1, steps: 300, lr: 1e-2 }, (p) => losses.push(p.loss));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Chance level is ln(8) ≈ 2.08; the first steps sit near it.
    expect(mean(losses.slice(0, 20))).toBeGreaterThan(1.5);
    expect(mean(losses.slice(-20))).toBeLessThan(0.5 * mean(losses.slice(0, 20)));
  });

  it('reports every step once, in order', () => {
    const steps: number[] = [];
    train({ ...tiny, seed: 1, steps: 5 }, (p) => steps.push(p.step));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
  });

  it('is a function of the seed: same seed, same bytes; another seed, other weights and another data stream', () => {
    const bytes = (seed: number) => serializeModel(train({ ...tiny, seed, steps: 20 }).model);
    const a = bytes(42);
    expect(Buffer.from(bytes(42)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(bytes(43)).equals(Buffer.from(a))).toBe(false);
    expect(dataSeed(42)).not.toBe(dataSeed(43));
  });

  it.each(PINNED)('reproduces the pinned bytes of %j', (options, expected) => {
    expect(fingerprint(options)).toBe(expected);
  });

  it('stores the float32 weights, the seed and the recipe in a readable model file', () => {
    const { model, finalLoss } = train({ ...tiny, seed: 9, steps: 3 });
    const read = parseModel(serializeModel(model));
    expect(read.config).toEqual({ k: 3, vocab: 8, dModel: 8, dHead: 8 });
    expect(read.WU).toEqual(model.WU);
    expect(read.metadata.seed).toBe('9');
    expect(Number(read.metadata.final_loss)).toBe(finalLoss);
    const recipe = JSON.parse(read.metadata.training) as Record<string, unknown>;
    expect(recipe).toMatchObject({ trainer: 'mechcert', optimizer: 'AdamW', lr: 1e-3, betas: [0.9, 0.999], weight_decay: 0.01, batch: 32, steps: 3 });
    expect(recipe.init_std).toBeCloseTo(0.8 / Math.sqrt(8), 15);
    expect(recipe.data_seed).toBe(String(dataSeed(9)));
  });
});
