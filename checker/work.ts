/**
 * Work estimates (SPEC §5): the exact operations that a step is about to need, from shapes, counts and the sizes of
 * the numbers involved, so that a rule stops (not decided here, exit 3) before it starts work beyond the check's
 * budget: limits.MAX_WORK (unless `--max-work` set another) for all steps together. An operation is a BigInt
 * multiply-add of integers of up to 256 bits (about 60 ns on a 2-core machine, whatever their size up to there); one
 * of larger integers counts as mulCost of them, so that the estimate follows the time the work takes, not only its
 * shape. Without that, weights whose exponents spread widely (every exact numerator then has hundreds of bits) or
 * peels of 256-digit witnesses made a check within the limit run for many minutes. An estimate bounds what the rule
 * will count (checker/ops.ts, the proof length, which stays a count of operations whatever their size), up to small
 * terms linear in the input; it decides nothing about the certificate.
 */
import type { WorkBudget } from './context.js';
import { ensureWithin } from './errors.js';
import type { Shape } from './model.js';

/** 64-bit words in an integer of `bits` bits. */
const words = (bits: number): number => Math.ceil(bits / 64);

/**
 * One multiply-add of an a-bit by a b-bit integer, in operations: the product of their 64-bit word counts over 16,
 * at least 1. Measured (V8, medians): 256 × 256 bits 77 ns, 512 × 512 205 ns (cost 4), 1024 × 1024 464 ns (16),
 * 2048 × 2048 1.6 µs (64): an upper bound on the time, at about 60 ns an operation.
 */
export const mulCost = (a: number, b: number): number => Math.max(1, Math.ceil((words(a) * words(b)) / 16));

/** What model.ts's matmul counts for an (r×n)·(n×c) product (at most: zero entries of the left factor are skipped). */
export const matmulWork = (r: number, n: number, c: number): number => 2 * r * n * c;

/**
 * The size factor of a product of path factors: a path matrix is a product of at most four weight matrices formed
 * two at a time, so each multiply-add takes an entry of a product of at most three weights (each entry a sum of at
 * most MAX_D_MODEL products: ≤ 3·(bits + 10) bits) and one of a weight (≤ bits + 10), `bits` bounding a weight's
 * numerator (Shape.bits).
 */
export const pathCost = (s: Shape): number => mulCost(3 * (s.bits + 10), s.bits + 10);

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
  return work[path] * pathCost(s);
}

/**
 * Ops of one arith/exp.ts expFixed(y, P) with 0 ≤ y < 2^yBits: after y + 7 halvings w ≤ 2^−6, so the Taylor loop
 * (8 each, on integers of about P bits) stops within P/6 + 2 terms, then ≤ yBits + 7 squarings (4 each). A squaring's
 * operand is 2^P·e^(y/2^i), P + 1.45·y/2^i bits: the operands' excess over P bits halves from each squaring to the one
 * before, so the squarings' word products sum to at most 2·(yBits + 7)·mulCost(P) + 3·mulCost(2^P·e^y's bits).
 */
export function expWork(P: number, yBits: number): number {
  const small = mulCost(P + 8, P + 8);
  const top = P + Math.ceil(1.45 * 2 ** yBits) + 8;
  return (4 + 8 * (Math.ceil(P / 6) + 2)) * small + 4 * (2 * (yBits + 7) * small + 3 * mulCost(top, top));
}

/**
 * Charges `work` to the check's budget, or stops, not decided here, when the estimates of this check so far, this one
 * included, exceed it. Called before the work it estimates.
 */
export function ensureWork(ctx: { step: string | null; work: WorkBudget }, rule: string, work: number, what: string): void {
  const { limit, used } = ctx.work;
  ensureWithin(used + work <= limit, ctx.step, rule, () => `${what} needs about ${work.toExponential(2)} exact operations${
    used > 0 ? `, with ${used.toExponential(2)} estimated for the steps before it` : ''}: above the work limit ${limit} (--max-work raises it)`);
  ctx.work.used = used + work;
}
