/**
 * The model as exact numbers. Parses the safetensors file itself (8-byte little-endian header length, JSON header,
 * raw little-endian tensors), turns every float32 bit pattern into an exact dyadic, and computes the path matrices of
 * SPEC §1 exactly, biases folded in. Only 1-layer, 1-head, attention-only models with TransformerLens names are
 * accepted; anything else is a rejection that says why.
 */
import { CheckError, ensure, ensureWithin, reject } from './errors.js';
import { parseJson } from './json.js';
import { MAX_D_HEAD, MAX_D_MODEL, MAX_K, MAX_MODEL_BYTES, MAX_MODEL_HEADER_BYTES, MAX_VOCAB } from './limits.js';
import type { Ops } from './ops.js';

/**
 * What a work estimate reads of the model: V, K, d_model, d_head, and `bits`, a bound on the bits of every weight's
 * numerator as an exact matrix (weightBits).
 */
export interface Shape { vocab: number; k: number; dModel: number; dHead: number; bits: number }

/** A matrix of exact dyadics: entry (r, c) is num[r·cols + c] / 2^exp, exp ≥ 0. */
export interface Mat {
  rows: number;
  cols: number;
  exp: number;
  num: bigint[];
}

export interface ExactModel extends Shape {
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
  /**
   * The weights, for rules that bound products without forming them (subcubic), with the biases folded in (SPEC §1):
   * Eq·Q = E_q W_Q + 1 b_Q and Eq·U = EU. Without biases Eq = E + P[K−1], Q = W_Q, U = W_U; with any nonzero bias
   * Eq = [E + P[K−1] | 1], Q = [W_Q ; b_Q], U = [W_U ; c] (one more residual dimension).
   */
  weights: { E: Mat; Eq: Mat; Q: Mat; K: Mat; U: Mat };
  /** The tensors as stored, each bias a 1×n row (zero when absent): the float32 rounding bound reads them (SPEC §1.1). */
  tensors: Record<'E' | 'P' | 'Q' | 'K' | 'V' | 'O' | 'U' | 'bQ' | 'bK' | 'bV' | 'bO' | 'bU', Mat>;
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
/** TransformerLens's biases (SPEC §1): absent means zero. */
const BIASES = { bQ: 'blocks.0.attn.b_Q', bK: 'blocks.0.attn.b_K', bV: 'blocks.0.attn.b_V', bO: 'blocks.0.attn.b_O', bU: 'unembed.b_U' } as const;
/** TransformerLens's attention buffers (SPEC §1): the mask is read and must leave the last query every position. */
const MASK = 'blocks.0.attn.mask';
const IGNORE = 'blocks.0.attn.IGNORE';
/** The dtypes accepted per tensor name, and bytes per element of each. */
const DTYPES = (name: string): readonly string[] => (name === MASK ? ['BOOL', 'U8'] : ['F32']);
const DTYPE_BYTES: Record<string, number> = { F32: 4, BOOL: 1, U8: 1 };

/** A tensor's header entry, validated: its bytes are file[begin, end). */
interface Entry {
  shape: number[];
  begin: number;
  end: number;
}

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
  const mant = e === 0 ? f : f + 0x800000;
  if (mant === 0) return { mant: 0, e2: 0 };
  // Made odd: its tz trailing zero bits (mant < 2^24) moved into the exponent.
  const tz = 31 - Math.clz32(mant & -mant);
  return { mant: sign * (mant >>> tz), e2: (e === 0 ? -149 : e - 150) + tz };
}

/** An exact matrix from float32 bit patterns, over the smallest common power of two. */
export function dyadicMatrix(bits: Uint32Array, rows: number, cols: number): Mat {
  const parts = Array.from(bits, float32ToDyadic);
  let exp = 0;
  for (const { mant, e2 } of parts) if (mant !== 0 && -e2 > exp) exp = -e2;
  const num = parts.map(({ mant, e2 }) => (mant === 0 ? 0n : BigInt(mant) << BigInt(exp + e2)));
  return { rows, cols, exp, num };
}

