/**
 * The model as exact numbers. Parses the safetensors file itself (8-byte little-endian header length, JSON header,
 * raw little-endian tensors), turns every float32 bit pattern into an exact dyadic, and computes the path matrices of
 * SPEC §1 exactly. Only 1-layer, 1-head, attention-only models with TransformerLens names and zero biases are
 * accepted; anything else is a rejection that says why.
 */
import { ensure, reject } from './errors.js';
import { jsonShape } from './json.js';
import { MAX_D_HEAD, MAX_D_MODEL, MAX_JSON_DEPTH, MAX_K, MAX_MODEL_BYTES, MAX_MODEL_HEADER_BYTES, MAX_VOCAB } from './limits.js';
import type { Ops } from './ops.js';

/** A matrix of exact dyadics: entry (r, c) is num[r·cols + c] / 2^exp, exp ≥ 0. */
export interface Mat {
  rows: number;
  cols: number;
  exp: number;
  num: bigint[];
}

export interface ExactModel {
  k: number;
  vocab: number;
  dModel: number;
  dHead: number;
  sha256: string;
  /** V×V, query × output: (E + P[K−1]) W_U. */
  EU: Mat;
  /** V×V, key token × output: E W_V W_O W_U. */
  EVOU: Mat;
  /** K×V, key position × output: P W_V W_O W_U. */
  PVOU: Mat;
  /** V×V, query × key token: (E + P[K−1]) W_Q W_Kᵀ Eᵀ. */
  EQKE: Mat;
  /** V×K, query × key position: (E + P[K−1]) W_Q W_Kᵀ Pᵀ. */
  EQKP: Mat;
  /** The weights (E_q = E + P[K−1]), for rules that bound products without forming them (subcubic). */
  weights: { E: Mat; Eq: Mat; Q: Mat; K: Mat; U: Mat };
}

const RULE = 'model';
const fail = (message: string): never => reject(null, RULE, message);

const WEIGHTS = {
  E: 'embed.W_E',
  P: 'pos_embed.W_pos',
  Q: 'blocks.0.attn.W_Q',
  K: 'blocks.0.attn.W_K',
  V: 'blocks.0.attn.W_V',
  O: 'blocks.0.attn.W_O',
  U: 'unembed.W_U',
} as const;
/** Accepted only when every entry is exactly zero (+0 or −0). */
const BIASES = ['blocks.0.attn.b_Q', 'blocks.0.attn.b_K', 'blocks.0.attn.b_V', 'blocks.0.attn.b_O', 'unembed.b_U'];
/** TransformerLens buffers that hold no parameters; not read. */
const IGNORED = ['blocks.0.attn.mask', 'blocks.0.attn.IGNORE', '__metadata__'];

interface Tensor {
  shape: number[];
  bits: Uint32Array;
}

/** The float32 with bit pattern `bits` as an exact dyadic ±mant·2^e2 (integers); rejects infinities and NaN. */
export function float32ToDyadic(bits: number): { mant: number; e2: number } {
  const sign = bits >>> 31 ? -1 : 1;
  const e = (bits >>> 23) & 0xff;
  const f = bits & 0x7fffff;
  if (e === 0xff) fail(`weight bit pattern 0x${(bits >>> 0).toString(16)} is ${f ? 'NaN' : 'infinite'}`);
  // Normal: (2^23 + f)·2^(e−150). Subnormal (e = 0): f·2^−149. Zero (either sign) is mant 0.
  let mant = e === 0 ? f : f + 0x800000;
  let e2 = e === 0 ? -149 : e - 150;
  if (mant === 0) return { mant: 0, e2: 0 };
  while (mant % 2 === 0) {
    mant /= 2;
    e2 += 1;
  }
  return { mant: sign * mant, e2 };
}

/** An exact matrix from float32 bit patterns, over the smallest common power of two. */
export function dyadicMatrix(bits: Uint32Array, rows: number, cols: number): Mat {
  const parts = Array.from(bits, float32ToDyadic);
  let exp = 0;
  for (const { mant, e2 } of parts) if (mant !== 0 && -e2 > exp) exp = -e2;
  const num = parts.map(({ mant, e2 }) => (mant === 0 ? 0n : BigInt(mant) << BigInt(exp + e2)));
  return { rows, cols, exp, num };
}

