/**
 * float32-margin (SPEC §1.1): for a claim about the deployed float32 computation, a rounding margin ε, derived from
 * the weights alone, such that on every sequence and for every output x the float32 logit ℓ̂_x lies within ε/2 of the
 * exact logit ℓ_x. A sequence whose exact logits satisfy ℓ_m − ℓ_x > ε for every x ≠ m then has ℓ̂_m > ℓ̂_x: the
 * deployed argmax is strictly at the max token. The count rules apply ε by proving ℓ_x − ℓ_m < −ε instead of < 0.
 *
 * Soundness: IEEE-754 binary32 with round-to-nearest, unit roundoff u = 2^−24: a product or a sum of two floats is
 * the exact value times (1 + δ), |δ| ≤ u, plus, for a product only, an underflow error below ν = 2^−149. A sum of n
 * terms (products, or one of them a bias) in any order, with or without fused multiply-add, is within
 * γ_n·Σ|terms| + n·ν of the exact sum of its rounded inputs, γ_n = n·u/(1 − n·u) (Higham, Accuracy and Stability of
 * Numerical Algorithms, §3.1). exp, division and the square root of d_head are within n_f ulp (claim parameters), so
 * relative μ_f = n_f·2^−23 and absolute η_f = n_f·2^−149. Every quantity below is an upper bound on a magnitude or on
 * an error, for every token and position, computed exactly over 2^−F and rounded up:
 *   residual x = E[t] + P[p]:   X = max |x|, δx = u·X                     (one rounding)
 *   q, k, v = x·W + b:          ρ = γ_{d+1}(X̂·|W| + |b|) + (d+1)ν, e = δx·|W| + ρ, X̂ = X + δx; magnitudes
 *                               Q, Kx, Vx = max over tokens (and positions) of the exact |q|, |k|, |v|
 *   score σ = q·k:              e_σ = Σ_j e_q(Kx + e_k) + Q·e_k + γ_h(Q + e_q)(Kx + e_k) + h·ν,  S_σ = Σ_j Q·Kx
 *   scaled s = σ/fl(√h):        e_s = r⁺(e_σ + θ(S_σ + e_σ)) + η_div, θ = (μ_div + μ_√)/(1 − μ_√), r⁺ ≥ 1/√h
 *   exponent d̂ = fl(ŝ − max):   within Δ = e_s + 2u(S + e_s) of s − max (S = r⁺S_σ), needs Δ ≤ 1/2
 *   ê = exp(d̂):                 ê = e^{s−max}(1 + α) + η, |α| ≤ A = (1 + Δ + Δ²)(1 + μ_exp) − 1 (e^Δ ≤ 1 + Δ + Δ²)
 *   weights â = fl(ê/fl(Σ ê)):  Σ_p |â_p − a_p| ≤ Ω = 2(A + H)/(1 − A − H) + (μ_div + γ_{K−1})/(1 − γ_{K−1}) + K·η_div,
 *                               H = 2K·η_exp (the largest ê is ≥ e^{−e_s} ≥ 1/2 before rounding)
 *   z = Σ_p â_p v̂_p:            ρ_z = γ_K(1 + Ω)(Vx + e_v) + Kν,  |ẑ| ≤ Z = (1 + Ω)(Vx + e_v) + ρ_z
 *   o = z·W_O + b_O:            ρ_o = γ_{h+1}(Z·|W_O| + |b_O|) + (h+1)ν,  |ô| ≤ O = Z·|W_O| + |b_O| + ρ_o
 *   r = x + o:                  ρ_r = u(X̂ + O),  |r̂| ≤ R = X̂ + O + ρ_r
 *   ℓ = r·W_U + b_U:            ρ_ℓ = γ_{d+1}(R·|W_U| + |b_U|) + (d+1)ν
 * The error ℓ̂ − ℓ is ρ_ℓ + (ρ_r + δx + ρ_o)·W_U + ρ_z·W_OU + Σ_p (â_p − a_p) v̂_p·W_OU + Σ_p a_p ρ_v,p·W_OU +
 * Σ_p a_p δx_p·W_VOU (W_OU = W_O W_U, W_VOU = W_V W_OU, a the exact weights, Σ a_p = 1), so
 *   |ℓ̂_x − ℓ_x| ≤ e_x = ρ_ℓ + (ρ_r + δx + ρ_o)·|W_U| + (ρ_z + Ω·e_v + ρ_v)·|W_OU| + Ω·OV_x + δx·|W_VOU|
 * with OV_x = max over (t, p) of |EVOU[t,x] + PVOU[p,x] + (b_V W_OU)_x| = |v(t, p)·W_OU|_x, and ε = 2·max_x e_x.
 * Every magnitude is checked to stay below 2^64, so nothing overflows to ±∞ or NaN. The exponent and the ratio bounds
 * need Δ ≤ 1/2 and A + H ≤ 1/2; beyond, the step is not decided here.
 */
