/**
 * The kernel contract (docs/architecture.md §5): one name per kernel with its typed input and output. Every backend implements
 * these signatures; the CPU backend is the reference and the conformance suite (test/backend/conformance.test.ts)
 * holds the others to it. Results from any backend other than the CPU one are hints: nothing here is trusted by the
 * checker.
 */
import type { PathTables } from '../model/paths.js';
import type { KernelInput } from '../prove/brute-force-kernel.js';
import type { CubicWeights } from '../prove/cubic-bounds.js';
import type { Dims } from '../train/forward-backward.js';

/**
 * A half-open range [start, end) of sequence indices. Sequence n is the K-digit base-V numeral of n, position 0 the
 * most significant digit (odometer order, last position fastest), so the full input set is [0, V^K).
 */
export interface SequenceRange {
  start: number;
  end: number;
}

export interface CountCorrectExhaustiveInput {
  tables: PathTables;
  /** Defaults to every sequence, [0, V^K). */
  range?: SequenceRange;
}

export interface CountCorrectExhaustiveOutput {
  /**
   * Sequences in the range on which the model is correct (the logit of max(t) strictly above every other), decided in
   * float64: on the CPU directly; on a float32 backend, every sequence whose float32 margin lies within `tolerance` of
   * zero is re-decided in float64 on the CPU, so the count matches the CPU's unless float32 error exceeds `tolerance`.
   */
  correct: number;
  total: number;
  /** The backend's own count before any float64 recheck (equal to `correct` on the CPU). */
  rawCorrect: number;
  /** Sequences re-decided in float64 on the CPU because the backend's margin was within `tolerance` of zero. */
  rechecked: number;
  /** The near-tie band |margin| ≤ tolerance used for rechecking (0 on the CPU). */
  tolerance: number;
}

export interface SequenceMarginsInput {
  tables: PathTables;
  /** At most 2^24 sequences: one margin each is returned. */
  range: SequenceRange;
}

export interface SequenceMarginsOutput {
  /**
   * For each sequence of the range in order: logit[max(t)] − max over other x of logit[x], in the backend's own
   * arithmetic (float64 on the CPU, float32 on WebGPU). The sequence is correct iff its margin is > 0.
   */
  margins: Float64Array;
}

export interface TrainStepGradientInput {
  dims: Dims;
  /** Flat parameters in src/train/forward-backward.ts's layout (paramLayout). */
  params: Float64Array;
  /** `batch` sequences of K tokens, sequence-major. */
  tokens: ArrayLike<number>;
  batch: number;
}

export interface TrainStepGradientOutput {
  /** Mean cross-entropy loss over the batch (log_softmax with the log1p form of MaxOfKNet). */
  loss: number;
  /** Sequences whose first argmax logit is the label. */
  correct: number;
  /** d(mean loss)/d(params), same layout as `params`. */
  grad: Float64Array;
}

export interface CubicCaseBoundsInput {
  tables: PathTables;
  /** The exp tables' float enclosures and the per-query position order (src/prove/cubic-bounds.ts). */
  weights: CubicWeights;
  /** The max tokens m to compute, [start, end) inside [0, V). */
  mRange: { start: number; end: number };
  /**
   * The joint-x bound (V times the work of the decoupled one) is computed only where the decoupled bound is at least
   * this; elsewhere the decoupled bound, an upper bound on it, stands in. Default −∞: every joint bound.
   */
  jointAbove?: number;
}

export interface CubicCaseBoundsOutput {
  /**
   * The cubic proof's case table for m in mRange: for every q ≤ m, 1 ≤ c ≤ (q = m ? K−1 : K−2) and k < m, entry
   * e = (((m − start)·V + q)·(K−1) + c − 1)·V + k holds the decoupled bound at 2e and the joint-x bound (see
   * jointAbove) at 2e + 1 (src/prove/cubic-bounds.ts); every other entry is unspecified. float64 on the CPU, float32
   * on WebGPU.
   */
  bounds: Float64Array | Float32Array;
}

