/** Training throughput of the paper's recipe at K=4, V=64, d_model = d_head = 32, batch 128. */
import { performance } from 'node:perf_hooks';
import type { Bench } from './harness.js';
import { train } from '../src/train/train.js';

const STEPS = 200;

export const benches: Bench[] = [
  {
    name: 'train K=4 V=64 d=32 batch=128, 200 steps',
    async run() {
      const t0 = performance.now();
      train({ k: 4, vocab: 64, seed: 123, steps: STEPS });
      return { 'steps/s': STEPS / ((performance.now() - t0) / 1000) };
    },
  },
];
