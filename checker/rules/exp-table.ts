/**
 * exp-table (SPEC §4.2): enclosures of the shifted attention factors exp(r·(X[q,j] − X[q,σ_q])), X = EQKE or EQKP.
 *
 *   scale step [r_lo, r_hi] ∋ r,  δ = X[q,j] − X[q,σ_q] ≤ 0,  lo ≤ hi,
 *   lo·2^−F ≤ exp(δ·r_hi),  hi·2^−F ≥ exp(δ·r_lo)          ⟹   lo·2^−F ≤ exp(r·δ) ≤ hi·2^−F
 *
 * Soundness: δ ≤ 0 makes r ↦ exp(δ·r) non-increasing, so exp(δ·r_hi) ≤ exp(δ·r) ≤ exp(δ·r_lo). With z = −δ ≥ 0 and
 * y = z·r_hi, lo ≤ 2^F·e^−y ⟺ lo·e^y ≤ 2^F, which holds if lo·UB ≤ 2^(F+P) for an upper bound UB ≥ 2^P·e^y; likewise
 * hi·LB ≥ 2^(F+P) with LB ≤ 2^P·e^(z·r_lo). UB and LB come from arith/exp.ts (+, −, ×, floor/ceil only).
 * Large exponents: if y > F + 1 then e^−y·2^F < 2^F·2^−(F+1) < 1, so only lo = 0 holds (e > 2); for hi, e^y ≥ e^(F+1)
 * when y ≥ F + 1, so the hi test may evaluate e^(F+1) instead of e^y.
 * Precision: each test is decided at relative precision 2^−(F+32), and again at 2^−(F+160) before rejecting.
 * Work bound: fracBits and the table shapes (V×V for EQKE, V×K for EQKP, from the model's dimensions) are checked, and
 * the step's work estimated (forming X, then per entry two tests at two precisions, y ≤ F + 1), BEFORE X is read: X is
 * formed on first access (model.ts), which for EQKE is V²·d work. Beyond ctx.workLimit the step stops, not decided.
 */
import type { ExpTable, StepContext } from '../context.js';
import { compareRational, parseNatural, type Rational } from '../arith/exact.js';
import { expFixed, guardedPrecision, type FixedEnclosure } from '../arith/exp.js';
import { ensure, reject } from '../errors.js';
import { MAX_FRAC_BITS } from '../limits.js';
import { Ops } from '../ops.js';
import { ensureWork, expWork, pathWork } from '../work.js';

export interface ExpTableStep {
  id: string;
  kind: 'exp-table';
  scale: string;
  source: 'EQKE' | 'EQKP';
  fracBits: number;
  shift: number[];
  lo: string[][];
  hi: string[][];
}

/** Extra bits of relative precision beyond F, tried in order before a test is rejected. */
const GUARD_BITS = [32, 160];

/** The integer F + 1 as a rational: beyond it e^−y·2^F < 1/2 (see above). */
const cap = (F: number): Rational => ({ p: BigInt(F + 1), q: 1n });

/** Whether `holds(P, enclosure of 2^P·e^y)` at one of the GUARD_BITS precisions. */
function atSomePrecision(y: Rational, F: number, ops: Ops, holds: (P: number, e: FixedEnclosure) => boolean): boolean {
  return GUARD_BITS.some((g) => {
    const P = guardedPrecision(y, F + g);
    ops.add(2);
    return holds(P, expFixed(y, P, ops));
  });
}

/** lo ≤ 2^F·e^−y for rational y ≥ 0. */
export function expLowerHolds(lo: bigint, y: Rational, F: number, ops: Ops): boolean {
  if (lo === 0n) return true;
  return compareRational(y, cap(F)) <= 0 && atSomePrecision(y, F, ops, (P, e) => lo * e.hi <= 1n << BigInt(F + P));
}

/** hi ≥ 2^F·e^−y for rational y ≥ 0. */
export function expUpperHolds(hi: bigint, y: Rational, F: number, ops: Ops): boolean {
  const yc = compareRational(y, cap(F)) > 0 ? cap(F) : y;
  return atSomePrecision(yc, F, ops, (P, e) => hi * e.lo >= 1n << BigInt(F + P));
}

