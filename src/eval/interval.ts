/**
 * Confidence intervals for the accuracy estimates: the standard normal quantile, and the interval description every
 * estimate carries.
 */

/** A two-sided interval at `confidence` (e.g. 0.95) for the accuracy over all V^K sequences. */
export interface Interval {
  lower: number;
  upper: number;
  confidence: number;
  /** How it was computed, e.g. "Wilson score". */
  kind: string;
}

// Coefficients of P. J. Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
/** Below this probability (and above 1 minus it) the tail form of the approximation applies. */
const P_LOW = 0.02425;

function polynomial(coefficients: number[], x: number): number {
  return coefficients.reduce((acc, c) => acc * x + c, 0);
}

/** The standard normal quantile Φ⁻¹(p), 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p = ${p} is not in (0, 1)`);
  if (p > 1 - P_LOW) return -normalQuantile(1 - p);
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return polynomial(C, q) / (polynomial(D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(A, r) * q) / (polynomial(B, r) * r + 1);
}

/** The z of a two-sided interval at `confidence`: Φ⁻¹((1 + confidence) / 2). */
export function zFor(confidence: number): number {
  return normalQuantile((1 + confidence) / 2);
}
