/**
 * Training (issue 12 item 5): the whole paper recipe at K=4, V=64 (d_model = d_head = 32, batch 128, 3000 steps),
 * in-process on this thread, as `mechcert train --k 4 --vocab 64 --seed 123` trains before it measures the accuracy;
 * then the same with --biases. Each run reports its wall time and this process's user CPU time (the steadier figure
 * on a loaded machine); the harness prints the medians. BEFORE is this benchmark's medians (3 runs each) on the shared
 * 2-core machine, under load from other jobs, with the trainer as it was before issue 12 (untiled kernels, every key
 * and value row computed), for comparison. A figure, never a pass or fail.
 */
import { performance } from 'node:perf_hooks';
import type { Bench } from './harness.js';
import { train, TRAIN_DEFAULTS } from '../src/train/train.js';

const BEFORE = { plain: { user: 26.74, wall: 50.56 }, biases: { user: 29.83, wall: 77.62 } };

function bench(biases: boolean): Bench {
  const before = BEFORE[biases ? 'biases' : 'plain'];
  return {
    name: `train K=4 V=64 paper recipe${biases ? ' --biases' : ''}, ${TRAIN_DEFAULTS.steps} steps (before: ${before.user} s user, ${before.wall} s wall)`,
    async run() {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      train({ k: 4, vocab: 64, seed: 123, biases });
      const wall = (performance.now() - t0) / 1000;
      return { 'cpu user s': process.cpuUsage(cpu0).user / 1e6, 'wall s': wall, 'steps/s': TRAIN_DEFAULTS.steps / wall };
    },
  };
}

export const benches: Bench[] = [bench(false), bench(true)];
