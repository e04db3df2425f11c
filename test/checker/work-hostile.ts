/**
 * The two hostile inputs of issue 11 finding 2 (work bounded before it is done), built rather than committed:
 * - `hugeScale`: a certificate (~1.8 KB, in the negative corpus) on the small fixture model whose inv-sqrt-scale `hi`
 *   is 10^150 and whose exp-grid has one entry at z = 4096 (|z| ≤ 4096 does not bound r·z when r_hi is unbounded);
 * - `bigModel`: a ~25 MB in-limit model (V = d_model = d_head = 1024, K = 2) and a 681-byte certificate whose exp-table
 *   over EQKE has a 1×1 table (it must be refused before EQKE, V²·d work, is formed).
 * bench/hostile-inputs.ts times both through the CLI (`npm run bench -- hostile`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeModel } from '../../src/model/model.js';
import { prng } from '../prove/models.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fixtures = join(import.meta.dirname, '../fixtures');
const enc = (c: J) => new TextEncoder().encode(`${JSON.stringify(c)}\n`);

/** The negative-corpus file of make-hostile.ts: scale hi = 10^150, then a one-entry grid at z = 4096, on the fixture model. */
export function hugeScale(): { cert: Uint8Array; model: Uint8Array } {
  return {
    cert: readFileSync(join(fixtures, 'fail/neg.scale.inv-sqrt-scale.hi-1e150-far-grid.json')),
    model: readFileSync(join(fixtures, 'models/checker-solver-k3-v5.safetensors')),
  };
}

/** A 25 MB model at the shape limits (V = d_model = d_head = 1024, K = 2) and a tiny certificate about it. */
export function bigModel(): { cert: Uint8Array; model: Uint8Array } {
  const V = 1024; const d = 1024; const h = 1024; const K = 2;
  const next = prng(7);
  const fill = (n: number) => Float32Array.from({ length: n }, () => (next() - 0.5) / 16);
  const model = serializeModel({
    config: { k: K, vocab: V, dModel: d, dHead: h },
    WE: fill(V * d), Wpos: fill(K * d), WQ: fill(d * h), WK: fill(d * h), WV: fill(d * h), WO: fill(h * d), WU: fill(d * V),
    metadata: {},
  });
  const cert = {
    format: 'mechcert/1',
    claim: { modelSha256: createHash('sha256').update(model).digest('hex'), task: 'max-of-k', k: K, vocab: V, strategy: 'cubic', correct: '0', total: String(V ** K) },
    evidence: {
      steps: [
        { id: 'scale', kind: 'inv-sqrt-scale', dHead: h, lo: '1/32', hi: '1/32' },
        { id: 'expE', kind: 'exp-table', scale: 'scale', source: 'EQKE', fracBits: 8, shift: [0], lo: [['256']], hi: [['256']] },
        { id: 'expP', kind: 'exp-table', scale: 'scale', source: 'EQKP', fracBits: 8, shift: [0], lo: [['256']], hi: [['256']] },
        { id: 'count', kind: 'cubic-count', expE: 'expE', expP: 'expP', positionOrder: [[0]], cases: [] },
      ],
    },
    prover: { name: 'hostile', version: '0' },
  };
  return { cert: enc(cert), model };
}
