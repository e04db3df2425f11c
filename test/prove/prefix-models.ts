/**
 * Models and ground truth for the prefix-count tests (SPEC §4.7, test/prove/prefix.test.ts, the checker's rule test and
 * the mutation harness):
 *  - pathModel: a model whose five path matrices EU, EVOU, PVOU, EQKE and EQKP are exactly the given ones (up to
 *    float32 rounding of the entries), so that adversarial attention and logits can be set directly;
 *  - pathSpecModel / pathSpecArb: such models from a seed, in four styles: `copy` (a noisy solver: EVOU = g·I, scores
 *    rising with the key), `near-tie` (each token's runner-up output within δ ∈ {0, 10⁻⁶, 10⁻³} of it, pairs of keys
 *    with equal scores), `position` (EQKP large against EQKE, so that positions decide the attention) and `ties`
 *    (small integers everywhere: exact ties in scores and logits);
 *  - sequenceMargins: every sequence's float64 logit margin ℓ_m − max_{x≠m} ℓ_x and the tolerance floatTruth uses;
 *  - prefixCaseSequences: the sequences a prefix case (q, m, c, top) counts.
 * Sequences are indexed in base V with position 0 the least significant digit (as scripts/mutate.ts does).
 */
import fc from 'fast-check';
import { parseModel, serializeModel, type Model } from '../../src/model/model.js';
import { logitsFromTables, pathTables } from '../../src/model/paths.js';
import { prng } from './models.js';

export interface PathMatrices {
  /** [V][V] direct path, query row by output. */
  EU: number[][];
  /** [V][V] token value path, key by output. */
  EVOU: number[][];
  /** [K][V] positional value path. */
  PVOU: number[][];
  /** [V][V] token scores (before the 1/sqrt(d_head) scale), query by key. */
  EQKE: number[][];
  /** [V][K] positional scores, query by position. */
  EQKP: number[][];
}

/**
 * d_model = 2(V + K), d_head = V + K. Residual axes: token t on axis t, position p on axis V + p, and an output block
 * from V + K on. W_Q reads the query token's axis into the key's token dimensions (EQKE) and position dimensions
 * (EQKP); W_K is the identity on the first V + K axes; W_V W_O copies those axes into the output block, which W_U
 * reads as EVOU and PVOU; W_U reads the token axes as EU (the position axes of the query add nothing).
 */
export function pathModel(t: PathMatrices): { model: Model; bytes: Uint8Array } {
  const V = t.EU.length;
  const K = t.PVOU.length;
  const h = V + K;
  const d = 2 * h;
  const WE = new Float32Array(V * d);
  const Wpos = new Float32Array(K * d);
  const WQ = new Float32Array(d * h);
  const WK = new Float32Array(d * h);
  const WV = new Float32Array(d * h);
  const WO = new Float32Array(h * d);
  const WU = new Float32Array(d * V);
  for (let i = 0; i < h; i++) {
    WK[i * h + i] = 1;
    WV[i * h + i] = 1;
    WO[i * d + h + i] = 1;
  }
  for (let q = 0; q < V; q++) {
    WE[q * d + q] = 1;
    for (let j = 0; j < V; j++) WQ[q * h + j] = t.EQKE[q][j];
    for (let p = 0; p < K; p++) WQ[q * h + V + p] = t.EQKP[q][p];
    for (let x = 0; x < V; x++) {
      WU[q * V + x] = t.EU[q][x];
      WU[(h + q) * V + x] = t.EVOU[q][x];
    }
  }
  for (let p = 0; p < K; p++) {
    Wpos[p * d + V + p] = 1;
    for (let x = 0; x < V; x++) WU[(h + V + p) * V + x] = t.PVOU[p][x];
  }
  const bytes = serializeModel({ config: { k: K, vocab: V, dModel: d, dHead: h }, WE, Wpos, WQ, WK, WV, WO, WU, metadata: { kind: 'path-set' } });
  return { model: parseModel(bytes), bytes };
}

export type PathStyle = 'copy' | 'near-tie' | 'position' | 'ties';
export interface PathSpec { style: PathStyle; vocab: number; k: number; seed: number; scale: number }

export function pathSpecMatrices({ style, vocab: V, k: K, seed, scale }: PathSpec): PathMatrices {
  const next = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const int = () => Math.floor(next() * 3) - 1;
  const noise = style === 'ties' ? int : () => scale * normal();
  const mat = (rows: number, cols: number, f: (r: number, c: number) => number) => Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => f(r, c)));
  const gain = style === 'ties' ? 2 : 4;
  const delta = [0, 1e-6, 1e-3][Math.floor(next() * 3)];
  const posScale = [4, 16][Math.floor(next() * 2)];
  return {
    EU: mat(V, V, () => noise()),
    // near-tie: output t − 1 within δ of output t when t is attended.
    EVOU: mat(V, V, (t, x) => (x === t ? gain : style === 'near-tie' && x === t - 1 ? gain - delta : 0) + noise()),
    PVOU: mat(K, V, () => noise()),
    // Scores rising with the key; near-tie: keys 2j and 2j + 1 score the same; position: scores nearly flat.
    EQKE: mat(V, V, (_q, t) => (style === 'near-tie' ? 2 * Math.floor(t / 2) : style === 'position' ? 0.25 * t : 2 * t) + (style === 'near-tie' ? 0 : noise())),
    EQKP: mat(V, K, () => (style === 'position' ? posScale * normal() : noise())),
  };
}

export const pathSpecModel = (spec: PathSpec) => pathModel(pathSpecMatrices(spec));

export const pathSpecArb: fc.Arbitrary<PathSpec> = fc.record({
  style: fc.constantFrom<PathStyle>('copy', 'near-tie', 'position', 'ties'),
  vocab: fc.integer({ min: 3, max: 7 }),
  k: fc.integer({ min: 2, max: 4 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  scale: fc.constantFrom(0, 0.05, 0.3, 1),
});

/** Every sequence's float64 margin ℓ_m − max_{x≠m} ℓ_x, and floatTruth's tolerance (10⁻⁹ of the path tables' size). */
export function sequenceMargins(model: Model): { margin: Float64Array; tol: number } {
  const T = pathTables(model);
  const { k: K, vocab: V } = model.config;
  const maxAbs = (a: Float64Array) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  const tol = 1e-9 * (1 + maxAbs(T.EU) + maxAbs(T.EVOU) + maxAbs(T.PVOU));
  const margin = new Float64Array(V ** K);
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  for (let i = 0; i < margin.length; i++) {
    let m = 0;
    for (let p = 0, n = i; p < K; p++, n = Math.floor(n / V)) m = Math.max(m, (tokens[p] = n % V));
    logitsFromTables(T, tokens, 0, logits, scratch);
    let other = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) other = Math.max(other, logits[x]);
    margin[i] = logits[m] - other;
  }
  return { margin, tol };
}

export interface PrefixCaseLike { q: number; m: number; c: number; top?: number }

/** The sequences of case (q, m, c, top): query q, exactly c of the K − 1 other positions in 0..top, the rest m. */
export function prefixCaseSequences(V: number, K: number, cs: PrefixCaseLike): number[] {
  const out: number[] = [];
  const top = cs.top ?? -1;
  for (let i = 0; i < V ** (K - 1); i++) {
    let low = 0;
    let ok = true;
    for (let p = 0, n = i; p < K - 1; p++, n = Math.floor(n / V)) {
      const t = n % V;
      if (t === cs.m) continue;
      if (t > top) ok = false;
      low++;
    }
    if (ok && low === cs.c) out.push(i + cs.q * V ** (K - 1));
  }
  return out;
}
