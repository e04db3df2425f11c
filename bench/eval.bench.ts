/**
 * Exhaustive float evaluation (src/eval/exhaustive.ts), K=4, V=64: 16,777,216 sequences per run, on the default
 * thread count and on one thread. Uses the trained models/max4-v64-s123.safetensors when present (the figure that
 * matters: most sequences are decided by the cheap accept test), else a random model with normal(0, 0.14) weights
 * (mostly decided by the cheap reject test); the bench name says which. Then the stratified estimate
 * (src/eval/stratified.ts) of the same model, 30 samples per class, on the default thread count.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultThreads, evaluateExhaustive } from '../src/eval/exhaustive.js';
import { evaluateStratified } from '../src/eval/stratified.js';
import { parseModel, readModel, serializeModel, type Model } from '../src/model/model.js';
import { Rng } from '../src/train/rng.js';
import type { Bench } from './harness.js';

const TRAINED = fileURLToPath(new URL('../models/max4-v64-s123.safetensors', import.meta.url));

function randomModel(): Model {
  const config = { k: 4, vocab: 64, dModel: 32, dHead: 32 };
  const rng = new Rng(123n);
  const normal = (n: number) => Float32Array.from({ length: n }, () => 0.14 * rng.normal());
  const d = config.dModel;
  return parseModel(serializeModel({
    config,
    WE: normal(64 * d), Wpos: normal(4 * d), WQ: normal(d * d), WK: normal(d * d), WV: normal(d * d), WO: normal(d * d), WU: normal(d * 64),
    metadata: {},
  }));
}

const trained = existsSync(TRAINED);
const model = trained ? readModel(TRAINED) : randomModel();
const label = trained ? 'max4-v64-s123' : 'random normal(0, 0.14) K=4 V=64';
const total = 64 ** 4;

function bench(threads: number): Bench {
  return {
    name: `eval exhaustive ${label}, ${threads} thread${threads === 1 ? '' : 's'}`,
    async run() {
      const t0 = performance.now();
      const r = await evaluateExhaustive(model, { threads });
      const seconds = (performance.now() - t0) / 1000;
      return { 'sequences/s': total / seconds, accuracy: r.accuracy };
    },
  };
}

const stratified: Bench = {
  name: `eval stratified ${label}, 30 per class`,
  async run() {
    const t0 = performance.now();
    const r = await evaluateStratified(model, { seed: 0n, perStratum: 30 });
    const seconds = (performance.now() - t0) / 1000;
    return { 'evaluations/s': r.evaluations / seconds, evaluations: r.evaluations, estimate: r.estimate, 'standard error': r.standardError };
  },
};

const threads = defaultThreads(total);
export const benches: Bench[] = [...(threads === 1 ? [bench(1)] : [bench(threads), bench(1)]), stratified];
