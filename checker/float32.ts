/**
 * The float32 rounding margin of a model file, for programs other than the checker (the prover uses it to aim its
 * claims): the checker computes the same ε itself from the model when it checks a float32 claim (SPEC §1.1), and
 * believes nothing from here.
 */
import { MAX_WORK } from './limits.js';
import { loadExactModel } from './model.js';
import { Ops } from './ops.js';
import type { Float32Semantics } from './context.js';
import { float32Margin, MARGIN_FRAC_BITS } from './rules/float32-margin.js';

export type { Float32Semantics };

/** ε = n/2^fracBits for the model in `modelBytes` (a model the checker accepts) under `semantics`. */
export function float32MarginOf(modelBytes: Uint8Array, semantics: Float32Semantics): { n: bigint; fracBits: number } {
  const ops = new Ops();
  return { n: float32Margin(loadExactModel(modelBytes, ops, ''), semantics, ops, { limit: MAX_WORK, used: 0 }), fracBits: MARGIN_FRAC_BITS };
}
