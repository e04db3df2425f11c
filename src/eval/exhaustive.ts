/**
 * Exhaustive float accuracy of a model: every one of the V^K sequences once, on every core. The verdict on each
 * sequence is the reference float evaluation's (`logitsFromTables` + `isCorrect`, src/model/paths.ts): the label is
 * max(t), and a sequence is correct iff the label's logit at the last position is strictly above every other logit.
 * See kernel.ts for how most sequences are decided without computing their logits.
 */
import { availableParallelism } from 'node:os';
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { exhaustivePlan, exhaustiveWork } from './kernel.js';
import { runJob } from './pool.js';

export interface EvalProgressOptions {
  /** Threads to use, the calling thread included (default: defaultThreads(work)); 1 starts no worker. */
  threads?: number;
  /** Called after each chunk with the sequences finished so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ExhaustiveResult {
  correct: number;
  total: number;
  accuracy: number;
}

/**
 * Largest V^K evaluated exhaustively: K = 5, V = 64 (2^30) and anything up to 2^31, minutes on a few cores; larger
 * spaces get an estimate (stratified.ts, sampled.ts).
 */
export const MAX_EXHAUSTIVE_SEQUENCES = 2 ** 31;
/**
 * Largest exhaustiveWork evaluated exhaustively by default: about a minute on one core. It only binds for small K
 * and large V (K = 2 with V > 2048, K = 3 with V > 275), where each sequence, or each query's tables, costs O(V).
 */
const MAX_EXHAUSTIVE_WORK = 2 ** 34;

/** Why V^K sequences are too many to evaluate exhaustively, or null when they are not. */
export function tooLargeForExhaustive(k: number, vocab: number): string | null {
  const sequences = BigInt(vocab) ** BigInt(k);
  if (sequences > BigInt(MAX_EXHAUSTIVE_SEQUENCES)) return `V^K = ${vocab}^${k} = ${sequences} sequences exceeds the exhaustive limit of 2^${Math.log2(MAX_EXHAUSTIVE_SEQUENCES)}`;
  const work = exhaustiveWork(k, vocab);
  if (work > MAX_EXHAUSTIVE_WORK) return `exhaustive evaluation would take about ${work.toPrecision(2)} operations, over 2^${Math.log2(MAX_EXHAUSTIVE_WORK)}`;
  return null;
}

/**
 * Below this much work (in exhaustive sequences) one thread is the default: a worker needs 0.2–0.4 s to load tsx and
 * the kernel before it helps, about as long as one thread needs for 2^22 sequences of a trained K=4, V=64 model.
 */
const MIN_WORK_FOR_WORKERS = 2 ** 22;

/** Every core (os.availableParallelism()) for large jobs, one thread for small ones; `work` is in sequences. */
export function defaultThreads(work: number): number {
  return work < MIN_WORK_FOR_WORKERS ? 1 : availableParallelism();
}

export async function evaluateExhaustive(model: Model, opts: EvalProgressOptions = {}): Promise<ExhaustiveResult> {
  const { k, vocab } = model.config;
  const total = vocab ** k;
  if (!Number.isSafeInteger(total)) throw new RangeError(`V^K = ${vocab}^${k} sequences is too many to enumerate`);
  const { prefixLength } = exhaustivePlan(k, vocab);
  const [correct] = await runJob(pathTables(model), { kind: 'exhaustive', prefixLength }, opts.threads ?? defaultThreads(total), opts.onProgress);
  return { correct, total, accuracy: correct / total };
}
