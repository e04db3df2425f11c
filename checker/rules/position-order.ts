/**
 * positionOrder (SPEC §4.3, §4.6), a premise of the cubic and subcubic counts: row q lists the non-query positions
 * 0..K−2 in an order along which EQKP[q,·] does not decrease. The rules use it to place the max token's copies on the
 * positions of least or most positional attention; each comparison is one exact operation.
 */
import type { StepContext } from '../context.js';
import { ensure } from '../errors.js';

export function checkPositionOrder(order: number[][], ctx: StepContext, rule: string): void {
  const { vocab: V, k: K, EQKP } = ctx.model;
  ensure(order.length === V, ctx.step, rule, `positionOrder must have ${V} rows`);
  for (const [q, row] of order.entries()) {
    ensure(row.length === K - 1 && new Set(row).size === K - 1 && row.every((p) => p < K - 1), ctx.step, rule,
      `positionOrder[${q}] must be a permutation of the non-query positions 0..${K - 2}`);
    for (let i = 1; i < row.length; i++) {
      ensure(EQKP.num[q * K + row[i - 1]] <= EQKP.num[q * K + row[i]], ctx.step, rule,
        `positionOrder[${q}]: EQKP[${q}][${row[i - 1]}] > EQKP[${q}][${row[i]}]`);
    }
    ctx.ops.add(K - 2);
  }
}
