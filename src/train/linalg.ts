/**
 * Dense float64 kernels for the trainer, row-major. Every output entry is one sum in a fixed order, over k ascending
 * and started from 0: C[i, c] = ((0 + A[i, 0]·B[0, c]) + A[i, 1]·B[1, c]) + … . So results are bit-identical from run
 * to run and do not depend on how the loops are tiled: the kernel computes a 2×4 tile of outputs at a time, eight
 * independent sums each kept in a local variable (no load and store of C per product) while each loaded entry of A
 * and B serves two or four products. Output arrays must not alias inputs.
 */

/**
 * C[i, c] = Σ_k A(i, k)·B(k, c) for C [m, p] (row-major), k = 0 … n-1 in order, with A(i, k) = A[i·aI + k·aK] and
 * B(k, c) = B[k·bK + c·bC]: the strides let one kernel read A, Aᵀ, B or Bᵀ in place.
 */
function gemm(C: Float64Array, m: number, p: number, n: number, A: Float64Array, aI: number, aK: number, B: Float64Array, bK: number, bC: number): void {
  const p4 = p - (p % 4);
  const bC2 = 2 * bC;
  const bC3 = 3 * bC;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * aI;
    const a1 = a0 + aI;
    const c0 = i * p;
    const c1 = c0 + p;
    for (let c = 0; c < p4; c += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = 0, ak = 0, bk = c * bC; k < n; k++, ak += aK, bk += bK) {
        const x = A[a0 + ak];
        const y = A[a1 + ak];
        const b0 = B[bk];
        const b1 = B[bk + bC];
        const b2 = B[bk + bC2];
        const b3 = B[bk + bC3];
        s0 += x * b0;
        s1 += x * b1;
        s2 += x * b2;
        s3 += x * b3;
        t0 += y * b0;
        t1 += y * b1;
        t2 += y * b2;
        t3 += y * b3;
      }
      C[c0 + c] = s0;
      C[c0 + c + 1] = s1;
      C[c0 + c + 2] = s2;
      C[c0 + c + 3] = s3;
      C[c1 + c] = t0;
      C[c1 + c + 1] = t1;
      C[c1 + c + 2] = t2;
      C[c1 + c + 3] = t3;
    }
    for (let c = p4; c < p; c++) {
      C[c0 + c] = dot(A, a0, aK, B, c * bC, bK, n);
      C[c1 + c] = dot(A, a1, aK, B, c * bC, bK, n);
    }
  }
  if (i < m) for (let c = 0; c < p; c++) C[i * p + c] = dot(A, i * aI, aK, B, c * bC, bK, n);
}

/** Σ_k A[a + k·aK]·B[b + k·bK], k = 0 … n-1 in order, from 0: the kernel's sum for one entry outside its tiles. */
function dot(A: Float64Array, a: number, aK: number, B: Float64Array, b: number, bK: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += A[a + k * aK] * B[b + k * bK];
  return s;
}

/** C[m, p] = A[m, n] · B[n, p]. */
export function matmul(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  gemm(C, m, p, n, A, n, 1, B, p, 1);
}

/** C[n, p] = A[m, n]ᵀ · B[m, p] (the weight-gradient shape: inputs ᵀ × output gradients, summed over rows). */
export function matmulTN(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  gemm(C, n, p, m, A, 1, n, B, p, 1);
}

/** C[m, p] = A[m, n] · B[p, n]ᵀ (the input-gradient shape: output gradients × weightsᵀ). */
export function matmulNT(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  gemm(C, m, p, n, A, n, 1, B, 1, n);
}
