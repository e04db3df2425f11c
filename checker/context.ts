/**
 * What a rule sees: the exact model, the operation counter, its own step id, and `resolve`, the one way to reach an
 * earlier step's verified result (SPEC §3: the cited step must exist, come earlier, and be of the expected kind).
 */
import type { ExactModel } from './model.js';
import type { Ops } from './ops.js';
import type { ScaleEnclosure } from './rules/inv-sqrt-scale.js';
import type { ExpTable } from './rules/exp-table.js';
import type { ExpGrid } from './rules/subcubic.js';

/** The verified result of each citable step kind. */
export interface Results {
  'inv-sqrt-scale': ScaleEnclosure;
  'exp-table': ExpTable;
  'exp-grid': ExpGrid;
}

export interface StepContext {
  model: ExactModel;
  ops: Ops;
  step: string;
  /** The verified result of the step cited in field `field` by id `id`, which must be of kind `kind`. */
  resolve<K extends keyof Results>(field: string, id: string, kind: K): Results[K];
}
