/**
 * The strata of the stratified accuracy estimate (stratified.ts), and the per-chunk evaluation the workers run.
 *
 * The V^K sequences split into classes by (m, q, c, k): m = max(t); q = t_{K−1}, the query; c = how many of the K − 1
 * other positions hold a token below m; k = the largest of those tokens (none when c = 0). The keys that occur are
 * q ≤ m; c ≤ K − 1 when q = m, else c ≤ K − 2 (some non-query position holds m, the query does not); k < m. A class's
 * size depends on (c, k) alone: which c positions, times the token vectors over 0..k that contain k,
 *   N(c, k) = C(K−1, c)·((k+1)^c − k^c)  for c ≥ 1,   and 1 for c = 0.
 * The sizes sum to V^K: Σ_{k<m} ((k+1)^c − k^c) telescopes to m^c, and Σ_c C(K−1, c)·m^c = (m+1)^(K−1), all
 * sequences with query m and non-query tokens ≤ m; with q < m the c = K − 1 term, m^(K−1) sequences without any m
 * among the non-query positions, is left out. Summed over q ≤ m and m, that is Σ_m ((m+1)^K − m^K) = V^K.
 *
 * Within a class every member is drawn with the same probability (sampleStratum), so the class's sample proportion is
 * an unbiased estimate of its accuracy. (The reference's sampler put the largest non-max token at one position and drew
 * the others uniformly from 0..k, which favours members with several copies of k.) Classes no larger than the samples
 * per class are enumerated instead, and counted exactly.
 *
 * Work is split into chunks by (m, q), chunk m(m+1)/2 + q, each with its own seeded stream, so that a result depends
 * on the seed alone, not on the thread count.
 */
import { isCorrect, logitsFromTables, type PathTables } from '../model/paths.js';
import { deriveSeed, Rng } from '../train/rng.js';

/** The stratified job: `perStratum` samples per class (classes up to that size are enumerated). */
export interface StratifiedJob {
  kind: 'stratified';
  seed: string;
  perStratum: number;
}

/**
 * What one chunk (or the sum over chunks) yields, by index: the correct count and the size of the enumerated classes;
 * Σ N_h·x_h/n_h and Σ N_h²·v_h/n_h over the sampled classes (x_h correct of n_h, v_h their variance estimate, see
 * stratified.ts); the model evaluations; the numbers of sampled and of enumerated classes.
 */
export const Tally = { exactCorrect: 0, exactSequences: 1, weightedCorrect: 2, weightedVariance: 3, evaluations: 4, sampledStrata: 5, exactStrata: 6 } as const;
const TALLY_LENGTH = 7;

/** C(n, r) as a BigInt. */
function binomial(n: number, r: number): bigint {
  let out = 1n;
  for (let i = 0; i < r; i++) out = (out * BigInt(n - i)) / BigInt(i + 1);
  return out;
}

/**
 * Exact class sizes N(c, k), for c in 0..K−1 and k in 0..V−2, at [c·(V−1) + k]; N(0, k) = 1 (c = 0 has no k and is
 * stored at k = 0 only).
 */
export function stratumSizes(K: number, V: number): bigint[] {
  const sizes = new Array<bigint>(K * (V - 1)).fill(0n);
  sizes[0] = 1n;
  for (let c = 1; c < K; c++) {
    const ways = binomial(K - 1, c);
    for (let k = 0; k < V - 1; k++) sizes[c * (V - 1) + k] = ways * (BigInt(k + 1) ** BigInt(c) - BigInt(k) ** BigInt(c));
  }
  return sizes;
}

/** Calls fn(c, k) for every class of chunk (m, q), c ascending then k ascending; k = −1 for c = 0. */
export function forEachStratum(K: number, m: number, q: number, fn: (c: number, k: number) => void): void {
  const cMax = q === m ? K - 1 : K - 2;
  if (cMax >= 0) fn(0, -1);
  for (let c = 1; c <= cMax; c++) for (let k = 0; k < m; k++) fn(c, k);
}

/** The (m, q) of chunk index `chunk` = m(m+1)/2 + q. */
export function chunkKey(chunk: number): { m: number; q: number } {
  let m = Math.floor((Math.sqrt(8 * chunk + 1) - 1) / 2);
  while ((m * (m + 1)) / 2 > chunk) m--;
  while (((m + 1) * (m + 2)) / 2 <= chunk) m++;
  return { m, q: chunk - (m * (m + 1)) / 2 };
}

export function stratifiedChunkCount(V: number): number {
  return (V * (V + 1)) / 2;
}

