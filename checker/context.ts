/**
 * What a rule sees: the exact model, the claim, the operation counter, its own step id, and `resolve`, the one way to
 * reach an earlier step's verified result (SPEC §3: the cited step must exist, come earlier, and be of the expected
 * kind). The types that pass between steps are declared here, so that the rules depend on this file and never on
 * one another's or on check.ts.
 */
import type { Rational } from './arith/exact.js';
import type { ExactModel } from './model.js';
import type { Ops } from './ops.js';

/** The certificate's claim (schema-valid): what the count step must prove. */
export interface Claim {
  modelSha256: string;
  task: 'max-of-k';
  k: number;
  vocab: number;
  strategy: 'cubic' | 'brute-force' | `subcubic/${string}` | 'mechcert/prefix' | 'mechcert/prefix-output' | 'mechcert/prefix-budget';
  correct: string;
  total: string;
  /** Absent: the exact real computation (SPEC §1). float32: the deployed computation (SPEC §1.1, format mechcert/1.1). */
  semantics?: Float32Semantics;
}

/** The deployed computation a claim is about (SPEC §1.1): exp, division and sqrt within so many ulp. */
export interface Float32Semantics {
  kind: 'float32';
  expUlps: string;
  divUlps: string;
  sqrtUlps: string;
}

// The results a step may cite, each verified by its rule (rules/inv-sqrt-scale.ts, exp-table.ts, exp-grid.ts).

/** Verified: lo ≤ 1/sqrt(d_head) ≤ hi ≤ 2·lo (so hi ≤ 2). */
export interface ScaleEnclosure {
  lo: Rational;
  hi: Rational;
}

/** Verified enclosures: entry (q, j) of the shifted factor lies in [lo[q·cols + j], hi[q·cols + j]] / 2^fracBits. */
export interface ExpTable {
  source: 'EQKE' | 'EQKP';
  fracBits: number;
  rows: number;
  cols: number;
  lo: bigint[];
  hi: bigint[];
}

/** Verified: hi[i]/2^fracBits ≥ e^{r·(base + i)/2^stepBits} for every non-null entry. */
export interface ExpGrid { base: number; stepBits: number; fracBits: number; hi: (bigint | null)[] }

/** The verified result of each citable step kind. */
export interface Results {
  'inv-sqrt-scale': ScaleEnclosure;
  'exp-table': ExpTable;
  'exp-grid': ExpGrid;
}

/** Operations all the steps of one check may be estimated to need (`limit`), and how many were estimated so far. */
export interface WorkBudget {
  limit: number;
  used: number;
}

export interface StepContext {
  model: ExactModel;
  /** The certificate's claim (schema-valid). */
  claim: Claim;
  /**
   * The check's work budget, shared by its steps (one object per check): a rule estimates its work from shapes,
   * counts and number sizes before doing it (work.ts ensureWork), and stops with `ensureWithin` (not decided here)
   * when the estimates so far, its own included, exceed `limit` (limits.MAX_WORK unless the user raised it).
   */
  work: WorkBudget;
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