/**
 * The header, a JSON object, and where the data region starts. The header must begin with `{` (as in the reference
 * library); a byte-order mark, invalid UTF-8, a repeated key (another reader may keep the other value: the same file,
 * two models), a number not written as an integer (`4.096e3`, `4096.0`: the reference library refuses them) or invalid
 * JSON is refused by parseJson. A text that begins with `{` and parses is a JSON object.
 */
function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  ensureWithin(bytes.length <= MAX_MODEL_BYTES, null, 'limits', `model file of ${bytes.length} bytes exceeds the limit of ${MAX_MODEL_BYTES}`);
  ensure(bytes.length >= 8, null, RULE, `model file of ${bytes.length} bytes is too short for a safetensors header`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  ensure(headerLen <= BigInt(bytes.length - 8), null, RULE, `safetensors header length ${headerLen} exceeds the file's ${bytes.length - 8} bytes after it`);
  ensureWithin(headerLen <= BigInt(MAX_MODEL_HEADER_BYTES), null, 'limits', `safetensors header of ${headerLen} bytes exceeds the limit of ${MAX_MODEL_HEADER_BYTES}`);
  const dataStart = 8 + Number(headerLen);
  const { value } = parseJson(bytes.subarray(8, dataStart), 'safetensors header', (limit, message) => {
    throw new CheckError(null, limit ? 'limits' : RULE, message, limit);
  });
  ensure(bytes[8] === 0x7b, null, RULE, 'safetensors header does not begin with "{"');
  return { header: value as Record<string, unknown>, dataStart };
}

/** `__metadata__`, if present, maps strings to strings (as in the reference library). */
function checkMetadata(value: unknown): void {
  ensure(typeof value === 'object' && value !== null && !Array.isArray(value), null, RULE, '__metadata__ is not a JSON object');
  for (const [k, v] of Object.entries(value)) ensure(typeof v === 'string', null, RULE, `__metadata__ value ${JSON.stringify(k)} is not a string`);
}