/** Model evaluations in chunk `chunk`: each class's size or perStratum, whichever is smaller. */
export function stratifiedChunkSize(K: number, V: number, job: StratifiedJob, chunk: number, sizes: readonly number[]): number {
  const { m, q } = chunkKey(chunk);
  let n = 0;
  forEachStratum(K, m, q, (c, k) => {
    n += Math.min(job.perStratum, c === 0 ? 1 : sizes[c * (V - 1) + k]);
  });
  return n;
}

/**
 * Fills `tokens` with a uniformly random member of class (m, q, c, k): a uniform c-subset of the K − 1 non-query
 * positions gets the non-max tokens, the rest m. The non-max tokens are drawn one by one from their exact conditional
 * law given that at least one equals k: while none has, the next is k with probability (k+1)^(r−1) / ((k+1)^r − k^r)
 * (r = tokens left, this one included), else uniform below k; once one has, the rest are uniform in 0..k.
 */
export function sampleStratum(rng: Rng, K: number, key: { m: number; q: number; c: number; k: number }, tokens: Int32Array, slots: Int32Array): void {
  const { m, q, c, k } = key;
  tokens.fill(m);
  tokens[K - 1] = q;
  for (let p = 0; p < K - 1; p++) slots[p] = p;
  let need = true;
  for (let i = 0; i < c; i++) {
    const j = i + rng.uniformInt(K - 1 - i);
    const slot = slots[j];
    slots[j] = slots[i];
    slots[i] = slot;
    const r = c - i;
    if (need && rng.uniform() < (k + 1) ** (r - 1) / ((k + 1) ** r - k ** r)) {
      tokens[slot] = k;
      need = false;
    } else {
      tokens[slot] = need ? rng.uniformInt(k) : rng.uniformInt(k + 1);
    }
  }
}

/** Calls fn() once for every member of class (m, q, c, k), written into `tokens` (for small classes only). */
export function enumerateStratum(K: number, key: { m: number; q: number; c: number; k: number }, tokens: Int32Array, fn: () => void): void {
  const { m, q, c, k } = key;
  const slots = Array.from({ length: c }, (_, i) => i);
  const values = new Int32Array(c);
  for (;;) {
    // Every vector in 0..k of length c that contains k, placed on the positions in `slots`.
    values.fill(0);
    for (;;) {
      if (values.includes(k) || c === 0) {
        tokens.fill(m);
        tokens[K - 1] = q;
        for (let i = 0; i < c; i++) tokens[slots[i]] = values[i];
        fn();
      }
      let i = c - 1;
      while (i >= 0 && values[i] === k) values[i--] = 0;
      if (i < 0) break;
      values[i]++;
    }
    // The next c-subset of 0..K−2 in lexicographic order.
    let i = c - 1;
    while (i >= 0 && slots[i] === K - 1 - c + i) i--;
    if (i < 0) return;
    slots[i]++;
    for (let j = i + 1; j < c; j++) slots[j] = slots[j - 1] + 1;
  }
}

/** Returns a function that evaluates one chunk of the stratified job and returns its tally (see Tally). */
export function stratifiedCounter(T: PathTables, job: StratifiedJob): (chunk: number) => number[] {
  const { k: K, vocab: V } = T;
  const sizes = stratumSizes(K, V).map(Number);
  const seed = BigInt(job.seed);
  const tokens = new Int32Array(K);
  const slots = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  const correct = (label: number): boolean => {
    logitsFromTables(T, tokens, 0, logits, scratch);
    return isCorrect(logits, label);
  };
  return (chunk) => {
    const { m, q } = chunkKey(chunk);
    const rng = new Rng(deriveSeed(seed, `eval-stratified/${chunk}`));
    const tally = new Array<number>(TALLY_LENGTH).fill(0);
    forEachStratum(K, m, q, (c, k) => {
      const size = c === 0 ? 1 : sizes[c * (V - 1) + k];
      const key = { m, q, c, k };
      let x = 0;
      if (size <= job.perStratum) {
        enumerateStratum(K, key, tokens, () => {
          if (correct(m)) x++;
        });
        tally[Tally.exactCorrect] += x;
        tally[Tally.exactSequences] += size;
        tally[Tally.evaluations] += size;
        tally[Tally.exactStrata]++;
        return;
      }
      const n = job.perStratum;
      for (let i = 0; i < n; i++) {
        sampleStratum(rng, K, key, tokens, slots);
        if (correct(m)) x++;
      }
      tally[Tally.weightedCorrect] += (size * x) / n;
      tally[Tally.weightedVariance] += (size * size * stratumVariance(x, n)) / n;
      tally[Tally.evaluations] += n;
      tally[Tally.sampledStrata]++;
    });
    return tally;
  };
}

/** The unbiased estimate of the variance of one sampled class's correctness indicator, s² = n/(n−1)·p̂(1 − p̂). */
function stratumVariance(x: number, n: number): number {
  const p = x / n;
  return (p * (1 - p) * n) / (n - 1);
}
