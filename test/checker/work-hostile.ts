/**
 * The two hostile inputs of issue 11 finding 2 (work bounded before it is done), built rather than committed:
 * - `hugeScale`: a certificate (~1.8 KB, in the negative corpus) on the small fixture model whose inv-sqrt-scale `hi`
 *   is 10^150 and whose exp-grid has one entry at z = 4096 (|z| ≤ 4096 does not bound r·z when r_hi is unbounded);
 * - `bigModel`: a ~25 MB in-limit model (V = d_model = d_head = 1024, K = 2) and a 681-byte certificate whose exp-table
 *   over EQKE has a 1×1 table (it must be refused before EQKE, V²·d work, is formed);
 * - `wideModel`: a 5 MB model (V = 256, d_model = d_head = 512) whose weights mix 2^−140 and 2^120, and a certificate
 *   whose exp table over EQKE has the right shape: every exact numerator then has up to 261 bits, and forming EQKE
 *   (within the work limit by its shape alone) would take many minutes.
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
  return shapedModel(1024, 1024, 1);
}

/** A 5 MB model (V = 256, d_model = d_head = 512) with weights spread from 2^−140 to 2^120, and a certificate about it. */
export function wideModel(): { cert: Uint8Array; model: Uint8Array } {
  return shapedModel(256, 512, 256, (i, x) => (i === 0 ? 2 ** -140 : i === 1 ? 2 ** 120 : x));
}

/**
 * A model with V = `V`, d_model = d_head = `d`, K = 2 (random weights of magnitude ≤ 1/32, each tensor's entry i
 * then passed through `poke`), and a certificate whose exp tables over EQKE and EQKP are `n`×`n` and 1×1.
 */
function shapedModel(V: number, d: number, n: number, poke = (_i: number, x: number) => x): { cert: Uint8Array; model: Uint8Array } {
  const h = d; const K = 2;
  const next = prng(7);
  const fill = (len: number) => Float32Array.from({ length: len }, (_, i) => poke(i, (next() - 0.5) / 16));
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
        { id: 'scale', kind: 'inv-sqrt-scale', dHead: h, ...(h === 1024 ? { lo: '1/32', hi: '1/32' } : { lo: '0.0441', hi: '0.0442' }) }, // 1/sqrt(512) ≈ 0.04419
        { id: 'expE', kind: 'exp-table', scale: 'scale', source: 'EQKE', fracBits: 8, shift: new Array(n).fill(0), lo: table(n), hi: table(n) },
        { id: 'expP', kind: 'exp-table', scale: 'scale', source: 'EQKP', fracBits: 8, shift: [0], lo: [['256']], hi: [['256']] },
        { id: 'count', kind: 'cubic-count', expE: 'expE', expP: 'expP', positionOrder: [[0]], cases: [] },
      ],
    },
    prover: { name: 'hostile', version: '0' },
  };
  return { cert: enc(cert), model };
}

const table = (n: number) => Array.from({ length: n }, () => new Array(n).fill('256'));
