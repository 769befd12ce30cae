/**
 * Ordinary least squares for the handful of columns a price model has: the normal equations
 * XᵀX β = Xᵀy accumulated row by row and solved by Gaussian elimination with partial pivoting.
 */

/**
 * Solves a small least-squares problem.
 * @param columns - number of columns p
 * @param rows - number of rows n
 * @param fill - writes row i's p values into `out`
 * @param y - row i's target
 * @returns the coefficients, or undefined when the columns are (nearly) collinear
 */
export function leastSquares(columns: number, rows: number, fill: (i: number, out: Float64Array) => void, y: (i: number) => number): Float64Array | undefined {
  const p = columns;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const x = new Float64Array(p);
  for (let i = 0; i < rows; i++) {
    fill(i, x);
    const yi = y(i);
    for (let r = 0; r < p; r++) {
      const xr = x[r]!;
      if (xr === 0) continue;
      b[r]! += xr * yi;
      for (let c = 0; c < p; c++) a[r * p + c]! += xr * x[c]!;
    }
  }
  let scale = 0;
  for (let r = 0; r < p; r++) scale = Math.max(scale, Math.abs(a[r * p + r]!));
  if (!(scale > 0)) return undefined;
  // Gaussian elimination with partial pivoting on the augmented system.
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r * p + col]!) > Math.abs(a[pivot * p + col]!)) pivot = r;
    if (Math.abs(a[pivot * p + col]!) < 1e-12 * scale) return undefined;
    if (pivot !== col) {
      for (let c = 0; c < p; c++) {
        const t = a[col * p + c]!;
        a[col * p + c] = a[pivot * p + c]!;
        a[pivot * p + c] = t;
      }
      const t = b[col]!;
      b[col] = b[pivot]!;
      b[pivot] = t;
    }
    for (let r = col + 1; r < p; r++) {
      const f = a[r * p + col]! / a[col * p + col]!;
      if (f === 0) continue;
      for (let c = col; c < p; c++) a[r * p + c]! -= f * a[col * p + c]!;
      b[r]! -= f * b[col]!;
    }
  }
  const beta = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < p; c++) s -= a[r * p + c]! * beta[c]!;
    beta[r] = s / a[r * p + r]!;
  }
  return beta;
}
