/**
 * What a rule sees: the exact model, the operation counter, its own step id, and `resolve`, the one way to reach an
 * earlier step's verified result (SPEC §3: the cited step must exist, come earlier, and be of the expected kind).
 */
import type { Claim } from './check.js';
import type { ExactModel } from './model.js';
import type { Ops } from './ops.js';
import type { ScaleEnclosure } from './rules/inv-sqrt-scale.js';
import type { ExpTable } from './rules/exp-table.js';
import type { ExpGrid } from './rules/exp-grid.js';

/** The verified result of each citable step kind. */
export interface Results {
  'inv-sqrt-scale': ScaleEnclosure;
  'exp-table': ExpTable;
  'exp-grid': ExpGrid;
}

export interface StepContext {
  model: ExactModel;
  /** The certificate's claim (schema-valid). */
  claim: Claim;
  /**
   * Most exact operations a step may be expected to need (limits.MAX_WORK unless the user raised it): a rule estimates
   * its work from shapes and counts before doing it, and stops with `ensureWithin` (not decided here) beyond this.
   */
  workLimit: number;
  /** Reports how far a long count has come (pieces done of total); display only, never read back. */
  progress?: (done: number, total: number) => void;
  ops: Ops;
  step: string;
  /**
   * ε over 2^MARGIN_FRAC_BITS (rules/float32-margin.ts): a count rule counts a sequence only where it proves
   * ℓ_x − ℓ_m < −ε for every x ≠ m. 0 for a claim about the exact computation; for a float32 claim, the rounding margin.
   */
  margin: bigint;
  /** The verified result of the step cited in field `field` by id `id`, which must be of kind `kind`. */
  resolve<K extends keyof Results>(field: string, id: string, kind: K): Results[K];
}