/** One tensor's header entry: exactly dtype, shape and data_offsets, a known name and dtype, a matching byte length. */
function tensorEntry(name: string, value: unknown, dataStart: number, fileLen: number): Entry {
  ensure(name === MASK || name === IGNORE || [...Object.values(WEIGHTS), ...Object.values(BIASES)].includes(name as never), null, RULE,
    `unexpected tensor ${JSON.stringify(name)}: only 1-layer, 1-head, attention-only models are supported`);
  const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value).sort().join() : '';
  ensure(keys === 'data_offsets,dtype,shape', null, RULE, `tensor ${name}: the entry must hold exactly dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: off } = value as Record<string, unknown>;
  ensure(DTYPES(name).includes(dtype as string), null, RULE, `tensor ${name}: dtype ${JSON.stringify(dtype)} is not ${DTYPES(name).join(' or ')}`);
  const isDims = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && x >= 0);
  ensure(isDims(shape) && isDims(off) && off.length === 2, null, RULE, `tensor ${name}: malformed shape or data_offsets`);
  // The element count is bounded by the file's length as it grows, so it never leaves the safe integers.
  let count = 1;
  for (const s of shape) count = Math.min(count * s, fileLen + 1);
  const [begin, end] = off;
  ensure(begin <= end && dataStart + end <= fileLen && end - begin === DTYPE_BYTES[dtype as string] * count, null, RULE,
    `tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${count} ${dtype} values inside the file`);
  return { shape, begin: dataStart + begin, end: dataStart + end };
}

/**
 * The tensors tile the data region exactly, as the reference library requires: sorted by offset, the first begins
 * at the data region's start, each where the previous ended, the last at the end of the file. A gap or trailing
 * bytes would be unread content under the file's hash; an overlap, bytes read as two tensors.
 */
function checkTiling(entries: Map<string, Entry>, dataStart: number, fileLen: number): void {
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let at = dataStart;
  for (const [name, e] of sorted) {
    ensure(e.begin === at, null, RULE, `tensor ${name}: data begins at byte ${e.begin - dataStart} of the data region, not at ${at - dataStart} where the previous tensor ended (a gap or an overlap)`);
    at = e.end;
  }
  ensure(at === fileLen, null, RULE, `${fileLen - at} bytes after the last tensor: the tensors do not tile the data region`);
}

/** The header's tensor entries, validated (strict safetensors, SPEC §1). */
function readEntries(bytes: Uint8Array): Map<string, Entry> {
  const { header, dataStart } = readHeader(bytes);
  const entries = new Map<string, Entry>();
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') checkMetadata(value);
    else entries.set(name, tensorEntry(name, value, dataStart, bytes.length));
  }
  checkTiling(entries, dataStart, bytes.length);
  return entries;
}

/**
 * A bound on the bits of any weight's or bias's numerator as an exact matrix: dyadicMatrix writes a matrix over the
 * power of two of its smallest nonzero entry, and folding the biases (loadExactModel) combines matrices over the
 * larger of their powers and adds at most two of them, so a numerator has at most 24 mantissa bits, plus the spread
 * of the binary exponents over all the tensors, plus 1.
 */
function weightBits(tensors: Map<string, Tensor>): number {
  let lo = 255;
  let hi = 0;
  for (const { bits } of tensors.values()) {
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & 0x7fffffff) === 0) continue;
      const e = Math.max(1, (bits[i] >>> 23) & 0xff); // a subnormal's exponent is that of the smallest normal
      if (e < lo) lo = e;
      if (e > hi) hi = e;
    }
  }
  return 25 + Math.max(0, hi - lo);
}

/** The F32 tensors' shapes and bit patterns (the mask and IGNORE excluded: see checkAttentionBuffers). */
function readTensors(bytes: Uint8Array, entries: Map<string, Entry>): Map<string, Tensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, Tensor>();
  for (const [name, e] of entries) {
    if (name === MASK || name === IGNORE) continue;
    const bits = new Uint32Array((e.end - e.begin) / 4);
    for (let i = 0; i < bits.length; i++) bits[i] = view.getUint32(e.begin + 4 * i, true);
    // Exponent bits all ones: ±∞ or NaN, which no exact dyadic is (refused now, though converted on first use).
    const bad = bits.findIndex((b) => (b & 0x7f800000) === 0x7f800000);
    if (bad >= 0) float32ToDyadic(bits[bad]);
    tensors.set(name, { shape: e.shape, bits });
  }
  return tensors;
}

/**
 * TransformerLens's attention buffers (SPEC §1). The mask, if present, is [K, K] of 0/1 bytes whose last row (query
 * position K−1) is all 1: the claim is about the last position only, and there this mask hides nothing, so the model
 * computed is the one of §1. Any other mask changes that model and is refused. IGNORE, if present, is an F32 scalar;
 * its value is never read: it replaces the scores the mask hides, and an accepted mask hides none in the last row.
 */
function checkAttentionBuffers(bytes: Uint8Array, entries: Map<string, Entry>, k: number): void {
  const mask = entries.get(MASK);
  if (mask) {
    ensure(mask.shape.length === 2 && mask.shape[0] === k && mask.shape[1] === k, null, RULE, `${MASK} has shape [${mask.shape}], expected [${k},${k}]`);
    const cells = bytes.subarray(mask.begin, mask.end);
    ensure(cells.every((b) => b <= 1), null, RULE, `${MASK} holds a byte other than 0 or 1`);
    const last = cells.subarray((k - 1) * k);
    ensure(last.every((b) => b === 1), null, RULE,
      `${MASK} hides key position(s) ${[...last.keys()].filter((j) => last[j] !== 1).join(', ')} from the last query: only a mask whose last row is all true (causal) is supported`);
  }
  const ignore = entries.get(IGNORE);
  ensure(!ignore || ignore.shape.length === 0, null, RULE, `${IGNORE} has shape [${ignore?.shape}], expected a scalar []`);
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

/** Aᵀ. */
export function transpose(A: Mat): Mat {
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

/** A + sign·B (same shape), over the larger of the two exponents. */
export function lin(A: Mat, B: Mat, sign: bigint, ops: Ops): Mat {
  const exp = Math.max(A.exp, B.exp);
  const b = rescale(B, exp).num;
  ops.add(A.num.length);
  return { ...A, exp, num: rescale(A, exp).num.map((x, i) => x + sign * b[i]) };
}

/** [A ; B]: the rows of A, then those of B (as many columns), over the larger exponent. */
function below(A: Mat, B: Mat): Mat {
  const exp = Math.max(A.exp, B.exp);
  return { rows: A.rows + B.rows, cols: A.cols, exp, num: [...rescale(A, exp).num, ...rescale(B, exp).num] };
}

/** The rows × cols matrix with every entry x = x.n/2^x.e. */
export const constant = (rows: number, cols: number, x: { n: bigint; e: number }): Mat => ({ rows, cols, exp: x.e, num: new Array<bigint>(rows * cols).fill(x.n) });

/** The matrix of `rows` rows, each row r of A (r = 0 when A is a row vector): a vector broadcast over rows. */
export const repeatRow = (A: Mat, r: number, rows: number): Mat =>
  ({ rows, cols: A.cols, exp: A.exp, num: Array.from({ length: rows * A.cols }, (_, i) => A.num[r * A.cols + (i % A.cols)]) });

/** V, K, d_model and d_head, once every weight and bias present has its shape. */
function dimensions(tensors: Map<string, Tensor>): Shape {
  const shape = (name: string, rank: number): number[] => {
    const t = tensors.get(name) ?? fail(`missing tensor ${name}`);
    ensure(t.shape.length === rank, null, RULE, `tensor ${name} has shape [${t.shape}], expected ${rank} dimensions`);
    return t.shape;
  };
  const [vocab, dModel] = shape(WEIGHTS.E, 2);
  const k = shape(WEIGHTS.P, 2)[0];
  const [heads, , dHead] = shape(WEIGHTS.Q, 3);
  ensure(heads === 1, null, RULE, `${heads} attention heads: only 1 is supported`);
  ensureWithin(vocab >= 2 && vocab <= MAX_VOCAB && k >= 2 && k <= MAX_K && dModel >= 1 && dModel <= MAX_D_MODEL && dHead >= 1 && dHead <= MAX_D_HEAD,
    null, 'limits', `shapes V=${vocab}, K=${k}, d_model=${dModel}, d_head=${dHead} are outside the checker's limits`);
  const expect: [string, number[]][] = [
    [WEIGHTS.P, [k, dModel]], [WEIGHTS.Q, [1, dModel, dHead]], [WEIGHTS.K, [1, dModel, dHead]],
    [WEIGHTS.V, [1, dModel, dHead]], [WEIGHTS.O, [1, dHead, dModel]], [WEIGHTS.U, [dModel, vocab]],
    [BIASES.bQ, [1, dHead]], [BIASES.bK, [1, dHead]], [BIASES.bV, [1, dHead]], [BIASES.bO, [dModel]], [BIASES.bU, [vocab]],
  ];
  for (const [name, dims] of expect) {
    if (!tensors.has(name) && Object.values(BIASES).includes(name as never)) continue;
    const s = shape(name, dims.length);
    ensure(s.every((d, i) => d === dims[i]), null, RULE, `tensor ${name} has shape [${s}], expected [${dims}]`);
  }
  return { vocab, k, dModel, dHead, bits: weightBits(tensors) };
}

