/**
 * The prover's own exact path matrices (independent of checker/): every float32 weight is an exact dyadic rational,
 * so every path matrix entry is an integer numerator over a power of two per matrix. Used where the prover must
 * know exactly what the checker will recompute: exp-table exponents, position orders, and brute force's fallback.
 */
import type { Model } from '../model/model.js';

/** Entry (r, c) is num[r·cols + c] · 2^-shift (shift may be any integer). */
export interface DyadicMatrix {
  rows: number;
  cols: number;
  shift: number;
  num: bigint[];
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** A finite double as an exact ±mant·2^exp with mant odd (or 0). */
export function doubleToDyadic(x: number): { mant: bigint; exp: number } {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  if (x === 0) return { mant: 0n, exp: 0 };
  f64[0] = x;
  const bits = u64[0];
  const neg = bits >> 63n === 1n;
  const e = Number((bits >> 52n) & 0x7ffn);
  const f = bits & 0xfffffffffffffn;
  let mant = e === 0 ? f : f | (1n << 52n);
  let exp = e === 0 ? -1074 : e - 1075;
  while ((mant & 1n) === 0n) {
    mant >>= 1n;
    exp += 1;
  }
  return { mant: neg ? -mant : mant, exp };
}

/** Exact matrix from floats (float32 values widen exactly to double). */
export function fromFloats(data: ArrayLike<number>, rows: number, cols: number): DyadicMatrix {
  const parts = Array.from({ length: rows * cols }, (_, i) => doubleToDyadic(data[i]));
  let shift = 0;
  for (const p of parts) if (p.mant !== 0n && -p.exp > shift) shift = -p.exp;
  const num = parts.map((p) => (p.mant === 0n ? 0n : p.mant << BigInt(p.exp + shift)));
  return { rows, cols, shift, num };
}

export function rescale(A: DyadicMatrix, shift: number): DyadicMatrix {
  if (shift < A.shift) throw new RangeError('rescale would lose bits');
  const s = BigInt(shift - A.shift);
  return { rows: A.rows, cols: A.cols, shift, num: s === 0n ? A.num : A.num.map((x) => x << s) };
}

export function multiply(A: DyadicMatrix, B: DyadicMatrix): DyadicMatrix {
  if (A.cols !== B.rows) throw new RangeError('multiply: shape mismatch');
  const out = new Array<bigint>(A.rows * B.cols).fill(0n);
  for (let r = 0; r < A.rows; r++) {
    const o = r * B.cols;
    for (let j = 0; j < A.cols; j++) {
      const a = A.num[r * A.cols + j];
      if (a === 0n) continue;
      const b = j * B.cols;
      for (let c = 0; c < B.cols; c++) out[o + c] += a * B.num[b + c];
    }
  }
  return { rows: A.rows, cols: B.cols, shift: A.shift + B.shift, num: out };
}

export function transposeD(A: DyadicMatrix): DyadicMatrix {
  const num = new Array<bigint>(A.rows * A.cols);
  for (let r = 0; r < A.rows; r++) for (let c = 0; c < A.cols; c++) num[c * A.rows + r] = A.num[r * A.cols + c];
  return { rows: A.cols, cols: A.rows, shift: A.shift, num };
}

export function entry(A: DyadicMatrix, r: number, c: number): bigint {
  return A.num[r * A.cols + c];
}

/** Nearest double to an entry (for cross-checks against the float tables). */
export function toDouble(A: DyadicMatrix, i: number): number {
  const n = A.num[i];
  if (n === 0n) return 0;
  // Keep ~60 significant bits before converting, so huge numerators do not overflow Number().
  const bits = (n < 0n ? -n : n).toString(2).length;
  const drop = Math.max(0, bits - 60);
  return Number(n >> BigInt(drop)) * 2 ** (drop - A.shift);
}

export interface ExactQK {
  /** V×V: ((E + P[K−1]) W_Q + 1 b_Q) W_Kᵀ Eᵀ. */
  EQKE: DyadicMatrix;
  /** V×K: ((E + P[K−1]) W_Q + 1 b_Q) W_Kᵀ Pᵀ. */
  EQKP: DyadicMatrix;
}

export interface ExactOV {
  /** V×V: (E + P[K−1]) W_U + 1 c, c = (b_V W_O + b_O) W_U + b_U. */
  EU: DyadicMatrix;
  /** V×V: E W_V W_O W_U. */
  EVOU: DyadicMatrix;
  /** K×V: P W_V W_O W_U. */
  PVOU: DyadicMatrix;
}

/** A + sign·B (same shape), over the larger of the two shifts. */
function lin(A: DyadicMatrix, B: DyadicMatrix, sign: bigint): DyadicMatrix {
  const shift = Math.max(A.shift, B.shift);
  const b = rescale(B, shift).num;
  return { ...A, shift, num: rescale(A, shift).num.map((x, i) => x + sign * b[i]) };
}

/** A with the 1×cols row vector `row` added to each of its rows. */
function addRowD(A: DyadicMatrix, row: DyadicMatrix): DyadicMatrix {
  return lin(A, { ...row, rows: A.rows, num: Array.from({ length: A.rows * A.cols }, (_, i) => row.num[i % A.cols]) }, 1n);
}

function weights(model: Model) {
  const { vocab: V, dModel: d, dHead: h, k: K } = model.config;
  const E = fromFloats(model.WE, V, d);
  const P = fromFloats(model.Wpos, K, d);
  const shift = Math.max(E.shift, P.shift);
  const Es = rescale(E, shift);
  const Ps = rescale(P, shift);
  const Eq: DyadicMatrix = { rows: V, cols: d, shift, num: Es.num.map((x, i) => x + Ps.num[(K - 1) * d + (i % d)]) };
  return {
    E, P, Eq,
    WQ: fromFloats(model.WQ, d, h), WK: fromFloats(model.WK, d, h), WV: fromFloats(model.WV, d, h),
    WO: fromFloats(model.WO, h, d), WU: fromFloats(model.WU, d, V),
  };
}

/** The exact logit bias row c = (b_V W_O + b_O) W_U + b_U (1×V); null for a model without biases. */
function exactLogitBias(model: Model): DyadicMatrix | null {
  const b = model.biases;
  if (!b) return null;
  const { vocab: V, dModel: d, dHead: h } = model.config;
  const resid = lin(multiply(fromFloats(b.bV, 1, h), fromFloats(model.WO, h, d)), fromFloats(b.bO, 1, d), 1n);
  return lin(multiply(resid, fromFloats(model.WU, d, V)), fromFloats(b.bU, 1, V), 1n);
}

/** The exact query rows E_q W_Q + 1 b_Q (V×d_head). */
function exactQueryRows(model: Model, Eq: DyadicMatrix, WQ: DyadicMatrix): DyadicMatrix {
  const EqQ = multiply(Eq, WQ);
  return model.biases ? addRowD(EqQ, fromFloats(model.biases.bQ, 1, model.config.dHead)) : EqQ;
}

/** The exact query-key path matrices. */
export function exactQK(model: Model): ExactQK {
  const w = weights(model);
  const QK = multiply(exactQueryRows(model, w.Eq, w.WQ), transposeD(w.WK));
  return { EQKE: multiply(QK, transposeD(w.E)), EQKP: multiply(QK, transposeD(w.P)) };
}

/** The exact output-value path matrices. */
export function exactOV(model: Model): ExactOV {
  const w = weights(model);
  const VOU = multiply(w.WV, multiply(w.WO, w.WU));
  const EU = multiply(w.Eq, w.WU);
  const c = exactLogitBias(model);
  return { EU: c ? addRowD(EU, c) : EU, EVOU: multiply(w.E, VOU), PVOU: multiply(w.P, VOU) };
}
