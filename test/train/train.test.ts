import { describe, expect, it } from 'vitest';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { dataSeed, train } from '../../src/train/train.js';

const tiny = { k: 3, vocab: 8, dModel: 8, dHead: 8, batch: 32 };

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