function readTensors(bytes: Uint8Array): Map<string, Tensor> {
  ensure(bytes.length <= MAX_MODEL_BYTES, null, RULE, `model file of ${bytes.length} bytes exceeds the limit of ${MAX_MODEL_BYTES}`);
  ensure(bytes.length >= 8, null, RULE, `model file of ${bytes.length} bytes is too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  ensure(headerLen <= BigInt(Math.min(MAX_MODEL_HEADER_BYTES, bytes.length - 8)), null, RULE,
    `safetensors header length ${headerLen} exceeds the file or the limit of ${MAX_MODEL_HEADER_BYTES} bytes`);
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('safetensors header is not UTF-8 JSON');
  }
  ensure(jsonShape(text).depth <= MAX_JSON_DEPTH, null, RULE, `safetensors header nests deeper than ${MAX_JSON_DEPTH}`);
  try {
    header = JSON.parse(text);
  } catch {
    fail('safetensors header is not UTF-8 JSON');
  }
  ensure(typeof header === 'object' && header !== null && !Array.isArray(header), null, RULE, 'safetensors header is not a JSON object');
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (IGNORED.includes(name)) continue;
    ensure(Object.values(WEIGHTS).includes(name as never) || BIASES.includes(name), null, RULE,
      `unexpected tensor ${JSON.stringify(name)}: only 1-layer, 1-head, attention-only models are supported`);
    const { dtype, shape, data_offsets: off } = (entry ?? {}) as Record<string, unknown>;
    ensure(dtype === 'F32', null, RULE, `tensor ${name}: dtype ${JSON.stringify(dtype)} is not F32`);
    const isDims = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && x >= 0);
    ensure(isDims(shape) && isDims(off) && off.length === 2, null, RULE, `tensor ${name}: malformed shape or data_offsets`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = off;
    ensure(begin <= end && dataStart + end <= bytes.length && end - begin === 4 * count, null, RULE,
      `tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${count} float32 values inside the file`);
    const bits = new Uint32Array(count);
    for (let i = 0; i < count; i++) bits[i] = view.getUint32(dataStart + begin + 4 * i, true);
    tensors.set(name, { shape, bits });
  }
  return tensors;
}

export function matmul(A: Mat, B: Mat, ops: Ops): Mat {
  if (A.cols !== B.rows) throw new RangeError('matmul shape mismatch');
  const num = new Array<bigint>(A.rows * B.cols).fill(0n);
  for (let r = 0; r < A.rows; r++) {
    for (let j = 0; j < A.cols; j++) {
      const a = A.num[r * A.cols + j];
      if (a === 0n) continue;
      for (let c = 0; c < B.cols; c++) num[r * B.cols + c] += a * B.num[j * B.cols + c];
      ops.add(2 * B.cols);
    }
  }
  return { rows: A.rows, cols: B.cols, exp: A.exp + B.exp, num };
}

function transpose(A: Mat): Mat {
  const num = new Array<bigint>(A.rows * A.cols);
  for (let r = 0; r < A.rows; r++) for (let c = 0; c < A.cols; c++) num[c * A.rows + r] = A.num[r * A.cols + c];
  return { rows: A.cols, cols: A.rows, exp: A.exp, num };
}

/** The same values over 2^exp (exp ≥ A.exp). */
export function rescale(A: Mat, exp: number): Mat {
  const s = BigInt(exp - A.exp);
  if (s < 0n) throw new RangeError('rescale would lose bits');
  return { ...A, exp, num: s === 0n ? A.num : A.num.map((x) => x << s) };
}

/** Parses the model file (whose SHA-256 is `sha256`) and computes its exact path matrices. */
export function loadExactModel(bytes: Uint8Array, ops: Ops, sha256: string): ExactModel {
  const tensors = readTensors(bytes);
  const get = (name: string, rank: number): Tensor => {
    const t = tensors.get(name) ?? fail(`missing tensor ${name}`);
    ensure(t.shape.length === rank, null, RULE, `tensor ${name} has shape [${t.shape}], expected ${rank} dimensions`);
    return t;
  };
  const E = get(WEIGHTS.E, 2);
  const P = get(WEIGHTS.P, 2);
  const Q = get(WEIGHTS.Q, 3);
  const [vocab, dModel] = E.shape;
  const k = P.shape[0];
  const dHead = Q.shape[2];
  ensure(Q.shape[0] === 1, null, RULE, `${Q.shape[0]} attention heads: only 1 is supported`);
  ensure(vocab >= 2 && vocab <= MAX_VOCAB && k >= 2 && k <= MAX_K && dModel >= 1 && dModel <= MAX_D_MODEL && dHead >= 1 && dHead <= MAX_D_HEAD,
    null, RULE, `shapes V=${vocab}, K=${k}, d_model=${dModel}, d_head=${dHead} are outside the checker's limits`);
  const expect: [string, number[]][] = [
    [WEIGHTS.P, [k, dModel]], [WEIGHTS.Q, [1, dModel, dHead]], [WEIGHTS.K, [1, dModel, dHead]],
    [WEIGHTS.V, [1, dModel, dHead]], [WEIGHTS.O, [1, dHead, dModel]], [WEIGHTS.U, [dModel, vocab]],
  ];
  for (const [name, shape] of expect) {
    const t = get(name, shape.length);
    ensure(t.shape.every((s, i) => s === shape[i]), null, RULE, `tensor ${name} has shape [${t.shape}], expected [${shape}]`);
  }
  for (const name of BIASES) {
    const t = tensors.get(name);
    ensure(!t || t.bits.every((b) => (b & 0x7fffffff) === 0), null, RULE, `bias ${name} is nonzero: biases are not supported`);
  }
  const mat = (name: string, rows: number, cols: number) => dyadicMatrix(tensors.get(name)!.bits, rows, cols);
  const WE = mat(WEIGHTS.E, vocab, dModel);
  const WP = mat(WEIGHTS.P, k, dModel);
  const WQ = mat(WEIGHTS.Q, dModel, dHead);
  const WK = mat(WEIGHTS.K, dModel, dHead);
  const WV = mat(WEIGHTS.V, dModel, dHead);
  const WO = mat(WEIGHTS.O, dHead, dModel);
  const WU = mat(WEIGHTS.U, dModel, vocab);
  // E_q = E + P[K−1], over the larger of the two exponents.
  const qexp = Math.max(WE.exp, WP.exp);
  const Es = rescale(WE, qexp);
  const Ps = rescale(WP, qexp);
  const Eq: Mat = { rows: vocab, cols: dModel, exp: qexp, num: Es.num.map((x, i) => x + Ps.num[(k - 1) * dModel + (i % dModel)]) };
  ops.add(vocab * dModel);
  // Path matrices are computed (and their operations counted) on first use only: a subcubic check needs few of them.
  const memo = new Map<string, Mat>();
  const lazy = (key: string, f: () => Mat): Mat => memo.get(key) ?? memo.set(key, f()).get(key)!;
  const VOU = () => lazy('VOU', () => matmul(matmul(WV, WO, ops), WU, ops));
  const EqQK = () => lazy('EqQK', () => matmul(Eq, matmul(WQ, transpose(WK), ops), ops));
  return {
    k, vocab, dModel, dHead,
    sha256,
    get EU() { return lazy('EU', () => matmul(Eq, WU, ops)); },
    get EVOU() { return lazy('EVOU', () => matmul(WE, VOU(), ops)); },
    get PVOU() { return lazy('PVOU', () => matmul(WP, VOU(), ops)); },
    get EQKE() { return lazy('EQKE', () => matmul(EqQK(), transpose(WE), ops)); },
    // K is small: E_q·(W_Q·(W_Kᵀ·Pᵀ)) costs O(V·d·K + d²K), far below forming E_q W_Q W_Kᵀ (V·d²).
    get EQKP() { return lazy('EQKP', () => matmul(Eq, matmul(WQ, matmul(transpose(WK), transpose(WP), ops), ops), ops)); },
    weights: { E: WE, Eq, Q: WQ, K: WK, U: WU },
  };
}

/** EU, EVOU and PVOU over one common power of two 2^exp (the logit paths, added together by the counting rules). */
export function logitPaths(model: ExactModel): { exp: number; EU: bigint[]; EVOU: bigint[]; PVOU: bigint[] } {
  const exp = Math.max(model.EU.exp, model.EVOU.exp, model.PVOU.exp);
  return { exp, EU: rescale(model.EU, exp).num, EVOU: rescale(model.EVOU, exp).num, PVOU: rescale(model.PVOU, exp).num };
}
