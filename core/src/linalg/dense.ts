/**
 * Raw kernels on dense row-major n×n Float64Arrays (offset 0). Families and nodes call these on
 * their small matrices directly. Nothing allocates
 * except where a function's doc says it returns a new array.
 */
import { VireoError } from "../errors.js";

/**
 * Lower Cholesky factor of the SPD matrix `a` into `out` (may alias `a`); upper triangle of `out`
 * is zeroed. Throws NOT_POSITIVE_DEFINITE naming the size and the failing pivot.
 */
export function choleskyInto(a: Float64Array, n: number, out: Float64Array, what = "matrix"): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= out[j * n + k]! * out[j * n + k]!;
    if (!(d > 0) || !Number.isFinite(d)) {
      throw new VireoError(
        "NOT_POSITIVE_DEFINITE",
        `Cholesky: the ${n}×${n} ${what} is not positive definite: pivot ${j} (0-based) is ${d} after ` +
          `elimination. Expected a symmetric positive-definite matrix; check for a negative variance, ` +
          `a singular covariance or NaN entries.`,
      );
    }
    const ljj = Math.sqrt(d);
    out[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= out[i * n + k]! * out[j * n + k]!;
      out[i * n + j] = s / ljj;
    }
    for (let i = 0; i < j; i++) out[i * n + j] = 0;
  }
  return out;
}

/** Solves L x = b in place in `b` (L lower triangular, dense row-major). */
export function forwardSubstitute(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  return b;
}

/** Solves Lᵀ x = b in place in `b` (L lower triangular, so Lᵀ is upper). */
export function backSubstituteTransposed(L: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  return b;
}

/** Solves (L Lᵀ) x = b in place in `b`. */
export function choleskySolveInPlace(L: Float64Array, n: number, b: Float64Array): Float64Array {
  return backSubstituteTransposed(L, n, forwardSubstitute(L, n, b));
}

/** log det(L Lᵀ) = 2 Σ log L_ii. */
export function logDetFromCholesky(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]!);
  return 2 * s;
}

/** (L Lᵀ)⁻¹ into `out` (n×n), using `work` (length n) as scratch. */
export function inverseFromCholesky(L: Float64Array, n: number, out: Float64Array, work = new Float64Array(n)): Float64Array {
  for (let j = 0; j < n; j++) {
    work.fill(0);
    work[j] = 1;
    choleskySolveInPlace(L, n, work);
    for (let i = 0; i < n; i++) out[i * n + j] = work[i]!;
  }
  // Symmetrise: the two triangles differ only by round-off.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const v = 0.5 * (out[i * n + j]! + out[j * n + i]!);
    out[i * n + j] = v;
    out[j * n + i] = v;
  }
  return out;
}

/** A new n×n Cholesky factor of `a`. */
export function cholesky(a: Float64Array, n: number, what?: string): Float64Array {
  return choleskyInto(a, n, new Float64Array(n * n), what);
}

/** A new inverse of the SPD matrix `a`. */
export function spdInverseDense(a: Float64Array, n: number, what?: string): Float64Array {
  return inverseFromCholesky(cholesky(a, n, what), n, new Float64Array(n * n));
}

/** log det of the SPD matrix `a`. */
export function spdLogDetDense(a: Float64Array, n: number, what?: string): number {
  return logDetFromCholesky(cholesky(a, n, what), n);
}
