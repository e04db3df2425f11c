/**
 * Dense float64 kernels for the trainer, row-major. Every sum runs in a fixed order, so results are bit-identical
 * from run to run. Output arrays must not alias inputs.
 */

/** C[m, p] = A[m, n] · B[n, p]. */
export function matmul(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  C.fill(0, 0, m * p);
  for (let i = 0; i < m; i++) {
    const ao = i * n;
    const co = i * p;
    for (let j = 0; j < n; j++) {
      const a = A[ao + j];
      const bo = j * p;
      for (let c = 0; c < p; c++) C[co + c] += a * B[bo + c];
    }
  }
}

/** C[n, p] += A[m, n]ᵀ · B[m, p] (the weight-gradient shape: inputs ᵀ × output gradients, summed over rows). */
export function addMatmulTN(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  for (let i = 0; i < m; i++) {
    const ao = i * n;
    const bo = i * p;
    for (let j = 0; j < n; j++) {
      const a = A[ao + j];
      const co = j * p;
      for (let c = 0; c < p; c++) C[co + c] += a * B[bo + c];
    }
  }
}

/** C[m, p] = A[m, n] · B[p, n]ᵀ (the input-gradient shape: output gradients × weightsᵀ). */
export function matmulNT(C: Float64Array, A: Float64Array, B: Float64Array, m: number, n: number, p: number): void {
  for (let i = 0; i < m; i++) {
    const ao = i * n;
    const co = i * p;
    for (let c = 0; c < p; c++) {
      const bo = c * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += A[ao + j] * B[bo + j];
      C[co + c] = s;
    }
  }
}