export function checkExpTable(step: ExpTableStep, ctx: StepContext): ExpTable {
  const rule = 'exp-table';
  const { lo: rLo, hi: rHi } = ctx.resolve('scale', step.scale, 'inv-sqrt-scale');
  // Shapes and work first: ctx.model.EQKE / EQKP are formed on first access.
  const rows = ctx.model.vocab;
  const cols = step.source === 'EQKE' ? ctx.model.vocab : ctx.model.k;
  const F = step.fracBits;
  ensure(F <= MAX_FRAC_BITS, ctx.step, rule, `fracBits ${F} exceeds the limit ${MAX_FRAC_BITS}`);
  ensure(step.shift.length === rows && step.shift.every((s) => s < cols), ctx.step, rule,
    `shift must list ${rows} column indices below ${cols}`);
  const shapeOk = (t: string[][]) => t.length === rows && t.every((row) => row.length === cols);
  ensure(shapeOk(step.lo) && shapeOk(step.hi), ctx.step, rule, `lo and hi must be ${rows}×${cols} (${step.source})`);
  const P = guardedPrecision(cap(F), F + GUARD_BITS[GUARD_BITS.length - 1]);
  const perEntry = 2 * GUARD_BITS.length * (expWork(P, 32 - Math.clz32(F + 1)) + 2) + 8;
  ensureWork(ctx, rule, pathWork(ctx.model, step.source) + rows * cols * perEntry, `an exp table over ${step.source}`);
  const parseTable = (t: string[][], name: string): bigint[] =>
    t.flat().map((s, i) => parseNatural(s) ?? reject(ctx.step, rule, `${name} entry ${i}: mantissa too long`));
  const lo = parseTable(step.lo, 'lo');
  const hi = parseTable(step.hi, 'hi');
  const X = step.source === 'EQKE' ? ctx.model.EQKE : ctx.model.EQKP;
  const one = 1n << BigInt(F);
  for (let q = 0; q < rows; q++) {
    const base = X.num[q * cols + step.shift[q]];
    for (let j = 0; j < cols; j++) {
      const i = q * cols + j;
      const at = `${step.source}[${q}][${j}]`;
      // z = −δ = (X[q,σ_q] − X[q,j]) / 2^exp.
      const z = base - X.num[i];
      ctx.ops.add(2);
      ensure(z >= 0n, ctx.step, rule, `${at} exceeds the shift column ${step.shift[q]}: exponent δ > 0`);
      ensure(lo[i] <= hi[i], ctx.step, rule, `${at}: lo ${lo[i]} > hi ${hi[i]}`);
      if (z === 0n) {
        // e^0 = 1 exactly.
        ensure(lo[i] <= one && hi[i] >= one, ctx.step, rule, `${at}: exp(0)·2^F = ${one} is not in [${lo[i]}, ${hi[i]}]`);
        continue;
      }
      // y = z·r = −δ·r, at r_hi for lo and at r_lo for hi.
      const yLo = { p: z * rHi.p, q: rHi.q << BigInt(X.exp) };
      const yHi = { p: z * rLo.p, q: rLo.q << BigInt(X.exp) };
      ctx.ops.add(4);
      ensure(expLowerHolds(lo[i], yLo, F, ctx.ops), ctx.step, rule, () => `${at}: claimed lo ${lo[i]} exceeds 2^F·exp(δ·r_hi) ≈ ${approx(yLo, F)}`);
      ensure(expUpperHolds(hi[i], yHi, F, ctx.ops), ctx.step, rule, () => `${at}: claimed hi ${hi[i]} is below 2^F·exp(δ·r_lo) ≈ ${approx(yHi, F)}`);
    }
  }
  return { source: step.source, fracBits: F, rows, cols, lo, hi };
}

/** Diagnostics only: 2^F·e^−y to the nearest integer, from a 64-bit-guarded enclosure (after a failure). */
function approx(y: Rational, F: number): string {
  if (compareRational(y, { p: BigInt(F + 64), q: 1n }) > 0) return '0';
  const P = guardedPrecision(y, F + 64);
  const { lo } = expFixed(y, P, new Ops());
  return ((1n << BigInt(F + 2 * P)) / lo >> BigInt(P)).toString();
}