import { abs, ceilDiv, ceilShift, decimalFloor, isqrt, parseRational, type Rational } from '../arith/exact.js';
import { ensure, ensureWithin } from '../errors.js';
import { MAX_ULPS } from '../limits.js';
import { constant, matmul, repeatRow, rescale, type ExactModel, type Mat } from '../model.js';
import type { Float32Semantics, WorkBudget } from '../context.js';
import type { Ops } from '../ops.js';
import { ensureWork, matmulWork, pathCost, pathWork } from '../work.js';

const RULE = 'float32-margin';
/** Fraction bits of the fixed-point bounds: every bound is n/2^F, rounded up. */
const F = 128;
const ONE = 1n << BigInt(F);
const U = ONE >> 24n;
/** ν = 2^−149 < 2^−F: one unit of the fixed point bounds it. */
const NU = 1n;

const mulUp = (a: bigint, b: bigint) => ceilShift(a * b, F);
const divUp = (a: bigint, b: bigint) => ceilDiv(a << BigInt(F), b);
const gamma = (n: number) => divUp(BigInt(n) * U, ONE - BigInt(n) * U);
/** |entries| of A over 2^F, rounded up. */
const absUp = (A: Mat): bigint[] => A.num.map((x) => (A.exp <= F ? abs(x) << BigInt(F - A.exp) : ceilShift(abs(x), A.exp - F)));
/** x·|A| for a non-negative vector x (over 2^F) and A with x.length rows: Σ_i x_i |A[i, j]| per column j. */
function vecAbs(x: bigint[], A: Mat, ops: Ops): bigint[] {
  const a = absUp(A);
  const out = new Array<bigint>(A.cols).fill(0n);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) out[j] += x[i] * a[i * A.cols + j];
  ops.add(2 * A.rows * A.cols);
  return out.map((s) => ceilShift(s, F));
}
/** Per column j, max over rows r of A and s of B of |A[r, j] + B[s, j] + c[j]| (c a row). */
function maxAbsSum(A0: Mat, B0: Mat, c0: Mat, ops: Ops): bigint[] {
  const exp = Math.max(A0.exp, B0.exp, c0.exp);
  const [A, B, c] = [A0, B0, c0].map((M) => rescale(M, exp));
  const out: bigint[] = [];
  for (let j = 0; j < A.cols; j++) {
    let best = 0n;
    for (let r = 0; r < A.rows; r++) for (let s = 0; s < B.rows; s++) {
      const v = abs(A.num[r * A.cols + j] + B.num[s * B.cols + j] + c.num[j]);
      if (v > best) best = v;
    }
    out.push(best);
  }
  ops.add(2 * A.rows * B.rows * A.cols);
  return absUp({ rows: 1, cols: A.cols, exp: A.exp, num: out });
}
const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
const vmax = (xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a), 0n);
const plus = (...vs: bigint[][]) => vs[0].map((_, i) => sum(vs.map((v) => v[i])));