/** Entries (pairs of bounds) of a cubicCaseBounds table over `mCount` max tokens. */
export function cubicTableEntries(K: number, V: number, mCount: number): number {
  return mCount * V * (K - 1) * V;
}

/** Throws unless [start, end) is a non-empty range of max tokens inside [0, V). */
export function checkMRange(V: number, r: { start: number; end: number }): void {
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end <= r.start || r.end > V) {
    throw new RangeError(`max-token range [${r.start}, ${r.end}) is not a non-empty range inside [0, ${V})`);
  }
}

export interface BruteForceScanInput {
  /** The brute-force prover's float-pass input (src/prove/brute-force-kernel.ts): path tables, exp-table ends, τ, Cmax. */
  input: KernelInput;
  /** The query tokens (last positions) whose V^(K−1) sequences each are scanned, [start, end) inside [0, V). */
  queries: { start: number; end: number };
  /** Logit units: sequences whose deciding value lies within `band` of the undecided interval are listed. */
  band: number;
}

export interface BruteForceScanOutput {
  /**
   * Sequences not listed in `near` that the backend classifies as certainly counted by the checker: deciding value
   * g = max_x s_x / Z below −tol/Z − band (src/prove/brute-force-kernel.ts). Every other unlisted sequence is
   * classified as certainly not counted.
   */
  certain: number;
  /** Sequences the backend's own float evaluation calls correct (g < 0), listed or not. */
  floatCorrect: number;
  /**
   * Ascending indices (Σ t_p·V^(K−1−p)) of the sequences whose g lies in [−tol/Z − band, tol/Z + band] (or is not a
   * number): the ones the caller must re-decide. float64 on the CPU, float32 on WebGPU.
   */
  near: Uint32Array;
  /** g of each listed sequence, in the backend's arithmetic. */
  nearValue: Float64Array;
}

/** Kernel name → signature. Adding a kernel here makes every backend's `register` fail to typecheck until it is listed. */
export interface Kernels {
  countCorrectExhaustive: { input: CountCorrectExhaustiveInput; output: CountCorrectExhaustiveOutput };
  sequenceMargins: { input: SequenceMarginsInput; output: SequenceMarginsOutput };
  /** The training step's forward and backward pass (the optimizer update stays on the host). */
  trainStepGradient: { input: TrainStepGradientInput; output: TrainStepGradientOutput };
  /** The cubic proof's per-case float bounds (hints: the prover rechecks near-threshold ones in float64). */
  cubicCaseBounds: { input: CubicCaseBoundsInput; output: CubicCaseBoundsOutput };
  /** The brute-force prover's float pass (hints: the prover re-decides every listed sequence in float64). */
  bruteForceScan: { input: BruteForceScanInput; output: BruteForceScanOutput };
}

export type KernelName = keyof Kernels;

export const KERNEL_NAMES: readonly KernelName[] = ['countCorrectExhaustive', 'sequenceMargins', 'trainStepGradient', 'cubicCaseBounds', 'bruteForceScan'];

export const MAX_MARGIN_SEQUENCES = 1 << 24;

/** The full input set [0, V^K), or `range` after checking it lies inside it. */
export function resolveRange(tables: PathTables, range: SequenceRange | undefined): SequenceRange {
  const total = tables.vocab ** tables.k;
  if (!Number.isSafeInteger(total)) throw new RangeError(`V^K = ${tables.vocab}^${tables.k} sequences is too many to enumerate`);
  const r = range ?? { start: 0, end: total };
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end < r.start || r.end > total) {
    throw new RangeError(`sequence range [${r.start}, ${r.end}) is not inside [0, ${total})`);
  }
  return { start: r.start, end: r.end };
}

/** Writes the tokens of sequence `n` (odometer order) into `tokens` (length K). */
export function decodeSequence(n: number, vocab: number, k: number, tokens: Int32Array): void {
  let rest = n;
  for (let p = k - 1; p >= 0; p--) {
    tokens[p] = rest % vocab;
    rest = Math.floor(rest / vocab);
  }
}
