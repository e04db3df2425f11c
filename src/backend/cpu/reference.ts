/**
 * The CPU reference kernels: pure float64 functions over the path tables, built on src/model/paths.ts
 * (logitsFromTables, isCorrect). Every other backend is held to these by the conformance suite, and the WebGPU backend
 * calls `decideSequence` to re-decide its float32 near-ties.
 */
import { isCorrect, logitsFromTables, type PathTables } from '../../model/paths.js';
import { decodeSequence, type SequenceRange } from '../kernels.js';

/** Scratch for one sequence; reuse it across calls. */
export interface SequenceScratch {
  tokens: Int32Array;
  logits: Float64Array;
  attention: Float64Array;
}

export function sequenceScratch(T: PathTables): SequenceScratch {
  return { tokens: new Int32Array(T.k), logits: new Float64Array(T.vocab), attention: new Float64Array(T.k) };
}

function labelOf(tokens: Int32Array): number {
  let label = 0;
  for (let p = 0; p < tokens.length; p++) if (tokens[p] > label) label = tokens[p];
  return label;
}

/** Correct on sequence n (float64, the logit of max(t) strictly above all others). */
export function decideSequence(T: PathTables, n: number, s: SequenceScratch): boolean {
  decodeSequence(n, T.vocab, T.k, s.tokens);
  logitsFromTables(T, s.tokens, 0, s.logits, s.attention);
  return isCorrect(s.logits, labelOf(s.tokens));
}

/** Number of correct sequences in [range.start, range.end), enumerated in odometer order. */
export function countCorrectRange(T: PathTables, range: SequenceRange): number {
  const { k: K, vocab: V } = T;
  const s = sequenceScratch(T);
  if (range.end <= range.start) return 0;
  decodeSequence(range.start, V, K, s.tokens);
  let correct = 0;
  for (let n = range.start; n < range.end; n++) {
    logitsFromTables(T, s.tokens, 0, s.logits, s.attention);
    if (isCorrect(s.logits, labelOf(s.tokens))) correct++;
    for (let p = K - 1; p >= 0; p--) {
      if (++s.tokens[p] < V) break;
      s.tokens[p] = 0;
    }
  }
  return correct;
}

/** logit[max(t)] − max over other x of logit[x] for each sequence of the range (float64). */
export function marginsRange(T: PathTables, range: SequenceRange): Float64Array {
  const { k: K, vocab: V } = T;
  const s = sequenceScratch(T);
  const out = new Float64Array(range.end - range.start);
  if (out.length === 0) return out;
  decodeSequence(range.start, V, K, s.tokens);
  for (let i = 0; i < out.length; i++) {
    logitsFromTables(T, s.tokens, 0, s.logits, s.attention);
    const label = labelOf(s.tokens);
    let other = -Infinity;
    for (let x = 0; x < V; x++) if (x !== label && s.logits[x] > other) other = s.logits[x];
    out[i] = s.logits[label] - other;
    for (let p = K - 1; p >= 0; p--) {
      if (++s.tokens[p] < V) break;
      s.tokens[p] = 0;
    }
  }
  return out;
}
