/**
 * Biases (SPEC §1): the checker folds b_Q, b_K, b_V, b_O and b_U into its path matrices and weights. These tests
 * apply the biases literally, as TransformerLens does, on small models whose weights are multiples of 1/8 (so every
 * float64 product here is exact), and compare with the checker's exact matrices.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadExactModel, matmul, type Mat } from '../../checker/model.js';
import { Ops } from '../../checker/ops.js';
import { serializeSafetensors } from '../../src/model/safetensors.js';

type Vecs = number[][];
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const times = (a: number[], W: Vecs) => W[0].map((_, c) => dot(a, W.map((row) => row[c])));
const plus = (a: number[], b: number[]) => a.map((x, i) => x + b[i]);
const value = (M: Mat, r: number, c: number) => Number(M.num[r * M.cols + c]) / 2 ** M.exp;

interface Tiny { V: number; K: number; d: number; h: number; t: Record<string, Vecs> }

/** Entries in {−4..4}/8: products of a few stay exact in float64. */
const small = (rows: number, cols: number) => fc.array(fc.array(fc.integer({ min: -4, max: 4 }).map((n) => n / 8), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });

const tiny = fc.record({ V: fc.integer({ min: 2, max: 4 }), K: fc.integer({ min: 2, max: 3 }), d: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 2 }) })
  .chain(({ V, K, d, h }) => fc.record({
    WE: small(V, d), Wpos: small(K, d), WQ: small(d, h), WK: small(d, h), WV: small(d, h), WO: small(h, d), WU: small(d, V),
    bQ: small(1, h), bK: small(1, h), bV: small(1, h), bO: small(1, d), bU: small(1, V),
  }).map((t): Tiny => ({ V, K, d, h, t })));

function bytesOf({ V, K, d, h, t }: Tiny): Uint8Array {
  const f = (shape: number[], rows: Vecs) => ({ dtype: 'F32' as const, shape, data: Float32Array.from(rows.flat()) });
  return serializeSafetensors(new Map([
    ['embed.W_E', f([V, d], t.WE)], ['pos_embed.W_pos', f([K, d], t.Wpos)], ['blocks.0.attn.W_Q', f([1, d, h], t.WQ)],
    ['blocks.0.attn.W_K', f([1, d, h], t.WK)], ['blocks.0.attn.W_V', f([1, d, h], t.WV)], ['blocks.0.attn.W_O', f([1, h, d], t.WO)],
    ['unembed.W_U', f([d, V], t.WU)], ['blocks.0.attn.b_Q', f([1, h], t.bQ)], ['blocks.0.attn.b_K', f([1, h], t.bK)],
    ['blocks.0.attn.b_V', f([1, h], t.bV)], ['blocks.0.attn.b_O', f([d], t.bO)], ['unembed.b_U', f([V], t.bU)],
  ]), {});
}

describe('biases folded into the path matrices (SPEC §1)', () => {
  it('scores differ by EQKE + EQKP and logits equal EU + EVOU + PVOU, with every bias applied literally', () => {
    fc.assert(fc.property(tiny, (m) => {
      const { V, K, t } = m;
      const M = loadExactModel(bytesOf(m), new Ops(), '');
      const query = (q: number) => plus(t.WE[q], t.Wpos[K - 1]);
      for (let q = 0; q < V; q++) {
        const qv = plus(times(query(q), t.WQ), t.bQ[0]);
        // The score of key (token s, position p), before the scale, less the model's EQKE + EQKP: one constant per q.
        const offsets = new Set<number>();
        for (let s = 0; s < V; s++) {
          for (let p = 0; p < K; p++) {
            const key = plus(times(plus(t.WE[s], t.Wpos[p]), t.WK), t.bK[0]);
            offsets.add(dot(qv, key) - value(M.EQKE, q, s) - value(M.EQKP, q, p));
            // All attention on slot (s, p): the residual stream gets that slot's value, plus b_O.
            const attended = plus(times(times(plus(t.WE[s], t.Wpos[p]), t.WV).map((x, i) => x + t.bV[0][i]), t.WO), t.bO[0]);
            const logits = plus(times(plus(query(q), attended), t.WU), t.bU[0]);
            for (let x = 0; x < V; x++) expect(value(M.EU, q, x) + value(M.EVOU, s, x) + value(M.PVOU, p, x)).toBe(logits[x]);
          }
        }
        expect(offsets.size).toBe(1);
      }
    }), { numRuns: 60, seed: 20261202 });
  });

  it('the subcubic weights multiply to the folded matrices: Eq·Q = E_q W_Q + b_Q and Eq·U = EU', () => {
    fc.assert(fc.property(tiny, (m) => {
      const { V, K, h, t } = m;
      const M = loadExactModel(bytesOf(m), new Ops(), '');
      const { Eq, Q, U } = M.weights;
      const EqQ = matmul(Eq, Q, new Ops());
      const EqU = matmul(Eq, U, new Ops());
      for (let q = 0; q < V; q++) {
        const qv = plus(times(plus(t.WE[q], t.Wpos[K - 1]), t.WQ), t.bQ[0]);
        for (let j = 0; j < h; j++) expect(value(EqQ, q, j)).toBe(qv[j]);
        for (let x = 0; x < V; x++) expect(value(EqU, q, x)).toBe(value(M.EU, q, x));
      }
    }), { numRuns: 60, seed: 20261203 });
  });
});
