/**
 * An independent emulator of the deployed float32 forward pass at the last position, every operation rounded to
 * float32, in TransformerLens's order of operations:
 *   x_p = fl(E[t_p] + P[p]);  q = fl(Σ_i x_{K-1,i} W_Q[i,j] + b_Q[j]);  k_p, v_p likewise with W_K, b_K and W_V, b_V;
 *   score_p = fl(fl(Σ_j q_j k_{p,j}) / c), c = fl(sqrt(d_head));  e_p = exp(fl(score_p − max_p score_p));
 *   Z = fl(Σ_p e_p);  a_p = fl(e_p / Z);  z_j = fl(Σ_p a_p v_{p,j});  o_i = fl(Σ_j z_j W_O[j,i] + b_O[i]);
 *   r_i = fl(x_{K-1,i} + o_i);  logits_x = fl(Σ_i r_i W_U[i,x] + b_U[x]).
 * Each Σ is taken in a chosen order (Float32Summer), a bias being the last term; products are rounded before they are
 * added, or, with fma, fused into the addition that consumes them (one rounding of the exact a·b + acc).
 * Math.fround of a double +, −, ×, ÷ or sqrt of float32 operands is the correctly rounded float32 result (53 ≥ 2·24 + 2,
 * so rounding first to double is innocuous); a fused a·b + c is not, so fmaF32 rounds the exact dyadic value itself.
 * It shares no code with src/: tests compare it with src/model/forward.ts and certified float32 counts against it.
 */
import type { Model } from '../../src/model/model.js';
import { Rng } from '../../src/train/rng.js';

/** Order of every sum: left to right, right to left, recursive halving, or a seeded permutation per sum. */
export type SumOrder = 'forward' | 'reverse' | 'pairwise' | { random: number };

/** exp: the correctly rounded float32 of Math.exp ('nearest'), or the float32 one above / below it (a 1-ulp runtime). */
export interface Float32Options {
  order: SumOrder;
  fma: boolean;
  exp?: 'nearest' | 'up' | 'down';
}

/** The weights the emulator reads (a parsed Model, or a builder's model before serialization). */
export type Float32Weights = Pick<Model, 'config' | 'WE' | 'Wpos' | 'WQ' | 'WK' | 'WV' | 'WO' | 'WU' | 'biases'>;

/** A term of a sum: a plain addend, or a product [a, b] (rounded, or fused into the addition that consumes it). */
export type Term = number | readonly [number, number];

