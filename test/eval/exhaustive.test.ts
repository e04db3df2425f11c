import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateExhaustive } from '../../src/eval/exhaustive.js';
import { chunkCounter, chunkSizes, exhaustivePlan } from '../../src/eval/kernel.js';
import { forwardLastPosition } from '../../src/model/forward.js';
import { parseModel, serializeModel, type Model } from '../../src/model/model.js';
import { isCorrect, logitsFromTables, pathTables } from '../../src/model/paths.js';
import { randomModel, solverModel } from '../model/random-model.js';

/** Every sequence in odometer order (last position fastest), K tokens each, back to back. */
function allSequences(K: number, V: number): Int32Array {
  const total = V ** K;
  const out = new Int32Array(total * K);
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let p = K - 1; p >= 0; p--) {
      out[n * K + p] = rest % V;
      rest = Math.floor(rest / V);
    }
  }
  return out;
}

/** Naive single-threaded count through the direct forward pass from the raw weights. */
function naiveForwardCount(model: Model): number {
  const { k: K, vocab: V } = model.config;
  const tokens = allSequences(K, V);
  const total = V ** K;
  const logits = forwardLastPosition(model, tokens, total);
  let correct = 0;
  for (let n = 0; n < total; n++) {
    let label = 0;
    for (let p = 0; p < K; p++) label = Math.max(label, tokens[n * K + p]);
    if (isCorrect(logits.subarray(n * V, (n + 1) * V), label)) correct++;
  }
  return correct;
}

/** Naive single-threaded count through the reference table evaluation the fast evaluator must reproduce. */
function naiveTableCount(model: Model): number {
  const { k: K, vocab: V } = model.config;
  const T = pathTables(model);
  const tokens = allSequences(K, V);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let correct = 0;
  for (let n = 0; n < V ** K; n++) {
    let label = 0;
    for (let p = 0; p < K; p++) label = Math.max(label, tokens[n * K + p]);
    logitsFromTables(T, tokens, n * K, logits, scratch);
    if (isCorrect(logits, label)) correct++;
  }
  return correct;
}

const load = (m: Omit<Model, 'sha256'>): Model => parseModel(serializeModel(m));

describe('evaluateExhaustive', () => {
  it('equals the naive count through the direct forward pass on random tiny models', async () => {
    const config = fc.record({
      k: fc.integer({ min: 2, max: 4 }),
      vocab: fc.integer({ min: 3, max: 6 }),
      dModel: fc.integer({ min: 2, max: 8 }),
      dHead: fc.integer({ min: 1, max: 8 }),
    });
    // Weight scales from near-uniform attention to saturated softmax.
    await fc.assert(
      fc.asyncProperty(config, fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(0.05, 0.3, 1, 3), async (cfg, seed, std) => {
        const model = load(randomModel(cfg, seed, std));
        const r = await evaluateExhaustive(model, { threads: 1 });
        expect(r.total).toBe(cfg.vocab ** cfg.k);
        expect(r.correct).toBe(naiveForwardCount(model));
        expect(r.correct).toBe(naiveTableCount(model));
        expect(r.accuracy).toBe(r.correct / r.total);
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('equals the naive counts on near-solutions, where the cheap accept, cheap reject and reference paths all occur', async () => {
    for (const [k, vocab, seed] of [[3, 5, 1], [4, 6, 2], [4, 8, 7], [3, 12, 4]]) {
      const model = load(solverModel(k, vocab, seed));
      const r = await evaluateExhaustive(model, { threads: 1 });
      expect(r.accuracy).toBeGreaterThan(0.5);
      expect(r.correct).toBe(naiveForwardCount(model));
      expect(r.correct).toBe(naiveTableCount(model));
    }
  });

  it('counts a tie as wrong: the all-zero model is correct on no sequence', async () => {
    const zero = randomModel({ k: 3, vocab: 4, dModel: 3, dHead: 2 }, 0, 0);
    expect(await evaluateExhaustive(load(zero), { threads: 1 })).toEqual({ correct: 0, total: 64, accuracy: 0 });
  });

  it('gives the same count on worker threads as on one thread, and reports progress up to the total', async () => {
    for (const [model, threads] of [[load(solverModel(4, 6, 3)), 2], [load(randomModel({ k: 3, vocab: 5, dModel: 4, dHead: 4 }, 9, 0.5)), 3]] as const) {
      const one = await evaluateExhaustive(model, { threads: 1 });
      const seen: number[] = [];
      const many = await evaluateExhaustive(model, { threads, onProgress: (done, total) => { expect(total).toBe(one.total); seen.push(done); } });
      expect(many).toEqual(one);
      expect(seen.at(-1)).toBe(one.total);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
  });

  it('covers the space exactly once however many leading tokens a chunk fixes', () => {
    const T = pathTables(load(solverModel(4, 5, 5)));
    const counts = [0, 1, 2, 3].map((prefixLength) => {
      const job = { kind: 'exhaustive', prefixLength } as const;
      const count = chunkCounter(T, job);
      let correct = 0;
      let sequences = 0;
      chunkSizes(T, job).forEach((size, c) => {
        correct += count(c)[0];
        sequences += size;
      });
      expect(sequences).toBe(5 ** 4);
      return correct;
    });
    expect(new Set(counts).size).toBe(1);
  });

  it('plans chunks of at most 2^20 sequences that tile the space', () => {
    for (const [k, v] of [[4, 64], [17, 3], [2, 1000], [1, 7], [28, 2]]) {
      const plan = exhaustivePlan(k, v);
      expect(plan.chunks * plan.chunkSize).toBe(v ** k);
      expect(plan.chunkSize <= 2 ** 20 || plan.prefixLength === k - 1).toBe(true);
    }
  });
});
