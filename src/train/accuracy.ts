/**
 * Exhaustive float accuracy of a model over all V^K sequences, single-threaded: each sequence counted once, correct
 * when the logit of max(t) is strictly above every other logit (isCorrect). `mechcert train` uses the multi-threaded
 * src/eval/exhaustive.ts; this plain loop is the simple reference that src/report imports.
 */
import type { Model } from '../model/model.js';
import { isCorrect, logitsFromTables, pathTables } from '../model/paths.js';

export interface AccuracyCount {
  correct: number;
  total: number;
  accuracy: number;
}

export function exhaustiveAccuracy(model: Model): AccuracyCount {
  const T = pathTables(model);
  const { k: K, vocab: V } = T;
  const total = V ** K;
  if (!Number.isSafeInteger(total)) throw new RangeError(`V^K = ${V}^${K} sequences is too many to enumerate`);
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let correct = 0;
  for (let n = 0; n < total; n++) {
    let label = 0;
    for (let p = 0; p < K; p++) if (tokens[p] > label) label = tokens[p];
    logitsFromTables(T, tokens, 0, logits, scratch);
    if (isCorrect(logits, label)) correct++;
    // Next sequence in odometer order, last position fastest.
    for (let p = K - 1; p >= 0; p--) {
      if (++tokens[p] < V) break;
      tokens[p] = 0;
    }
  }
  return { correct, total, accuracy: correct / total };
}
