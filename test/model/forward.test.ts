import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardLastPosition } from '../../src/model/forward.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { logitsFromTables, pathTables } from '../../src/model/paths.js';
import { Rng } from '../../src/train/rng.js';
import { randomModel, withRandomBiases } from './random-model.js';

describe('forwardLastPosition (direct forward pass from the raw weights)', () => {
  it('agrees with the path-table logits on random sequences of random models', () => {
    const config = fc.record({
      k: fc.integer({ min: 1, max: 6 }),
      vocab: fc.integer({ min: 2, max: 10 }),
      dModel: fc.integer({ min: 1, max: 8 }),
      dHead: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(config, fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0.1, 0.5, 2), fc.constantFrom(0, 0.5, 2), (cfg, seed, std, biasStd) => {
        // biasStd > 0: every bias nonzero, applied literally by the forward pass and folded into the path tables.
        const raw = randomModel(cfg, seed, std);
        const model = parseModel(serializeModel(biasStd > 0 ? withRandomBiases(raw, seed, biasStd) : raw));
        expect(model.biases !== undefined).toBe(biasStd > 0);
        const { k: K, vocab: V } = cfg;
        const rng = new Rng(BigInt(seed) + 1n);
        const count = 50;
        const tokens = Int32Array.from({ length: count * K }, () => rng.uniformInt(V));
        const direct = forwardLastPosition(model, tokens, count);
        const T = pathTables(model);
        const logits = new Float64Array(V);
        const scratch = new Float64Array(K);
        for (let n = 0; n < count; n++) {
          logitsFromTables(T, tokens, n * K, logits, scratch);
          for (let x = 0; x < V; x++) {
            const a = direct[n * V + x];
            expect(Math.abs(a - logits[x])).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(a)));
          }
        }
      }),
      { seed: 20240601, numRuns: 60 },
    );
  });

  it('matches a hand computation for K = 1, where attention is the identity', () => {
    // V = 2, d_model = d_head = 1: logits = (e + p)(1 + W_V W_O) W_U.
    const model = parseModel(serializeModel({
      config: { k: 1, vocab: 2, dModel: 1, dHead: 1 },
      WE: Float32Array.from([0.5, -1]), Wpos: Float32Array.from([0.25]),
      WQ: Float32Array.from([3]), WK: Float32Array.from([-2]), WV: Float32Array.from([2]), WO: Float32Array.from([0.5]),
      WU: Float32Array.from([1, -4]),
      metadata: {},
    }));
    expect([...forwardLastPosition(model, [1], 1)]).toEqual([-1.5, 6]);
  });

  it('matches a hand computation with every bias nonzero (b_K cancels in the softmax)', () => {
    // V = 2, K = 2, d_model = d_head = 1, E = [1, 2], P = [0, 0], W_Q = W_K = W_V = W_O = W_U = 1.
    // Query (token 1) 2 + b_Q = 3; keys t + b_K; scores 3(1 + b_K), 3(2 + b_K): weights softmax(0, 3) whatever b_K is.
    // Values t + b_V = 1.5, 2.5; resid = 2 + (a·1.5 + b·2.5) + b_O; logits = resid·[1, 1] + b_U.
    const model = parseModel(serializeModel({
      config: { k: 2, vocab: 2, dModel: 1, dHead: 1 },
      WE: Float32Array.from([1, 2]), Wpos: Float32Array.from([0, 0]),
      WQ: Float32Array.from([1]), WK: Float32Array.from([1]), WV: Float32Array.from([1]), WO: Float32Array.from([1]),
      WU: Float32Array.from([1, 1]),
      biases: { bQ: Float32Array.from([1]), bK: Float32Array.from([-7]), bV: Float32Array.from([0.5]), bO: Float32Array.from([0.25]), bU: Float32Array.from([0, -1]) },
      metadata: {},
    }));
    const b = Math.exp(3) / (1 + Math.exp(3));
    const resid = 2 + ((1 - b) * 1.5 + b * 2.5) + 0.25;
    const direct = forwardLastPosition(model, [0, 1], 1);
    expect(direct[0]).toBeCloseTo(resid, 14);
    expect(direct[1]).toBeCloseTo(resid - 1, 14);
    const logits = new Float64Array(2);
    logitsFromTables(pathTables(model), [0, 1], 0, logits, new Float64Array(2));
    expect(logits[0]).toBeCloseTo(resid, 14);
    expect(logits[1]).toBeCloseTo(resid - 1, 14);
  });

  it('rejects tokens outside the vocabulary', () => {
    const model = parseModel(serializeModel(randomModel({ k: 2, vocab: 3, dModel: 2, dHead: 2 }, 1)));
    expect(() => forwardLastPosition(model, [0, 3], 1)).toThrow(RangeError);
  });
});