/** The claim's n_f ulp as [relative μ_f, absolute η_f] over 2^F: n·2^−23 and n·2^−149, rounded up. */
function ulps(value: string, what: string): [bigint, bigint] {
  const n: Rational | null = parseRational(value);
  ensure(n !== null && n.p >= 0n && n.p <= BigInt(MAX_ULPS) * n.q, null, RULE, `semantics.${what} ${value} is not a number of ulp in [0, ${MAX_ULPS}]`);
  return [ceilDiv(n.p << BigInt(F - 23), n.q), ceilDiv(n.p, n.q << BigInt(149 - F))];
}

/** Per column, the largest exact |(E[t] + P[p])·W + b| over every token t and every row p of `positions`. */
const layerMax = (model: ExactModel, W: Mat, b: Mat, positions: Mat, ops: Ops): bigint[] =>
  maxAbsSum(matmul(model.tensors.E, W, ops), matmul(positions, W, ops), b, ops);

/** A layer's error bounds per column: |exact value| ≤ max, rounding in the layer ρ, total error e (inputs' included). */
interface Layer { max: bigint[]; mag: bigint[]; rho: bigint[]; e: bigint[] }
/** The claim's ulp bounds as [relative, absolute] pairs. */
type Ulps = Record<'exp' | 'div' | 'sqrt', [bigint, bigint]>;

/** The residual stream x = E[t] + P[p] (X, its rounding δx) and the three layers q, k, v with their error bounds. */
function layers(model: ExactModel, ops: Ops) {
  const { k: K, dModel: d } = model;
  const W = model.tensors;
  const X = maxAbsSum(W.E, W.P, constant(1, d, { n: 0n, e: 0 }), ops);
  const dx = X.map((x) => ceilShift(x, 24));
  const Xh = plus(X, dx);
  const layer = (Wl: Mat, b: Mat, positions: Mat): Layer => {
    const mag = plus(vecAbs(Xh, Wl, ops), absUp(b));
    const rho = mag.map((x) => mulUp(gamma(d + 1), x) + BigInt(d + 1) * NU);
    return { max: layerMax(model, Wl, b, positions, ops), mag, rho, e: plus(vecAbs(dx, Wl, ops), rho) };
  };
  return { dx, Xh, q: layer(W.Q, W.bQ, repeatRow(W.P, K - 1, 1)), k: layer(W.K, W.bK, W.P), v: layer(W.V, W.bV, W.P) };
}

/** Ω ≥ Σ_p |â_p − a_p|, from the score error through the scale, the exponent, exp, the sum and the division. */
function attentionError(model: ExactModel, q: Layer, k: Layer, u: Ulps, ops: Ops): { omega: bigint; Ssigma: bigint } {
  const { k: K, dHead: h } = model;
  const gh = gamma(h);
  const eSigma = sum(q.max.map((Qj, j) => mulUp(q.e[j], k.max[j] + k.e[j]) + mulUp(Qj, k.e[j]) + mulUp(gh, mulUp(Qj + q.e[j], k.max[j] + k.e[j])))) + BigInt(h) * NU;
  const Ssigma = sum(q.max.map((Qj, j) => mulUp(Qj, k.max[j])));
  ops.add(12 * h);
  const rHi = ceilDiv(ONE << BigInt(F), isqrt(BigInt(h) << BigInt(2 * F)));
  const muRoot = u.sqrt[0] + u.sqrt[1];
  const theta = divUp(u.div[0] + muRoot, ONE - muRoot);
  const eS = mulUp(rHi, eSigma + mulUp(theta, Ssigma + eSigma)) + u.div[1];
  const delta = eS + ceilShift(2n * (mulUp(rHi, Ssigma) + eS), 24);
  ensureWithin(2n * delta <= ONE, null, RULE, () => `the scores' rounding error bound ${delta}/2^${F} exceeds 1/2: the float32 bound does not apply`);
  const A = mulUp(ONE + delta + mulUp(delta, delta), ONE + u.exp[0]) - ONE;
  const H = 2n * BigInt(K) * u.exp[1];
  ensureWithin(2n * (A + H) <= ONE, null, RULE, () => `the softmax's rounding error bound ${A + H}/2^${F} exceeds 1/2: the float32 bound does not apply`);
  const gK1 = gamma(K - 1);
  return { omega: divUp(2n * (A + H), ONE - A - H) + divUp(u.div[0] + gK1, ONE - gK1) + BigInt(K) * u.div[1], Ssigma };
}

