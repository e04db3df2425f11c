/**
 * The evaluator's per-chunk counting, shared by the main thread (one thread) and the workers (eval-worker.ts).
 *
 * Every sequence's verdict is the one of the reference float evaluation, `logitsFromTables` + `isCorrect`
 * (src/model/paths.ts): the count over a space equals the naive single-threaded count. To be fast, most sequences
 * are decided by one of two cheap sufficient tests, one that can only accept (the logit gap of a
 * weighted average is at least its worst term's, below) and one that can only reject; the rest go through the reference
 * evaluation itself. On the trained K=4, V=64 models about 99.3% of sequences are accepted cheaply, 0.6% go to the
 * reference; on random models about 98.6% are rejected cheaply.
 *
 * Cheap test, for query q = t_{K-1} and label m = max(t). Since Σ_p a_p = 1,
 *   logit_m − logit_x = Σ_p a_p [(R[t_p,p,m] − R[t_p,p,x]) + (EU[q,m] − EU[q,x])],  R[t,p,·] = EVOU[t] + PVOU[p],
 * so with L[q,m,t,p] ≤ min_{x≠m} of the bracket, every gap is ≥ Σ_p a_p L[q,m,t_p,p], and the sequence is correct
 * when Σ_p w_p L[q,m,t_p,p] > 0 for any positive multiple w of a. The softmax weights need no exp per sequence:
 * exp((EQKE[q,t] + EQKP[q,p])/s) = exp(EQKE[q,t]/s)·exp(EQKP[q,p]/s), and each factor is shifted by its row's maximum
 * (softmax is shift-invariant), so both lie in [0, 1].
 *
 * Cheap rejection, for models that are often wrong (untrained ones): one competitor x* per (q, m), the x whose
 * bracket summed over all (t, p) is smallest, and U[q,m,t,p] = the bracket for x*. If Σ_p w_p U[q,m,t_p,p] < 0,
 * then logit_x* > logit_m and the sequence is wrong.
 *
 * Agreement with the reference: L is lowered, and U raised, by a slack of 2^-30 times the magnitudes of the terms
 * of the bracket. Float64 rounding in either computation (errors of order K·2^-53 times those magnitudes, including
 * the reference's weights summing to 1 only up to rounding) and the few-ulp difference between the factored weights
 * and the reference's exp(score − max) are far below that slack, so a sequence either test decides gets the same
 * verdict from the reference. When the weights' sum is so small that underflow could matter (below 2^-900), both
 * tests are skipped.
 */
import { deriveSeed, Rng } from '../train/rng.js';
import { isCorrect, logitsFromTables, type PathTables } from '../model/paths.js';
import { stratifiedChunkCount, stratifiedChunkSize, stratifiedCounter, stratumSizes, type StratifiedJob } from './strata.js';

/**
 * What a worker (or the main thread) evaluates: chunks of the exhaustive space, of a uniform sample, or of the
 * stratified estimate's classes (strata.ts).
 */
export type EvalJob =
  | { kind: 'exhaustive'; prefixLength: number }
  | { kind: 'sampled'; seed: string; samples: number; chunkSize: number }
  | StratifiedJob;

/** Relative slack kept by the cheap tests (see the file comment). */
const SLACK = 2 ** -30;
/** Below this sum of softmax weights the factored weights may have lost precision to underflow. */
const MIN_WEIGHT_SUM = 2 ** -900;
/** Largest number of sequences in one exhaustive chunk: small enough for even progress and load balance. */
const MAX_CHUNK_SEQUENCES = 2 ** 20;
/** The cheap tests' per-query tables cost about V³·K operations, which pays off only from K = 3 on. */
const MIN_K_FOR_CHEAP_TESTS = 3;

/**
 * Exhaustive chunks: chunk c fixes the query q (the last token) and the first `prefixLength` tokens; the remaining
 * K − 1 − prefixLength tokens run over all values. Chunks are numbered query-major, so consecutive chunks mostly
 * share a query and its tables.
 */
export function exhaustivePlan(k: number, vocab: number): { prefixLength: number; chunks: number; chunkSize: number } {
  let prefixLength = 0;
  while (prefixLength < k - 1 && vocab ** (k - 1 - prefixLength) > MAX_CHUNK_SEQUENCES) prefixLength++;
  return { prefixLength, chunks: vocab ** (prefixLength + 1), chunkSize: vocab ** (k - 1 - prefixLength) };
}

/**
 * Rough operation count of an exhaustive run: with the cheap tests, a few per sequence plus about V³·K per query for
 * the tables; without them (K < 3), the reference evaluation's V·K per sequence.
 */
