/**
 * inv-sqrt-scale (SPEC §4.1): an enclosure of the attention scale r = 1/sqrt(d_head).
 *
 *   dHead = d_head(model),  0 < lo ≤ hi,  lo²·dHead ≤ 1 ≤ hi²·dHead   ⟹   lo ≤ 1/sqrt(d_head) ≤ hi
 *
 * Soundness: x ↦ x² is increasing on x > 0, so lo² ≤ 1/d_head = r² ≤ hi² gives lo ≤ r ≤ hi.
 * Work bound: the later steps evaluate e^{r·z} at r = lo and r = hi, so the enclosure's magnitude drives their work
 * (a true hi of 10^150 makes e^{hi·z} astronomically long). A true enclosure must also be tight: hi ≤ 2·lo, which with
 * lo ≤ r ≤ 1 gives r/2 ≤ lo ≤ r ≤ hi ≤ 2r ≤ 2. A false enclosure is rejected first; a true but looser one is refused as
 * not decided (exit 3): it is not wrong, only beyond what this checker evaluates (any prover can meet hi ≤ 2·lo).
 */
import type { ScaleEnclosure, StepContext } from '../context.js';
import { compareRational, parseRational } from '../arith/exact.js';
import { ensure, ensureWithin } from '../errors.js';

export interface InvSqrtScaleStep {
  id: string;
  kind: 'inv-sqrt-scale';
  dHead: number;
  lo: string;
  hi: string;
}

export function checkInvSqrtScale(step: InvSqrtScaleStep, ctx: StepContext): ScaleEnclosure {
  const rule = 'inv-sqrt-scale';
  ensure(step.dHead === ctx.model.dHead, ctx.step, rule, `dHead ${step.dHead} differs from the model's d_head ${ctx.model.dHead}`);
  const lo = parseRational(step.lo);
  const hi = parseRational(step.hi);
  ensure(lo !== null && hi !== null, ctx.step, rule, 'lo or hi is not a rational within the length limit');
  ensure(lo.p > 0n && compareRational(lo, hi) <= 0, ctx.step, rule, `need 0 < lo ≤ hi; got lo = ${step.lo}, hi = ${step.hi}`);
  const d = BigInt(step.dHead);
  ctx.ops.add(10);
  ensure(lo.p * lo.p * d <= lo.q * lo.q, ctx.step, rule, `lo = ${step.lo} is above 1/sqrt(${step.dHead}): lo²·dHead > 1`);
  ensure(hi.p * hi.p * d >= hi.q * hi.q, ctx.step, rule, `hi = ${step.hi} is below 1/sqrt(${step.dHead}): hi²·dHead < 1`);
  ensureWithin(compareRational(hi, { p: 2n * lo.p, q: lo.q }) <= 0, ctx.step, rule,
    `the enclosure [${step.lo}, ${step.hi}] is true but wider than this checker evaluates (hi ≤ 2·lo)`);
  return { lo, hi };
}
