/**
 * The stratified estimate of a model's float accuracy, for spaces too large to enumerate (the reference's importance
 * sampling for K ≥ 5): the V^K sequences split into classes by max, query, number of non-max tokens and largest
 * non-max token (strata.ts); each class is enumerated when it has at most `perStratum` members, else `perStratum`
 * members are drawn uniformly from it (with replacement). With N the number of sequences, N_h the exact size of class
 * h and x_h of its n_h samples correct, the estimate of the accuracy is
 *   Â = (exact count over the enumerated classes + Σ_h N_h·x_h/n_h) / N,
 * unbiased, and its variance, by the formula for stratified sampling with replacement,
 *   Var(Â) = Σ_h (N_h/N)²·p_h(1 − p_h)/n_h,
 * is estimated with each class's unbiased sample variance s_h² = n_h/(n_h − 1)·p̂_h(1 − p̂_h), p̂_h = x_h/n_h. The
 * interval is the normal one, Â ± z·sqrt(Var), clipped to [0, 1]: approximate, and short where errors are so rare that
 * most classes which have some show none in their samples (on a trained K = 5, V = 64 model, the 95% interval held
 * the exhaustive count for 22 seeds of 24; its standard error was 0.87 of the spread seen over the seeds). It is an
 * estimate, never a count or a proof, and is labelled as such wherever it is printed.
 *
 * Every sample is evaluated by the reference float evaluation (logitsFromTables: a softmax over the positions with one
 * shift for all of them), so the positional attention terms are kept.
 */
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { defaultThreads, type EvalProgressOptions } from './exhaustive.js';
import { zFor, type Interval } from './interval.js';
import { runJob } from './pool.js';
import { DEFAULT_CONFIDENCE } from './sampled.js';
import { Tally } from './strata.js';

export interface StratifiedResult {
  /** The point estimate Â of the accuracy over all V^K sequences. */
  estimate: number;
  /** sqrt of the estimated variance of Â. */
  standardError: number;
  interval: Interval;
  /** Samples (or members, for enumerated classes) per class. */
  perStratum: number;
  /** Model evaluations in all: the samples plus the members of the enumerated classes. */
  evaluations: number;
  /** Classes sampled, and classes enumerated (counted exactly). */
  sampledStrata: number;
  exactStrata: number;
  /** Sequences in the enumerated classes, and how many of them the model gets right. */
  exactSequences: number;
  exactCorrect: number;
  seed: bigint;
  /** Threads used, the calling one included. */
  threads: number;
}

/**
 * Samples per class by default, the reference's 30, 10 and 5 for K = 5, 10 and 20: K ≤ 5 gets 30, K ≤ 10 gets 10,
 * longer sequences 5 (their classes are more numerous).
 */
export function defaultPerStratum(k: number): number {
  if (k <= 5) return 30;
  return k <= 10 ? 10 : 5;
}

/**
 * A model evaluation in a sample costs about as much as 20 sequences of an exhaustive run (see sampled.ts); used to
 * choose the default thread count.
 */
const EVALUATION_COST = 20;

export async function evaluateStratified(
  model: Model,
  opts: EvalProgressOptions & { seed: bigint; perStratum?: number; confidence?: number },
): Promise<StratifiedResult> {
  const { k, vocab } = model.config;
  const { seed, perStratum = defaultPerStratum(k), confidence = DEFAULT_CONFIDENCE } = opts;
  if (!Number.isSafeInteger(perStratum) || perStratum < 2) throw new RangeError(`perStratum must be an integer ≥ 2 (got ${perStratum})`);
  const job = { kind: 'stratified', seed: seed.toString(), perStratum } as const;
  // About (K−1)·V³/3 classes with non-max tokens, plus one per (max, query) pair without; enough to pick the threads.
  const classes = ((k - 1) * vocab ** 3) / 3 + vocab ** 2;
  const threads = opts.threads ?? defaultThreads(classes * perStratum * EVALUATION_COST);
  const t = await runJob(pathTables(model), job, threads, opts.onProgress);
  const total = Number(BigInt(vocab) ** BigInt(k));
  const estimate = (t[Tally.exactCorrect] + t[Tally.weightedCorrect]) / total;
  const standardError = Math.sqrt(t[Tally.weightedVariance]) / total;
  const half = zFor(confidence) * standardError;
  return {
    estimate,
    standardError,
    interval: { lower: Math.max(0, estimate - half), upper: Math.min(1, estimate + half), confidence, kind: 'normal, stratified variance' },
    perStratum,
    evaluations: t[Tally.evaluations],
    sampledStrata: t[Tally.sampledStrata],
    exactStrata: t[Tally.exactStrata],
    exactSequences: t[Tally.exactSequences],
    exactCorrect: t[Tally.exactCorrect],
    seed,
    threads,
  };
}