export function exhaustiveWork(k: number, vocab: number): number {
  return k >= MIN_K_FOR_CHEAP_TESTS ? vocab ** k + vocab ** 4 * k : vocab ** (k + 1) * k;
}

/** The size of every chunk of `job`, in sequences (or model evaluations), by chunk index. */
export function chunkSizes(T: PathTables, job: EvalJob): number[] {
  if (job.kind === 'exhaustive') return new Array<number>(T.vocab ** (job.prefixLength + 1)).fill(T.vocab ** (T.k - 1 - job.prefixLength));
  if (job.kind === 'sampled') {
    return Array.from({ length: Math.ceil(job.samples / job.chunkSize) }, (_, c) => Math.min(job.chunkSize, job.samples - c * job.chunkSize));
  }
  const sizes = stratumSizes(T.k, T.vocab).map(Number);
  return Array.from({ length: stratifiedChunkCount(T.vocab) }, (_, c) => stratifiedChunkSize(T.k, T.vocab, job, c, sizes));
}

/**
 * Returns a function that evaluates one chunk of `job`: [correct] for the exhaustive and sampled jobs, the tally of
 * strata.ts for the stratified one. Chunk results are summed entry by entry.
 */
export function chunkCounter(T: PathTables, job: EvalJob): (chunk: number) => number[] {
  if (job.kind === 'exhaustive') {
    const kernel = new ExhaustiveKernel(T, job.prefixLength);
    return (chunk) => [kernel.countChunk(chunk)];
  }
  if (job.kind === 'stratified') return stratifiedCounter(T, job);
  const seed = BigInt(job.seed);
  const tokens = new Int32Array(T.k);
  const logits = new Float64Array(T.vocab);
  const scratch = new Float64Array(T.k);
  return (chunk) => {
    // Each chunk has its own stream, so the estimate depends on the seed alone, not on the thread count.
    const rng = new Rng(deriveSeed(seed, `eval-sample/${chunk}`));
    const n = Math.min(job.chunkSize, job.samples - chunk * job.chunkSize);
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let label = 0;
      for (let p = 0; p < T.k; p++) {
        const t = rng.uniformInt(T.vocab);
        tokens[p] = t;
        if (t > label) label = t;
      }
      logitsFromTables(T, tokens, 0, logits, scratch);
      if (isCorrect(logits, label)) correct++;
    }
    return [correct];
  };
}

class ExhaustiveKernel {
  private readonly T: PathTables;
  private readonly prefixLength: number;
  private readonly useCheapTests: boolean;
  /** R[(t·K + p)·V + x] = EVOU[t, x] + PVOU[p, x]. */
  private readonly R: Float64Array;
  /** Query whose tables below are loaded (−1: none). */
  private query = -1;
  /** exp((EQKE[q, t] − max_t EQKE[q, ·]) / s), per key token t. */
  private readonly tokenWeight: Float64Array;
  /** exp((EQKP[q, p] − max_p EQKP[q, ·]) / s), per position p. */
  private readonly positionWeight: Float64Array;
  /** L[((m·V) + t)·K + p] for the loaded query, filled for m ≥ q and t ≤ m (the only combinations that occur). */
  private readonly lower: Float64Array;
  /** U[((m·V) + t)·K + p] for the loaded query, same layout as L. */
  private readonly upper: Float64Array;
  /** Per-label scratch for choosing x*: the bracket summed over (t, p), per competitor x. */
  private readonly gapSum: Float64Array;
  private readonly tokens: Int32Array;
  private readonly logits: Float64Array;
  private readonly scratch: Float64Array;

  constructor(T: PathTables, prefixLength: number) {
    const { k: K, vocab: V } = T;
    this.T = T;
    this.prefixLength = prefixLength;
    this.useCheapTests = K >= MIN_K_FOR_CHEAP_TESTS;
    this.tokenWeight = new Float64Array(V);
    this.positionWeight = new Float64Array(K);
    this.tokens = new Int32Array(K);
    this.logits = new Float64Array(V);
    this.scratch = new Float64Array(K);
    this.R = new Float64Array(this.useCheapTests ? V * K * V : 0);
    this.lower = new Float64Array(this.useCheapTests ? V * V * K : 0);
    this.upper = new Float64Array(this.useCheapTests ? V * V * K : 0);
    this.gapSum = new Float64Array(this.useCheapTests ? V : 0);
    for (let t = 0; this.useCheapTests && t < V; t++) {
      for (let p = 0; p < K; p++) {
        for (let x = 0; x < V; x++) this.R[(t * K + p) * V + x] = T.EVOU[t * V + x] + T.PVOU[p * V + x];
      }
    }
  }

