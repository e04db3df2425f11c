/**
 * The near-tie band for float32 kernels. Sequences whose float32 margin lies within it are re-decided in float64 on the
 * CPU, so that a float32 backend's count agrees with the float64 reference.
 *
 * A rough first-order bound on |margin32 − margin64|, with u = 2^-24 (float32 unit roundoff), M a bound on |logit|
 * (max |EU| + max |EVOU + PVOU|, since the attention weights sum to 1) and S a bound on |score|:
 *   rounding the tables to float32 moves each logit by ≤ u·M;
 *   a score carries error ≲ 2u·S, so exp(s − max s) carries relative error ≲ 4u·S + u and a_p ≲ 8u·S + 2Ku;
 *   through Σ_p a_p v_p that is ≲ (8u·S + 2Ku)·M, and the K + 1 float32 additions add ≲ (K + 1)u·M.
 * Two logits enter a margin, so |Δmargin| ≲ 2u·M·(8S + 3K + 3). The band is 8 times that. It is a heuristic for a hint,
 * not a proof; the conformance suite checks it against float64 margins on every sequence of its test models.
 */
import type { PathTables } from '../../model/paths.js';

const U32 = 2 ** -24;
export const TOLERANCE_SAFETY = 8;

export function float32MarginTolerance(T: PathTables): number {
  const { k: K, vocab: V } = T;
  let maxEU = 0;
  for (let i = 0; i < V * V; i++) maxEU = Math.max(maxEU, Math.abs(T.EU[i]));
  let maxV = 0;
  for (let t = 0; t < V; t++) {
    for (let p = 0; p < K; p++) {
      for (let x = 0; x < V; x++) maxV = Math.max(maxV, Math.abs(T.EVOU[t * V + x] + T.PVOU[p * V + x]));
    }
  }
  let maxE = 0;
  for (let i = 0; i < V * V; i++) maxE = Math.max(maxE, Math.abs(T.EQKE[i]));
  let maxP = 0;
  for (let i = 0; i < V * K; i++) maxP = Math.max(maxP, Math.abs(T.EQKP[i]));
  const M = maxEU + maxV;
  const S = (maxE + maxP) * T.scale;
  return TOLERANCE_SAFETY * 2 * U32 * M * (8 * S + 3 * K + 3);
}