/** ε over 2^F (SPEC §1.1): the margin by which exact logit gaps must beat 0 for the float32 argmax to be right. */
export function float32Margin(model: ExactModel, s: Float32Semantics, ops: Ops, work: WorkBudget): bigint {
  const { vocab: V, k: K, dModel: d, dHead: h } = model;
  // Work: the products below, EVOU and PVOU, and the maxima over every (token, position) pair.
  const products = (4 * matmulWork(V + K, d, h) + 2 * matmulWork(h, d, V)) * pathCost(model);
  ensureWork({ step: null, work }, RULE, products + pathWork(model, 'EVOU') + pathWork(model, 'PVOU') + 2 * V * K * (d + 3 * h + V), 'the float32 rounding margin');
  const u: Ulps = { exp: ulps(s.expUlps, 'expUlps'), div: ulps(s.divUlps, 'divUlps'), sqrt: ulps(s.sqrtUlps, 'sqrtUlps') };
  const { dx, Xh, q, k, v } = layers(model, ops);
  const { omega, Ssigma } = attentionError(model, q, k, u, ops);
  // The value path: z, o, the residual, the logits.
  const W = model.tensors;
  const Ve = plus(v.max, v.e);
  const rhoZ = Ve.map((x) => mulUp(gamma(K), mulUp(ONE + omega, x)) + BigInt(K) * NU);
  const Z = Ve.map((x, j) => mulUp(ONE + omega, x) + rhoZ[j]);
  const ZO = plus(vecAbs(Z, W.O, ops), absUp(W.bO));
  const rhoO = ZO.map((x) => mulUp(gamma(h + 1), x) + BigInt(h + 1) * NU);
  const rhoR = plus(Xh, ZO, rhoO).map((x) => ceilShift(x, 24));
  const R = plus(Xh, ZO, rhoO, rhoR);
  const RU = plus(vecAbs(R, W.U, ops), absUp(W.bU));
  ensureWithin(vmax([...RU, ...R, ...q.mag, ...k.mag, ...v.mag, Ssigma]) < ONE << 64n, null, RULE, 'a magnitude bound reaches 2^64: the float32 bound does not apply');
  const WOU = matmul(W.O, W.U, ops);
  const OV = maxAbsSum(model.EVOU, model.PVOU, matmul(W.bV, WOU, ops), ops);
  const e = plus(
    RU.map((x) => mulUp(gamma(d + 1), x) + BigInt(d + 1) * NU),
    vecAbs(plus(rhoR, dx, rhoO), W.U, ops),
    vecAbs(plus(rhoZ, v.e.map((x) => mulUp(omega, x)), v.rho), WOU, ops),
    OV.map((x) => mulUp(omega, x)),
    vecAbs(dx, matmul(W.V, WOU, ops), ops),
  );
  return 2n * vmax(e);
}

/** ε as the exact dyadic ε/2^F. */
export const MARGIN_FRAC_BITS = F;
/**
 * ε on the logit paths' grid 2^−exp, rounded up (so that it is never below ε): the count rules add it to exact path
 * sums. Callers refine the paths to at least 2^−64 for a float32 claim (logitPaths' minExp), or integer weights would
 * round ε up to 1; the rounding then costs at most 2^−64 of margin.
 */
export const marginOnGrid = (margin: bigint, exp: number): bigint => (exp >= F ? margin << BigInt(exp - F) : ceilShift(margin, F - exp));
/** ε (over 2^F) in decimal, rounded up to 12 places, for messages and the verdict. */
export const marginDecimal = (margin: bigint): string => decimalFloor({ p: ceilDiv(margin * 10n ** 12n, ONE), q: 10n ** 12n }, 12);