const scratch = new DataView(new ArrayBuffer(8));
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** 2^n as a double, exactly, for −1022 ≤ n ≤ 1023 (built from its bits, so no library pow is trusted). */
function pow2(n: number): number {
  scratch.setBigUint64(0, BigInt(n + 1023) << 52n);
  return scratch.getFloat64(0);
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** A finite double as m·2^e exactly (m a signed integer). */
function toDyadic(x: number): { m: bigint; e: number } {
  scratch.setFloat64(0, x);
  const bits = scratch.getBigUint64(0);
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = field === 0 ? fraction : fraction | (1n << 52n);
  const e = field === 0 ? -1074 : field - 1075;
  return { m: bits >> 63n ? -m : m, e };
}

/**
 * The value m·2^e rounded to the nearest float32, ties to even, with float32's subnormals (spacing 2^-149 below
 * 2^-126) and overflow to ±Infinity at 2^128 (where round-to-nearest leaves the largest finite float32 behind).
 * A value that rounds to zero keeps its sign.
 */
export function roundDyadicToFloat32(m: bigint, e: number): number {
  const negative = m < 0n;
  let mag = negative ? -m : m;
  if (mag === 0n) return 0;
  const top = e + bitLength(mag) - 1; // 2^top ≤ |value| < 2^(top+1)
  const q = Math.max(top - 23, -149); // exponent of the float32 spacing at |value|
  if (e < q) {
    const shift = BigInt(q - e);
    const kept = mag >> shift;
    const rest = mag - (kept << shift);
    const half = 1n << (shift - 1n);
    mag = rest > half || (rest === half && (kept & 1n) === 1n) ? kept + 1n : kept;
    e = q;
  }
  if (mag !== 0n && e + bitLength(mag) - 1 >= 128) return negative ? -Infinity : Infinity;
  const v = Number(mag) * pow2(e); // mag has at most 25 bits and e ≥ −149: exact
  return negative ? -v : v;
}

/**
 * fl(a·b + c) with one rounding to float32 (a fused multiply-add): the exact dyadic a·b + c rounded by
 * roundDyadicToFloat32. Any finite doubles are accepted. An exact zero is +0 unless a·b and c are zeros of one sign
 * (IEEE 754 §6.3); a non-finite operand gives what double arithmetic gives, which is then exact.
 */
export function fmaF32(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return Math.fround(a * b + c);
  const x = toDyadic(a);
  const y = toDyadic(b);
  const z = toDyadic(c);
  const pm = x.m * y.m;
  const pe = x.e + y.e;
  const e = Math.min(pe, z.e);
  const m = (pm << BigInt(pe - e)) + (z.m << BigInt(z.e - e));
  if (m === 0n) return a * b === 0 && c === 0 ? a * b + c : 0;
  return roundDyadicToFloat32(m, e);
}

/** The next float32 above x (a float32): the smallest subnormal above ±0; +Infinity stays. */
export function nextFloat32Up(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return pow2(-149);
  f32[0] = x;
  u32[0] += x > 0 ? 1 : -1;
  return f32[0];
}

/** The next float32 below x (a float32). */
export function nextFloat32Down(x: number): number {
  return -nextFloat32Up(-x);
}

function isProduct(t: Term): t is readonly [number, number] {
  return typeof t !== 'number';
}

function valueOf(t: Term): number {
  return isProduct(t) ? Math.fround(t[0] * t[1]) : t;
}

/**
 * Float32 sums in one order. A random order draws a fresh permutation for each sum from one Rng seeded at
 * construction, so the i-th sum of a forward pass gets the same permutation whatever the input (a runtime whose
 * reduction orders are arbitrary but fixed). With fma, an addition whose operand is a single product term fuses it:
 * fl(a·b + other); when both operands are products the right one is fused and the left one rounded first.
 */
export class Float32Summer {
  private readonly rng: Rng | null;

  constructor(private readonly order: SumOrder, private readonly fma: boolean) {
    this.rng = typeof order === 'object' ? new Rng(BigInt(order.random)) : null;
  }

  sum(terms: readonly Term[]): number {
    if (terms.length === 0) return 0;
    if (this.order === 'pairwise') return valueOf(this.pairwise(terms, 0, terms.length));
    const ordered = this.order === 'forward' ? terms : this.order === 'reverse' ? [...terms].reverse() : this.permuted(terms);
    let acc: Term = ordered[0];
    for (let i = 1; i < ordered.length; i++) acc = this.add(acc, ordered[i]);
    return valueOf(acc);
  }

  private add(left: Term, right: Term): number {
    if (this.fma && isProduct(right)) return fmaF32(right[0], right[1], valueOf(left));
    if (this.fma && isProduct(left)) return fmaF32(left[0], left[1], valueOf(right));
    return Math.fround(valueOf(left) + valueOf(right));
  }

  private pairwise(terms: readonly Term[], lo: number, hi: number): Term {
    if (hi - lo === 1) return terms[lo];
    const mid = lo + ((hi - lo) >> 1);
    return this.add(this.pairwise(terms, lo, mid), this.pairwise(terms, mid, hi));
  }

  /** Fisher–Yates with the summer's Rng. */
  private permuted(terms: readonly Term[]): Term[] {
    const out = [...terms];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng!.uniformInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

function expF32(y: number, mode: Float32Options['exp']): number {
  const e = Math.fround(Math.exp(y));
  if (mode === 'up') return nextFloat32Up(e);
  if (mode === 'down') return Math.max(0, nextFloat32Down(e)); // exp is never negative, even 1 ulp off
  return e;
}

/** out[c] = fl(Σ_i src[off + i] M[i, c] + bias[c]) for M [rows, cols]: rows products, then the bias. */
function linear(sum: Float32Summer, src: Float32Array, off: number, M: Float32Array, rows: number, cols: number, bias: Float32Array): Float32Array {
  const out = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    const terms: Term[] = [];
    for (let i = 0; i < rows; i++) terms.push([src[off + i], M[i * cols + c]]);
    terms.push(bias[c]);
    out[c] = sum.sum(terms);
  }
  return out;
}

/** The float32 logits [V] at the last position of one sequence of K tokens (module comment). */
export function float32Logits(model: Float32Weights, tokens: ArrayLike<number>, opts: Float32Options): Float32Array {
  const { k: K, vocab: V, dModel: d, dHead: h } = model.config;
  if (tokens.length !== K) throw new RangeError(`float32Logits: ${tokens.length} tokens, expected K = ${K}`);
  const zero = (n: number) => new Float32Array(n);
  const { bQ, bK, bV, bO, bU } = model.biases ?? { bQ: zero(h), bK: zero(h), bV: zero(h), bO: zero(d), bU: zero(V) };
  const sum = new Float32Summer(opts.order, opts.fma);
  const fl = Math.fround;
  const x = new Float32Array(K * d);
  for (let p = 0; p < K; p++) {
    const t = tokens[p];
    if (!Number.isInteger(t) || t < 0 || t >= V) throw new RangeError(`float32Logits: token ${t} is outside 0..${V - 1}`);
    for (let i = 0; i < d; i++) x[p * d + i] = fl(model.WE[t * d + i] + model.Wpos[p * d + i]);
  }
  const last = (K - 1) * d;
  const q = linear(sum, x, last, model.WQ, d, h, bQ);
  const keys = Array.from({ length: K }, (_, p) => linear(sum, x, p * d, model.WK, d, h, bK));
  const values = Array.from({ length: K }, (_, p) => linear(sum, x, p * d, model.WV, d, h, bV));
  const c = fl(Math.sqrt(h));
  const score = keys.map((k) => fl(sum.sum(Array.from(q, (qj, j): Term => [qj, k[j]])) / c));
  const mx = Math.max(...score);
  const e = score.map((s) => expF32(fl(s - mx), opts.exp));
  const Z = sum.sum(e);
  const a = e.map((ep) => fl(ep / Z));
  const z = Float32Array.from({ length: h }, (_, j) => sum.sum(a.map((ap, p): Term => [ap, values[p][j]])));
  const o = linear(sum, z, 0, model.WO, h, d, bO);
  const r = Float32Array.from({ length: d }, (_, i) => fl(x[last + i] + o[i]));
  return linear(sum, r, 0, model.WU, d, V, bU);
}

/** True iff the logit of max(tokens) is strictly above every other logit (a tie or a NaN is wrong). */
export function float32Correct(logits: ArrayLike<number>, tokens: ArrayLike<number>): boolean {
  let m = tokens[0];
  for (let p = 1; p < tokens.length; p++) m = Math.max(m, tokens[p]);
  for (let x = 0; x < logits.length; x++) {
    if (x !== m && !(logits[m] > logits[x])) return false;
  }
  return true;
}

/** Every sequence of K tokens from 0..V-1, in lexicographic order (V^K of them: tiny models only). */
export function* allSequences(vocab: number, k: number): Generator<number[]> {
  const t = new Array<number>(k).fill(0);
  for (;;) {
    yield [...t];
    let p = k - 1;
    while (p >= 0 && t[p] === vocab - 1) t[p--] = 0;
    if (p < 0) return;
    t[p]++;
  }
}

/** How many of the V^K sequences the emulated float32 forward pass gets right. */
export function emulatedCount(model: Float32Weights, opts: Float32Options): number {
  let count = 0;
  for (const tokens of allSequences(model.config.vocab, model.config.k)) {
    if (float32Correct(float32Logits(model, tokens, opts), tokens)) count++;
  }
  return count;
}

/**
 * Every combination of five orders (forward, reverse, pairwise, random(1), random(2)), fma off and on, and the three
 * exp modes: 30 settings.
 */
export const FLOAT32_SETTINGS: readonly Float32Options[] = (['forward', 'reverse', 'pairwise', { random: 1 }, { random: 2 }] as const)
  .flatMap((order) => [false, true].flatMap((fma) => (['nearest', 'up', 'down'] as const).map((exp) => ({ order, fma, exp }))));

/** A short label, e.g. 'reverse fma exp=up' or 'random(1)'. */
export function settingLabel(opts: Float32Options): string {
  const order = typeof opts.order === 'object' ? `random(${opts.order.random})` : opts.order;
  const exp = opts.exp && opts.exp !== 'nearest' ? ` exp=${opts.exp}` : '';
  return `${order}${opts.fma ? ' fma' : ''}${exp}`;
}

/** The smallest emulatedCount over `settings`, with the first setting that attains it. */
export function minEmulatedCount(model: Float32Weights, settings: readonly Float32Options[] = FLOAT32_SETTINGS): { count: number; setting: Float32Options } {
  let best = { count: Infinity, setting: settings[0] };
  for (const setting of settings) {
    const count = emulatedCount(model, setting);
    if (count < best.count) best = { count, setting };
  }
  return best;
}
