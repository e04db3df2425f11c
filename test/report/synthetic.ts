/** Synthetic, checker-shaped metrics for the report's tests (no prover involved): deterministic from the inputs. */
import type { ProofMetrics } from '../../src/report/metrics.js';
import { unexplainedDimension, floorDecimal } from '../../src/report/metrics.js';
import { RESULT_CACHE_VERSION } from '../../src/sweep/cache.js';

export function syntheticRow(o: { sha: string; label: string; seed: number; k: number; vocab: number; strategy: string; group: string; correct: bigint; ops: number; verified?: boolean }): ProofMetrics {
  const total = BigInt(o.vocab) ** BigInt(o.k);
  const verified = o.verified ?? true;
  const correct = verified ? o.correct : 0n;
  const g = gcd(correct, total);
  return {
    cacheVersion: RESULT_CACHE_VERSION, modelSha256: o.sha, modelLabel: o.label, k: o.k, vocab: o.vocab, dModel: 32, dHead: 32, seed: o.seed,
    strategy: o.strategy, group: o.group, complexity: '', verified, error: verified ? null : 'checker rejected (test)',
    correct: correct.toString(), total: total.toString(),
    bound: { numerator: (correct / g).toString(), denominator: (total / g).toString(), decimal: floorDecimal(correct, total, 10) },
    boundValue: Number(correct) / Number(total), checkerOps: verified ? String(o.ops) : null,
    unexplainedDimension: unexplainedDimension(o.strategy, o.k, o.vocab, 32),
    certificateBytes: 1000, certificateGzipBytes: 300, certificateSha256: null, proverSeconds: 0.5, checkerSeconds: 0.25,
  };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
