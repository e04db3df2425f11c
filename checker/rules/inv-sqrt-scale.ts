/**
 * inv-sqrt-scale (SPEC §4.1): an enclosure of the attention scale r = 1/sqrt(d_head).
 *
 *   dHead = d_head(model),  0 < lo ≤ hi,  lo²·dHead ≤ 1 ≤ hi²·dHead   ⟹   lo ≤ 1/sqrt(d_head) ≤ hi
 *
 * Soundness: x ↦ x² is increasing on x > 0, so lo² ≤ 1/d_head = r² ≤ hi² gives lo ≤ r ≤ hi.
 */
import type { StepContext } from '../context.js';
import { compareRational, parseRational, type Rational } from '../arith/exact.js';
import { ensure } from '../errors.js';

export interface InvSqrtScaleStep {
  id: string;
  kind: 'inv-sqrt-scale';
  dHead: number;
  lo: string;
  hi: string;
}

export interface ScaleEnclosure {
  lo: Rational;
  hi: Rational;
}

export function checkInvSqrtScale(step: InvSqrtScaleStep, ctx: StepContext): ScaleEnclosure {
  const rule = 'inv-sqrt-scale';
  ensure(step.dHead === ctx.model.dHead, ctx.step, rule, `dHead ${step.dHead} differs from the model's d_head ${ctx.model.dHead}`);
  const lo = parseRational(step.lo);
  const hi = parseRational(step.hi);
  ensure(lo !== null && hi !== null, ctx.step, rule, 'lo or hi is not a rational within the length limit');
  ensure(lo.p > 0n && compareRational(lo, hi) <= 0, ctx.step, rule, `need 0 < lo ≤ hi; got lo = ${step.lo}, hi = ${step.hi}`);
  const d = BigInt(step.dHead);
  ctx.ops.add(8);
  ensure(lo.p * lo.p * d <= lo.q * lo.q, ctx.step, rule, `lo = ${step.lo} is above 1/sqrt(${step.dHead}): lo²·dHead > 1`);
  ensure(hi.p * hi.p * d >= hi.q * hi.q, ctx.step, rule, `hi = ${step.hi} is below 1/sqrt(${step.dHead}): hi²·dHead < 1`);
  return { lo, hi };
}
