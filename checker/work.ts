/**
 * Work estimates (SPEC §5): the exact operations, as checker/ops.ts counts them, that a step is about to need, from
 * shapes and counts alone, so that a rule stops (not decided here, exit 3) before it starts work beyond
 * ctx.workLimit (limits.MAX_WORK unless `--max-work` raised it). An estimate bounds what the rule will count, up to
 * small terms linear in the input; it decides nothing about the certificate.
 */
import type { StepContext } from './context.js';
import { ensureWithin } from './errors.js';
import type { Shape } from './model.js';

/** What model.ts's matmul counts for an (r×n)·(n×c) product (at most: zero entries of the left factor are skipped). */
export const matmulWork = (r: number, n: number, c: number): number => 2 * r * n * c;

export type PathName = 'EU' | 'EVOU' | 'PVOU' | 'EQKE' | 'EQKP';

/** Ops to form a path matrix as model.ts forms it, shared factors included (if already formed, this over-estimates). */
export function pathWork(s: Shape, path: PathName): number {
  const { vocab: V, k: K, dModel: d, dHead: h } = s;
  const VOU = matmulWork(d, h, d) + matmulWork(d, d, V);
  const work: Record<PathName, number> = {
    EU: matmulWork(V, d, V),
    EVOU: VOU + matmulWork(V, d, V),
    PVOU: VOU + matmulWork(K, d, V),
    EQKE: matmulWork(d, h, d) + matmulWork(V, d, d) + matmulWork(V, d, V),
    EQKP: matmulWork(h, d, K) + matmulWork(d, h, K) + matmulWork(V, d, K),
  };
  return work[path];
}

/**
 * Ops of one arith/exp.ts expFixed(y, P) with 0 ≤ y < 2^yBits: after y + 7 halvings w ≤ 2^−6, so the Taylor loop
 * (8 each) stops within P/6 + 2 terms, then ≤ yBits + 7 squarings (4 each).
 */
export const expWork = (P: number, yBits: number): number => 4 + 8 * (Math.ceil(P / 6) + 2) + 4 * (yBits + 7);

/** Stops, not decided here, when `work` exceeds the step's work limit. Called before the work it estimates. */
export function ensureWork(ctx: StepContext, rule: string, work: number, what: string): void {
  ensureWithin(work <= ctx.workLimit, ctx.step, rule,
    () => `${what} needs about ${work.toExponential(2)} exact operations, above the work limit ${ctx.workLimit} (--max-work raises it)`);
}
