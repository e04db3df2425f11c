/**
 * Small models on which float32 and exact arithmetic disagree: on some sequences the exact computation ranks
 * max(tokens) first by a margin between 2^-26 and 2^-22 of the largest logit, below float32's rounding errors, so
 * that the float32 forward pass (test/float32/emulate.ts) gets them wrong in some order / fma / exp settings.
 *
 * All share: W_Q = W_K = 0, so every attention score is the same number (b_Q · b_K / sqrt(d_head)) and the attention
 * is exactly uniform, a_p = 1/K, in exact arithmetic (the exp and the scale then do not matter there); one-hot token
 * embeddings; a diagonal W_V and W_O = I. Every weight is a float32 with few significant bits, apart from the tuned
 * entries of W_U and b_U that make the near ties.
 */
import type { Model } from '../../src/model/model.js';
import { nextFloat32Down, nextFloat32Up } from './emulate.js';

export const NEAR_TIE_VARIANTS = [0, 1, 2] as const;

/** The smallest float32 strictly above the rational num/den (den > 0, |num/den| < 2^127). */
export function float32Above(num: bigint, den: bigint): number {
  // x·2^149 is an integer for every float32 x, so x > num/den ⟺ x·2^149·den > num·2^149.
  const above = (x: number) => BigInt(x * 2 ** 149) * den > num << 149n;
  let x = Math.fround(Number(num) / Number(den));
  while (!above(x)) x = nextFloat32Up(x);
  while (above(nextFloat32Down(x))) x = nextFloat32Down(x);
  return x;
}

function identity(n: number): Float32Array {
  return Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
}

function diagonal(entries: number[]): Float32Array {
  const n = entries.length;
  return Float32Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? entries[i / (n + 1)] : 0));
}

interface Parts {
  k: number;
  vocab: number;
  dModel: number;
  Wpos?: Float32Array;
  WV: Float32Array;
  WU: number[];
  bQ?: number[];
  bK?: number[];
  bV?: number[];
  bO?: number[];
  bU: number[];
}

/** W_E one-hot (token t on axis t), W_Q = W_K = 0, W_O = I, d_head = d_model. */
function assemble(variant: number, p: Parts): Omit<Model, 'sha256'> {
  const { k, vocab, dModel: d } = p;
  const WE = new Float32Array(vocab * d);
  for (let t = 0; t < vocab; t++) WE[t * d + t] = 1;
  const vec = (v: number[] | undefined, n: number) => (v ? Float32Array.from(v) : new Float32Array(n));
  return {
    config: { k, vocab, dModel: d, dHead: d },
    WE,
    Wpos: p.Wpos ?? new Float32Array(k * d),
    WQ: new Float32Array(d * d),
    WK: new Float32Array(d * d),
    WV: p.WV,
    WO: identity(d),
    WU: Float32Array.from(p.WU),
    biases: { bQ: vec(p.bQ, d), bK: vec(p.bK, d), bV: vec(p.bV, d), bO: vec(p.bO, d), bU: vec(p.bU, vocab) },
    metadata: { nearTie: String(variant) },
  };
}

/**
 * Variant 0 (V = 4, K = 2, d = 5; the attention weight 1/2 is exact, so exp settings do not matter): the sum order
 * decides. Every position embeds e_4, so the residual's axis 4 is 2; W_U[i, x] = 1 for i ≤ x < 4 makes the logit of
 * every x ≥ max(tokens) exactly 2 + tiny(x), tiny(x) = 2·W_U[4, x] + b_U[x] = 2^-20, 2^-21, 2^-22, 0 for x = 0..3, each
 * half from the axis-4 product and half from the bias. For max(tokens) = 2 the margin over token 3 is 2^-22, split into
 * two halves of 2^-23, each exactly half a float32 spacing at 2: added one at a time to 2 (forward order: bias last)
 * each rounds back to 2 (ties to even) and the logits tie; added to each other first (reverse, pairwise) they survive.
 * Exactly right on all 16 sequences; forward order gets the 5 with max 2 wrong.
 */
function orderVariant(): Omit<Model, 'sha256'> {
  const WU = [
    1, 1, 1, 1,
    0, 1, 1, 1,
    0, 0, 1, 1,
    0, 0, 0, 1,
    2 ** -22, 2 ** -23, 2 ** -24, 0,
  ];
  const Wpos = Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  return assemble(0, { k: 2, vocab: 4, dModel: 5, Wpos, WV: identity(5), WU, bU: [2 ** -21, 2 ** -22, 2 ** -23, 0] });
}

/**
 * Variant 1 (V = 3, K = 3, d = 3, no bias but b_U): on [1, 0, 2] the residual is e_2 + (5 e_0 + 0.75 e_1 + 3 e_2)/3 =
 * (5/3, 1/4, 2), whose logits without b_U are 23/16 for token 0 and −1/4 for token 2, a gap of 27/16; b_U[2] is the
 * float32 just above 27/16, so token 2 wins by about 2^-23.5 of the logits exactly, and the roundings of 5/3 and of
 * the sums decide in float32: [1, 0, 2] and [0, 1, 2] (same residual) are lost in reverse and pairwise order and with
 * fma in random(1) order, and won back with exp = up.
 */
function thirdsVariant(): Omit<Model, 'sha256'> {
  const WU = [
    0.75, -0.25, -0.75,
    0.75, -0.25, 0,
    0, 0.25, 0.5,
  ];
  return assemble(1, { k: 3, vocab: 3, dModel: 3, WV: diagonal([5, 0.75, 3]), WU, bU: [0, 0, float32Above(27n, 16n)] });
}

/**
 * Variant 2 (V = 5, K = 3, d = 5, every bias nonzero; b_Q and b_K only shift all scores alike): b_U[2] and b_U[4] are
 * the float32s just above the exact gaps 31/24 (token 3 over token 2 on [0, 0, 2]) and 211/96 (token 0 over token 4
 * on [0, 4, 1]) without them. [0, 4, 1], [4, 0, 1], [3, 4, 1] and [4, 3, 1] become near ties (margin about 2^-25),
 * which the orders, fma and the exp's last bit each decide differently ([0, 0, 2] stays right in every setting).
 */
function biasedVariant(): Omit<Model, 'sha256'> {
  const WU = [
    0.25, -0.25, -0.25, 0.75, 0.25,
    0.75, -0.75, 0.25, -1, -0.25,
    -0.25, -0.5, -0.25, -1, -1,
    0.25, -0.5, -1, 0.25, 0.25,
    -0.25, 0.75, -0.5, 0.25, -0.5,
  ];
  return assemble(2, {
    k: 3,
    vocab: 5,
    dModel: 5,
    WV: diagonal([1, 0.75, 0.75, 5, 5]),
    WU,
    bQ: [0.5, -1, -0.625, -0.5, -1],
    bK: [-0.5, -0.625, 0.5, -0.875, -0.375],
    bV: [0.875, 0.75, -0.5, 0.625, -0.25],
    bO: [0, 0.5, -0.5, 0.5, 0.375],
    bU: [0, 0, float32Above(31n, 24n), 0, float32Above(211n, 96n)],
  });
}

/** The near-tie model `variant` (one of NEAR_TIE_VARIANTS). */
export function nearTieModel(variant: number): Omit<Model, 'sha256'> {
  if (variant === 0) return orderVariant();
  if (variant === 1) return thirdsVariant();
  if (variant === 2) return biasedVariant();
  throw new RangeError(`nearTieModel: no variant ${variant} (only ${NEAR_TIE_VARIANTS.join(', ')})`);
}
