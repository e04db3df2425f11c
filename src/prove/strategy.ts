/**
 * Proof strategies: plain modules behind one interface (docs/architecture.md §5). A strategy turns a model into a certificate
 * (schemas/SPEC.md); it is untrusted and free to use floats, heuristics and threads, because the checker re-derives
 * everything. This module is the contract every strategy implements; registry.ts lists them with their names, groups
 * and complexities, and families of variants (the subcubic family) register by appending entries there, e.g.
 * `registerStrategies(variants.map(makeSubcubic))`.
 */
import type { KernelName } from '../backend/kernels.js';
import type { Backend } from '../backend/registry.js';
import type { Model } from '../model/model.js';
import type { Certificate } from './certificate.js';
import type { Float32Target } from './float32.js';

export interface ProveOptions {
  /**
   * An opened compute backend (src/backend) whose kernels a strategy may use for its search; absent, the strategy runs
   * its CPU code. Whatever a backend returns is a hint: the certificate is the same kind, and only the checker's
   * verdict counts. Strategies without a GPU kernel ignore it.
   */
  backend?: Backend;
  /** Worker threads (brute force); default: every core. */
  threads?: number;
  /** Fraction bits of the exp tables; each strategy has its own default. */
  fracBits?: number;
  /**
   * A claim about the deployed float32 computation (SPEC §1.1): the strategy claims only what it proves with exact
   * logit gaps below −ε; the caller stamps the semantics on the certificate (src/prove/float32.ts).
   */
  float32?: Float32Target;
}

/** One progress report: a phase name and, where known, how far through it the strategy is (0..1). */
export interface ProgressEvent {
  phase: string;
  fraction?: number;
  message?: string;
}

export type Progress = (event: ProgressEvent) => void;

/** Figures a strategy reports beside its certificate (never part of the certificate, never believed by anyone). */
export type ProveFigures = Record<string, number | string>;

export interface ProveResult {
  certificate: Certificate;
  /** E.g. timings per phase, the float evaluation count, the number of exact fallbacks. */
  figures: ProveFigures;
  /** Sentences for the user (printed by `mechcert prove`), e.g. how the claim compares with the float evaluation. */
  notes?: string[];
}

export interface Strategy {
  /** Unique name, used by `--strategy` and as the claim's `strategy` (SPEC §3). */
  name: string;
  /** Group label as in the paper's plots ("brute force", "cubic", "subcubic", …). */
  group: string;
  /** Leading asymptotic cost of checking, e.g. "V³K²". */
  complexity: string;
  description: string;
  /**
   * The backend kernels the strategy's search can use (src/backend/kernels.ts): with an opened backend that has them
   * all, it uses them; otherwise it runs its CPU code, and callers need not open a backend for it.
   */
  backendKernels?: readonly KernelName[];
  prove(model: Model, options: ProveOptions, progress: Progress): Promise<ProveResult>;
}

/**
 * A strategy's refusal of a model outside its reach (brute force beyond the sequences it can enumerate): the message is
 * one line for the user, saying the size and what to use instead. `mechcert prove` prints it and exits 2; the report
 * records the proof as not run.
 */
export class StrategyLimitError extends RangeError {
  override name = 'StrategyLimitError';
}

/** A progress sink that discards everything. */
export const silentProgress: Progress = () => {};
