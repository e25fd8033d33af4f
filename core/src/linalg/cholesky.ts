/**
 * Cholesky factorisation, triangular solves and SPD solve / inverse / log-determinant on `Arr`
 * matrices. Strided inputs are packed once into dense scratch; the dense kernels do the work.
 */
import { zeros } from "../ndarray/adapter.js";
import { isDenseRowMajor, type Arr } from "../ndarray/layout.js";
import { VireoError } from "../errors.js";
import {
  choleskyInto,
  forwardSubstitute,
  backSubstituteTransposed,
  logDetFromCholesky,
  inverseFromCholesky,
} from "./dense.js";

function square(op: string, A: Arr): number {
  if (A.shape.length !== 2 || A.shape[0] !== A.shape[1]) {
    throw new VireoError("DIMENSION_MISMATCH", `${op}: expected a square matrix, got shape [${A.shape.join(", ")}].`);
  }
  return A.shape[0]!;
}

function dense(A: Arr): Float64Array {
  if (isDenseRowMajor(A)) return A.data;
  const n = A.shape[0]!, m = A.shape[1]!;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[i * m + j] = A.get(i, j);
  return out;
}

/** Lower-triangular L with A = L Lᵀ, written into `out` (a new n×n array when omitted). */
export function choleskyFactor(A: Arr, out?: Arr): Arr {
  const n = square("cholesky", A);
  const L = out ?? zeros([n, n]);
  if (L.shape.length !== 2 || L.shape[0] !== n || L.shape[1] !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `cholesky: A is ${n}×${n} but \`out\` has shape [${L.shape.join(", ")}].`);
  }
  if (!isDenseRowMajor(L)) throw new VireoError("INVALID_PARAMETER", "cholesky: `out` must be a dense row-major n×n array.");
  choleskyInto(dense(A), n, L.data);
  return L;
}

/** Solves L X = B (L lower triangular) for each column of B (vector or n×k), in place in B. */
export function solveLower(L: Arr, B: Arr): Arr {
  return triangularSolve(L, B, false);
}

/** Solves Lᵀ X = B (L lower triangular) for each column of B, in place in B. */
export function solveLowerTransposed(L: Arr, B: Arr): Arr {
  return triangularSolve(L, B, true);
}

function triangularSolve(L: Arr, B: Arr, transposed: boolean): Arr {
  const n = square("triangular solve", L);
  if (B.shape[0] !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `triangular solve: L is ${n}×${n} but the right-hand side has ${B.shape[0]} rows.`);
  }
  const Ld = dense(L);
  const cols = B.shape.length === 1 ? 1 : B.shape[1]!;
  const col = new Float64Array(n);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < n; i++) col[i] = B.shape.length === 1 ? B.get(i) : B.get(i, c);
    if (transposed) backSubstituteTransposed(Ld, n, col);
    else forwardSubstitute(Ld, n, col);
    for (let i = 0; i < n; i++) B.shape.length === 1 ? B.set(i, col[i]!) : B.set(i, c, col[i]!);
  }
  return B;
}

/** Solves A X = B for SPD A (B a vector or n×k matrix), returning a new array. */
export function spdSolve(A: Arr, B: Arr): Arr {
  const L = choleskyFactor(A);
  const X = zeros(B.shape.slice());
  const cols = B.shape.length === 1 ? 1 : B.shape[1]!;
  const n = L.shape[0]!;
  if (B.shape[0] !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `spdSolve: A is ${n}×${n} but B has ${B.shape[0]} rows.`);
  }
  for (let i = 0; i < n; i++) for (let c = 0; c < cols; c++) X.data[i * cols + c] = B.shape.length === 1 ? B.get(i) : B.get(i, c);
  solveLower(L, X);
  solveLowerTransposed(L, X);
  return X;
}

/** A⁻¹ for SPD A, as a new array. */
export function spdInverse(A: Arr): Arr {
  const L = choleskyFactor(A);
  const n = L.shape[0]!;
  const out = zeros([n, n]);
  inverseFromCholesky(L.data, n, out.data);
  return out;
}

/** log det A for SPD A: twice the sum of the log pivots of its Cholesky factor. */
export function spdLogDet(A: Arr): number {
  const L = choleskyFactor(A);
  return logDetFromCholesky(L.data, L.shape[0]!);
}
