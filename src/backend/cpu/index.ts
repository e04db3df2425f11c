/**
 * The `cpu` backend: the default and the reference. Kernels run in float64 on this thread (the multi-threaded
 * evaluator lives in src/eval/; this backend is the conformance reference and stays single-threaded and simple).
 */
import { checkMRange, cubicTableEntries, MAX_MARGIN_SEQUENCES, resolveRange } from '../kernels.js';
import type { BackendProvider } from '../registry.js';
import { MaxOfKNet } from '../../train/forward-backward.js';
import { CubicBounds } from '../../prove/cubic-bounds.js';
import { emptyTally, scanQuery, sortNear } from '../../prove/brute-force-kernel.js';
import { countCorrectRange, marginsRange } from './reference.js';

export type CpuContext = { threads: number };

export const cpuBackend: BackendProvider<CpuContext> = {
  name: 'cpu',
  open: async (options) => ({ ok: true, context: { threads: 1 }, description: `cpu (float64, 1 thread${options.threads && options.threads > 1 ? `; ${options.threads} requested` : ''})` }),
  close: async () => {},
  kernels: {
    countCorrectExhaustive: async (_ctx, { tables, range }) => {
      const r = resolveRange(tables, range);
      const correct = countCorrectRange(tables, r);
      return { correct, total: r.end - r.start, rawCorrect: correct, rechecked: 0, tolerance: 0 };
    },
    sequenceMargins: async (_ctx, { tables, range }) => {
      const r = resolveRange(tables, range);
      if (r.end - r.start > MAX_MARGIN_SEQUENCES) throw new RangeError(`sequenceMargins takes at most ${MAX_MARGIN_SEQUENCES} sequences`);
      return { margins: marginsRange(tables, r) };
    },
    trainStepGradient: async (_ctx, { dims, params, tokens, batch }) => {
      const net = new MaxOfKNet(dims, batch);
      const grad = new Float64Array(net.layout.total);
      const { loss, correct } = net.lossAndGrad(params, tokens, grad);
      return { loss, correct, grad };
    },
    cubicCaseBounds: async (_ctx, { tables, weights, mRange, jointAbove = -Infinity }) => {
      const { k: K, vocab: V } = tables;
      checkMRange(V, mRange);
      const bounds = new Float64Array(2 * cubicTableEntries(K, V, mRange.end - mRange.start)).fill(NaN);
      const b = new CubicBounds(tables, weights);
      for (let m = mRange.start; m < mRange.end; m++) {
        b.centre(m);
        for (let q = 0; q <= m; q++) {
          for (let c = 1; c <= b.maxCopies(q); c++) {
            const row = (((m - mRange.start) * V + q) * (K - 1) + c - 1) * V;
            for (let k = 0; k < m; k++) {
              const decoupled = b.decoupled(q, c, k);
              bounds[2 * (row + k)] = decoupled;
              bounds[2 * (row + k) + 1] = decoupled >= jointAbove ? b.joint(q, c, k) : decoupled;
            }
          }
        }
      }
      return { bounds };
    },
    bruteForceScan: async (_ctx, { input, queries, band }) => {
      checkMRange(input.V, queries);
      const tally = emptyTally();
      for (let q = queries.start; q < queries.end; q++) scanQuery(input, q, tally, band);
      const { certain, floatCorrect, near, nearValue } = sortNear(tally);
      return { certain, floatCorrect, near: Uint32Array.from(near), nearValue: Float64Array.from(nearValue) };
    },
  },
};
