/**
 * A sampled accuracy estimate, for spaces too large to enumerate: `samples` sequences drawn uniformly (each token
 * independently uniform in 0..V−1) from the project's seeded PRNG (src/train/rng.ts), with a Wilson score interval
 * (95% unless asked otherwise). It is an estimate, not a count over the space, and is always labelled as such.
 */
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { defaultThreads, type EvalProgressOptions } from './exhaustive.js';
import { zFor, type Interval } from './interval.js';
import { runJob } from './pool.js';

/** Samples per chunk; each chunk draws from its own seeded stream, so results do not depend on the thread count. */
const SAMPLE_CHUNK = 2 ** 16;
/**
 * A sample goes through the full reference evaluation, which costs about as much as 20 sequences of an exhaustive
 * run (measured on the trained K=4, V=64 model: 1.3 µs against 0.067 µs); used to choose the default thread count.
 */
const SAMPLE_COST = 20;
/** Two-sided 95% standard normal quantile. */
const Z95 = 1.959963984540054;
/** Confidence of the intervals unless asked otherwise. */
export const DEFAULT_CONFIDENCE = 0.95;

export interface SampledResult {
  /** Samples on which the model is correct. */
  correct: number;
  /** Samples drawn. */
  samples: number;
  /** correct / samples: the point estimate. */
  accuracy: number;
  /** Wilson score interval for the accuracy over all V^K sequences. */
  interval: Interval;
  seed: bigint;
}

export async function evaluateSampled(model: Model, opts: EvalProgressOptions & { samples: number; seed: bigint; confidence?: number }): Promise<SampledResult> {
  const { samples, seed, confidence = DEFAULT_CONFIDENCE } = opts;
  if (!Number.isSafeInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer (got ${samples})`);
  const job = { kind: 'sampled', seed: seed.toString(), samples, chunkSize: SAMPLE_CHUNK } as const;
  const [correct] = await runJob(pathTables(model), job, opts.threads ?? defaultSampledThreads(samples), opts.onProgress);
  const { lower, upper } = wilsonInterval(correct, samples, zFor(confidence));
  return { correct, samples, accuracy: correct / samples, interval: { lower, upper, confidence, kind: 'Wilson score' }, seed };
}

/** The default thread count for `samples` samples (see defaultThreads). */
export function defaultSampledThreads(samples: number): number {
  return defaultThreads(samples * SAMPLE_COST);
}

/** Wilson score interval at 95% for `successes` out of `n` Bernoulli trials (n ≥ 1). */
export function wilsonInterval(successes: number, n: number, z = Z95): { lower: number; upper: number } {
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  // At 0 or n successes the exact bound is 0 or 1; computed, it can land an ulp inside.
  return { lower: successes === 0 ? 0 : Math.max(0, center - half), upper: successes === n ? 1 : Math.min(1, center + half) };
}
