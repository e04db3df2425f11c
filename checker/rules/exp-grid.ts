/**
 * exp-grid (SPEC §4.5): upper bounds hi[i]/2^F ≥ e^{r·z_i}, z_i = (base + i)/2^stepBits (score units, any sign), for
 * the true r = 1/sqrt(d_head); a null entry claims nothing.
 *
 *   z ≥ 0:  hi·2^P ≥ UB(e^{r_hi·z})·2^F  ⟹  hi/2^F ≥ e^{r_hi·z} ≥ e^{r·z}
 *   z < 0:  hi·LB(e^{r_lo·|z|}) ≥ 2^{F+P}  ⟹  hi/2^F ≥ e^{−r_lo·|z|} ≥ e^{r·z}
 *
 * Soundness: r ↦ e^{r·z} is non-decreasing for z ≥ 0 and non-increasing for z < 0, and [r_lo, r_hi] ∋ r is the cited
 * inv-sqrt-scale enclosure; UB and LB are the + − × enclosures of arith/exp.ts at P = F + 24 bits.
 * Work bound: stepBits ≤ 16, fracBits ≤ 256 and |z| ≤ 4096 at both ends; with r ≤ r_hi ≤ 2 (inv-sqrt-scale) every
 * exponent is at most 8192, and the grid's length times one evaluation is checked against ctx.workLimit first.
 */
import type { ExpGrid, StepContext } from '../context.js';
import { ceilShift, parseNatural, type Dy, type Rational } from '../arith/exact.js';
import { expFixed } from '../arith/exp.js';
import { ensure, reject } from '../errors.js';
import { MAX_FRAC_BITS, MAX_GRID_STEP_BITS, MAX_GRID_Z_BITS } from '../limits.js';
import { ensureWork, expWork } from '../work.js';

export interface ExpGridStep { id: string; kind: 'exp-grid'; scale: string; base: number; stepBits: number; fracBits: number; hi: (string | null)[] }

const RULE = 'exp-grid';

export function checkExpGrid(s: ExpGridStep, ctx: StepContext): ExpGrid {
  const r = ctx.resolve('scale', s.scale, 'inv-sqrt-scale');
  const zCap = 2 ** (MAX_GRID_Z_BITS + s.stepBits);
  ensure(s.stepBits <= MAX_GRID_STEP_BITS && s.fracBits <= MAX_FRAC_BITS && Number.isSafeInteger(s.base) && s.hi.length > 0 && Math.abs(s.base) <= zCap && Math.abs(s.base + s.hi.length) <= zCap,
    ctx.step, RULE, `grid parameters out of range (stepBits ≤ ${MAX_GRID_STEP_BITS}, fracBits ≤ ${MAX_FRAC_BITS}, |z| ≤ ${2 ** MAX_GRID_Z_BITS})`);
  const P = s.fracBits + 24;
  // Entry i evaluates e^y with y = r·|z_i| < 2·|z_i| + 1 (the scale step bounds r ≤ r_hi ≤ 2), so y < 2^b for
  // b = bitLength of 2·|base + i| over 2^stepBits, at most MAX_GRID_Z_BITS + 2.
  let work = 0;
  for (let i = 0; i < s.hi.length; i++) work += expWork(P, 33 - Math.clz32(Math.ceil(Math.abs(s.base + i) / 2 ** s.stepBits))) + 4;
  ensureWork(ctx, RULE, work, 'an exp grid');
  const hi = s.hi.map((h) => (h === null ? null : parseNatural(h) ?? reject(ctx.step, RULE, `bad mantissa ${h}`)));
  hi.forEach((h, i) => { if (h !== null) checkEntry(h, s.base + i, s, r, P, ctx); }); // null: a case citing it is rejected
  return { base: s.base, stepBits: s.stepBits, fracBits: s.fracBits, hi };
}

/** hi/2^F ≥ e^{r·z/2^stepBits} for every r in the enclosure. */
function checkEntry(h: bigint, zi: number, s: ExpGridStep, r: { lo: Rational; hi: Rational }, P: number, ctx: StepContext): void {
  const z = BigInt(zi);
  const neg = z < 0n;
  const rr: Rational = neg ? r.lo : r.hi;
  const y = { p: (neg ? -z : z) * rr.p, q: rr.q << BigInt(s.stepBits) };
  const { lo: eLo, hi: eHi } = expFixed(y, P, ctx.ops);
  ctx.ops.add(2);
  // z ≥ 0: h/2^F ≥ eHi/2^P ≥ e^{r_hi z} ≥ e^{rz};  z < 0: h/2^F ≥ 2^P/eLo ≥ e^{−r_lo|z|} ≥ e^{rz}.
  const ok = neg ? h * eLo >= 1n << BigInt(s.fracBits + P) : h << BigInt(P) >= eHi << BigInt(s.fracBits);
  ensure(ok, ctx.step, RULE, `hi[${zi - s.base}] = ${h}/2^${s.fracBits} is below e^(r·${zi}/2^${s.stepBits})`);
}

/**
 * The grid's bound on e^{r·z} for a score difference z (a dyadic): the entry of the smallest i with z_i ≥ z, which
 * bounds e^{r·z} since r > 0 makes it increasing in z (i = 0 when z is below the grid); x is null when that entry is
 * absent or null, and a rule citing it then rejects.
 */
export function gridEntry(z: Dy, grid: ExpGrid): { idx: number; x: bigint | null } {
  const zi = z.e >= grid.stepBits ? ceilShift(z.n, z.e - grid.stepBits) : z.n << BigInt(grid.stepBits - z.e);
  const idx = zi - BigInt(grid.base) < 0n ? 0 : Number(zi - BigInt(grid.base));
  return { idx, x: idx < grid.hi.length ? grid.hi[idx] : null };
}