/** Parses the model file (whose SHA-256 is `sha256`) and computes its exact path matrices. */
export function loadExactModel(bytes: Uint8Array, ops: Ops, sha256: string): ExactModel {
  const entries = readEntries(bytes);
  const tensors = readTensors(bytes, entries);
  const dims = dimensions(tensors);
  const { vocab, k } = dims;
  checkAttentionBuffers(bytes, entries, k);
  // Weights and path matrices are made exact (and their operations counted) on first use only: a check that stops
  // early converts nothing, and a subcubic check forms few of the products.
  const memo = new Map<string, Mat>();
  const lazy = (key: string, f: () => Mat): Mat => memo.get(key) ?? memo.set(key, f()).get(key)!;
  // Each weight over its last two dimensions (W_Q, W_K, W_V, W_O: the one head's), in WEIGHTS's order; each bias
  // as a row vector (zero when absent).
  const [WE, WP, WQ, WK, WV, WO, WU] = Object.values(WEIGHTS).map((name) => () => lazy(name, () => {
    const { bits, shape } = tensors.get(name)!;
    return dyadicMatrix(bits, shape[shape.length - 2], shape[shape.length - 1]);
  }));
  const bias = (name: string, cols: number) => lazy(name, () => dyadicMatrix(tensors.get(name)?.bits ?? new Uint32Array(cols), 1, cols));
  const biased = Object.values(BIASES).some((name) => tensors.get(name)?.bits.some((b) => (b & 0x7fffffff) !== 0));
  // E_q = E + P[K−1] (each row of E plus P's last row), then the folded weights of ExactModel.weights: with biases,
  // c = (b_V W_O + b_O) W_U + b_U is the logit shift that attention passes on unchanged (its weights sum to 1).
  const Eq = () => lazy('Eq', () => {
    const EP = lin(WE(), repeatRow(WP(), k - 1, vocab), 1n, ops);
    return biased ? transpose(below(transpose(EP), constant(1, vocab, { n: 1n, e: 0 }))) : EP;
  });
  const Q = () => lazy('Q', () => (biased ? below(WQ(), bias(BIASES.bQ, dims.dHead)) : WQ()));
  const U = () => lazy('U', () => {
    if (!biased) return WU();
    const bVO = lin(matmul(bias(BIASES.bV, dims.dHead), WO(), ops), bias(BIASES.bO, dims.dModel), 1n, ops);
    return below(WU(), lin(matmul(bVO, WU(), ops), bias(BIASES.bU, vocab), 1n, ops));
  });
  const VOU = () => lazy('VOU', () => matmul(matmul(WV(), WO(), ops), WU(), ops));
  // Eq·Q = E_q W_Q + 1 b_Q: the score terms with b_K do not depend on the key and cancel in the softmax (SPEC §1).
  const EqQK = () => lazy('EqQK', () => matmul(Eq(), matmul(Q(), transpose(WK()), ops), ops));
  return {
    ...dims,
    sha256,
    get EU() { return lazy('EU', () => matmul(Eq(), U(), ops)); },
    get EVOU() { return lazy('EVOU', () => matmul(WE(), VOU(), ops)); },
    get PVOU() { return lazy('PVOU', () => matmul(WP(), VOU(), ops)); },
    get EQKE() { return lazy('EQKE', () => matmul(EqQK(), transpose(WE()), ops)); },
    // K is small: Eq·(Q·(W_Kᵀ·Pᵀ)) costs O(V·d·K + d²K), far below forming Eq·Q·W_Kᵀ (V·d²).
    get EQKP() { return lazy('EQKP', () => matmul(Eq(), matmul(Q(), matmul(transpose(WK()), transpose(WP()), ops), ops), ops)); },
    weights: { get E() { return WE(); }, get Eq() { return Eq(); }, get Q() { return Q(); }, get K() { return WK(); }, get U() { return U(); } },
    tensors: {
      get E() { return WE(); }, get P() { return WP(); }, get Q() { return WQ(); }, get K() { return WK(); }, get V() { return WV(); },
      get O() { return WO(); }, get U() { return WU(); }, get bQ() { return bias(BIASES.bQ, dims.dHead); }, get bK() { return bias(BIASES.bK, dims.dHead); },
      get bV() { return bias(BIASES.bV, dims.dHead); }, get bO() { return bias(BIASES.bO, dims.dModel); }, get bU() { return bias(BIASES.bU, vocab); },
    },
  };
}

/** EU, EVOU and PVOU over one common power of two 2^exp, exp ≥ minExp (the logit paths the counting rules add). */
export function logitPaths(model: ExactModel, minExp = 0): { exp: number; EU: bigint[]; EVOU: bigint[]; PVOU: bigint[] } {
  const exp = Math.max(model.EU.exp, model.EVOU.exp, model.PVOU.exp, minExp);
  return { exp, EU: rescale(model.EU, exp).num, EVOU: rescale(model.EVOU, exp).num, PVOU: rescale(model.PVOU, exp).num };
}
