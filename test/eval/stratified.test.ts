import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateExhaustive } from '../../src/eval/exhaustive.js';
import { normalQuantile } from '../../src/eval/interval.js';
import { enumerateStratum, forEachStratum, sampleStratum, stratumSizes } from '../../src/eval/strata.js';
import { evaluateStratified } from '../../src/eval/stratified.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { Rng } from '../../src/train/rng.js';
import { randomModel, solverModel } from '../model/random-model.js';

/** Σ over every class (m, q, c, k) of its exact size. */
function sizeSum(K: number, V: number): bigint {
  const sizes = stratumSizes(K, V);
  let sum = 0n;
  for (let m = 0; m < V; m++) for (let q = 0; q <= m; q++) forEachStratum(K, m, q, (c, k) => (sum += c === 0 ? 1n : sizes[c * (V - 1) + k]));
  return sum;
}

/** The class key of a sequence, computed from its definition. */
function keyOf(t: ArrayLike<number>): string {
  const K = t.length;
  const m = Math.max(...Array.from(t));
  const others = Array.from(t).slice(0, K - 1).filter((x) => x < m);
  return `${m},${t[K - 1]},${others.length},${others.length ? Math.max(...others) : -1}`;
}

describe('strata', () => {
  it('class sizes sum to V^K exactly, as BigInts', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 40 }), (K, V) => sizeSum(K, V) === BigInt(V) ** BigInt(K)));
    for (const [K, V] of [[5, 64], [10, 64], [10, 128], [20, 64]]) expect(sizeSum(K, V)).toBe(BigInt(V) ** BigInt(K));
  });

  it('enumerates each class exactly, and the classes partition the space', () => {
    for (const [K, V] of [[4, 5], [3, 4], [2, 3], [1, 4]]) {
      const sizes = stratumSizes(K, V);
      const seen = new Set<string>();
      const tokens = new Int32Array(K);
      for (let m = 0; m < V; m++) {
        for (let q = 0; q <= m; q++) {
          forEachStratum(K, m, q, (c, k) => {
            let members = 0;
            enumerateStratum(K, { m, q, c, k }, tokens, () => {
              expect(keyOf(tokens)).toBe(`${m},${q},${c},${k}`);
              seen.add(tokens.join(','));
              members++;
            });
            expect(BigInt(members)).toBe(c === 0 ? 1n : sizes[c * (V - 1) + k]);
          });
        }
      }
      expect(seen.size).toBe(V ** K);
    }
  });

  it('draws every member of a class, each about equally often', () => {
    const K = 5;
    const key = { m: 5, q: 2, c: 3, k: 3 };
    const size = Number(stratumSizes(K, 6)[3 * 5 + 3]);
    const rng = new Rng(7n);
    const tokens = new Int32Array(K);
    const slots = new Int32Array(K);
    const counts = new Map<string, number>();
    const draws = 100 * size;
    for (let i = 0; i < draws; i++) {
      sampleStratum(rng, K, key, tokens, slots);
      expect(keyOf(tokens)).toBe('5,2,3,3');
      counts.set(tokens.join(','), (counts.get(tokens.join(',')) ?? 0) + 1);
    }
    expect(counts.size).toBe(size);
    // Pearson's χ² with size − 1 degrees of freedom, against mean + 5 standard deviations.
    const chi2 = [...counts.values()].reduce((a, n) => a + (n - 100) ** 2 / 100, 0);
    expect(chi2).toBeLessThan(size - 1 + 5 * Math.sqrt(2 * (size - 1)));
  });
});

describe('evaluateStratified', () => {
  const load = (m: Parameters<typeof serializeModel>[0]) => parseModel(serializeModel(m));
  const models = [
    load(solverModel(5, 8, 1, 0.02)),
    load(solverModel(5, 8, 2, 0.05)),
    load(solverModel(6, 7, 3, 0.03)),
    load(randomModel({ k: 4, vocab: 6, dModel: 4, dHead: 4 }, 5, 0.5)),
  ];

  it('has the exhaustive accuracy inside its 99.9% interval on tiny models (seed 1)', async () => {
    for (const model of models) {
      const truth = await evaluateExhaustive(model, { threads: 1 });
      const est = await evaluateStratified(model, { seed: 1n, confidence: 0.999, threads: 1 });
      expect(est.sampledStrata).toBeGreaterThan(0);
      expect(est.interval.lower).toBeLessThanOrEqual(truth.accuracy);
      expect(est.interval.upper).toBeGreaterThanOrEqual(truth.accuracy);
      expect(est.interval).toMatchObject({ confidence: 0.999, kind: 'normal, stratified variance' });
    }
  });

  it('equals the exhaustive count, with no error, when every class is small enough to enumerate', async () => {
    const model = models[0];
    const truth = await evaluateExhaustive(model, { threads: 1 });
    const est = await evaluateStratified(model, { seed: 0n, perStratum: 8 ** 4, threads: 1 });
    expect(est.sampledStrata).toBe(0);
    expect(est.exactSequences).toBe(8 ** 5);
    expect(est.exactCorrect).toBe(truth.correct);
    expect(est.estimate).toBe(truth.accuracy);
    expect(est.standardError).toBe(0);
  });

  it('depends on the seed alone, not on the thread count', async () => {
    const one = await evaluateStratified(models[1], { seed: 4n, threads: 1 });
    const two = await evaluateStratified(models[1], { seed: 4n, threads: 2 });
    expect({ ...two, threads: 1 }).toEqual(one);
    const other = await evaluateStratified(models[1], { seed: 5n, threads: 1 });
    expect(other.estimate).not.toBe(one.estimate);
  });
});

describe('normalQuantile', () => {
  it('matches tabulated quantiles', () => {
    for (const [p, z] of [[0.975, 1.959963984540054], [0.995, 2.5758293035489], [0.9995, 3.2905267314919], [0.5, 0], [0.01, -2.3263478740408]]) {
      expect(normalQuantile(p)).toBeCloseTo(z, 8);
    }
  });
});