  countChunk(chunk: number): number {
    const { k: K, vocab: V } = this.T;
    const free = K - 1 - this.prefixLength;
    const perQuery = V ** this.prefixLength;
    const q = Math.floor(chunk / perQuery);
    const tok = this.tokens;
    tok[K - 1] = q;
    let rest = chunk - q * perQuery;
    for (let p = this.prefixLength - 1; p >= 0; p--) {
      tok[p] = rest % V;
      rest = Math.floor(rest / V);
    }
    for (let p = this.prefixLength; p < K - 1; p++) tok[p] = 0;
    const n = V ** free;
    if (!this.useCheapTests) {
      let correct = 0;
      for (let i = 0; i < n; i++) {
        if (this.reference(maxToken(tok, K))) correct++;
        advance(tok, K - 2, this.prefixLength, V);
      }
      return correct;
    }
    if (q !== this.query) this.loadQuery(q);
    const tw = this.tokenWeight;
    const pw = this.positionWeight;
    const L = this.lower;
    const U = this.upper;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const m = maxToken(tok, K);
      const rowM = m * V;
      let z = 0;
      let s = 0;
      for (let p = 0; p < K; p++) {
        const t = tok[p];
        const w = tw[t] * pw[p];
        z += w;
        s += w * L[(rowM + t) * K + p];
      }
      if (z >= MIN_WEIGHT_SUM && s > 0) {
        correct++;
      } else {
        let u = 0;
        for (let p = 0; p < K; p++) u += tw[tok[p]] * pw[p] * U[(rowM + tok[p]) * K + p];
        if (!(z >= MIN_WEIGHT_SUM && u < 0) && this.reference(m)) correct++;
      }
      advance(tok, K - 2, this.prefixLength, V);
    }
    return correct;
  }

  /** The reference verdict on the sequence in `tokens`, whose maximum is `label`. */
  private reference(label: number): boolean {
    logitsFromTables(this.T, this.tokens, 0, this.logits, this.scratch);
    return isCorrect(this.logits, label);
  }

  /** Fills the softmax factors and the cheap tests' tables L and U for query q. */
  private loadQuery(q: number): void {
    const { k: K, vocab: V, scale, EU, EQKE, EQKP } = this.T;
    let maxT = -Infinity;
    for (let t = 0; t < V; t++) maxT = Math.max(maxT, EQKE[q * V + t]);
    for (let t = 0; t < V; t++) this.tokenWeight[t] = Math.exp((EQKE[q * V + t] - maxT) * scale);
    let maxP = -Infinity;
    for (let p = 0; p < K; p++) maxP = Math.max(maxP, EQKP[q * K + p]);
    for (let p = 0; p < K; p++) this.positionWeight[p] = Math.exp((EQKP[q * K + p] - maxP) * scale);
    const R = this.R;
    const eu = q * V;
    const gapSum = this.gapSum;
    for (let m = q; m < V; m++) {
      const euM = EU[eu + m];
      gapSum.fill(0);
      for (let t = 0; t <= m; t++) {
        for (let p = 0; p < K; p++) {
          const base = (t * K + p) * V;
          const rM = R[base + m];
          let min = Infinity;
          let mag = 0;
          for (let x = 0; x < V; x++) {
            if (x === m) continue;
            const rX = R[base + x];
            const euX = EU[eu + x];
            const gap = rM - rX + (euM - euX);
            gapSum[x] += gap;
            if (gap < min) min = gap;
            const size = Math.abs(rM) + Math.abs(rX) + Math.abs(euM) + Math.abs(euX);
            if (size > mag) mag = size;
          }
          this.lower[(m * V + t) * K + p] = min - SLACK * mag;
        }
      }
      let rival = m === 0 ? 1 : 0;
      for (let x = 0; x < V; x++) if (x !== m && gapSum[x] < gapSum[rival]) rival = x;
      const euX = EU[eu + rival];
      for (let t = 0; t <= m; t++) {
        for (let p = 0; p < K; p++) {
          const base = (t * K + p) * V;
          const rM = R[base + m];
          const rX = R[base + rival];
          const size = Math.abs(rM) + Math.abs(rX) + Math.abs(euM) + Math.abs(euX);
          this.upper[(m * V + t) * K + p] = rM - rX + (euM - euX) + SLACK * size;
        }
      }
    }
    this.query = q;
  }
}

function maxToken(tok: Int32Array, K: number): number {
  let m = 0;
  for (let p = 0; p < K; p++) if (tok[p] > m) m = tok[p];
  return m;
}

/** Next sequence in odometer order over positions `from` down to `to` (position `from` fastest). */
function advance(tok: Int32Array, from: number, to: number, V: number): void {
  for (let p = from; p >= to; p--) {
    if (++tok[p] < V) return;
    tok[p] = 0;
  }
}
