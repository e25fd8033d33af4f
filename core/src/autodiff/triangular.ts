/**
 * Cholesky-based linear algebra on the tape, for full-rank Gaussians:
 * - lowerFromPacked: a lower-triangular factor from unconstrained parameters (diagonal through exp,
 *   so the factor is always a valid Cholesky factor);
 * - triSolve: x = L⁻¹ b for lower-triangular L;
 * - logDetTriangular: log|det L| = Σ log|L_ii|;
 * - logDetSpd: log det A for SPD A through its Cholesky factor (reads the lower triangle of A).
 */
import { VireoError } from "../errors.js";
import { choleskyInto, inverseFromCholesky } from "../linalg/dense.js";
import { type TNode, sameTape, describe } from "./tape.js";

/**
 * The n×n lower-triangular L whose row-major lower triangle is read from v[offset ...] row by row
 * (n(n+1)/2 values); diagonal entries are exp of their parameter.
 */
export function lowerFromPacked(v: TNode, n: number, offset = 0): TNode {
  const m = (n * (n + 1)) / 2;
  if (!Number.isInteger(n) || n < 1 || offset < 0 || offset + m > v.size) {
    throw new VireoError("DIMENSION_MISMATCH", `lowerFromPacked: a ${n}×${n} factor needs ${m} values from offset ${offset}, but node ${describe(v)} has ${v.size}.`);
  }
  const out = v.tape.node("lowerFromPacked", 2, n, n);
  out.a = v;
  out.int = offset;
  out.needsGrad = v.needsGrad;
  const L = out.value, p = v.value;
  L.fill(0);
  for (let i = 0, k = offset; i < n; i++) {
    for (let j = 0; j < i; j++) L[i * n + j] = p[k++]!;
    L[i * n + i] = Math.exp(p[k++]!);
  }
  out.backward = lowerFromPackedBackward;
  return out;
}
function lowerFromPackedBackward(out: TNode): void {
  const n = out.d0, g = out.grad, L = out.value, gv = out.a!.grad;
  for (let i = 0, k = out.int; i < n; i++) {
    for (let j = 0; j < i; j++) gv[k++] += g[i * n + j]!;
    gv[k++] += g[i * n + i]! * L[i * n + i]!;
  }
}

/** x = L⁻¹ b for lower-triangular L ([n, n]) and b ([n] or [n, k]); only L's lower triangle is read. */
export function triSolve(L: TNode, b: TNode): TNode {
  const t = sameTape("triSolve", L, b);
  if (L.rank !== 2 || L.d0 !== L.d1 || b.rank === 0 || b.d0 !== L.d0) {
    throw new VireoError("DIMENSION_MISMATCH", `triSolve: expected L of shape [n, n] and b of shape [n] or [n, k], got L ${describe(L)} and b ${describe(b)}.`);
  }
  const n = L.d0, k = b.rank === 1 ? 1 : b.d1;
  const out = t.node("triSolve", b.rank, b.d0, b.d1);
  out.a = L;
  out.b = b;
  out.needsGrad = L.needsGrad || b.needsGrad;
  const l = L.value, x = out.value;
  x.set(b.value);
  for (let i = 0; i < n; i++) {
    const d = l[i * n + i]!;
    if (d === 0 || !Number.isFinite(d)) {
      throw new VireoError("NUMERICAL_FAILURE", `triSolve: diagonal entry ${i} of L ${describe(L)} is ${d}; a triangular solve needs a non-zero finite diagonal.`);
    }
  }
  forward(l, n, x, k);
  out.backward = triSolveBackward;
  return out;
}

/** In-place L⁻¹ X for the k columns of the n×k row-major X. */
function forward(l: Float64Array, n: number, x: Float64Array, k: number): void {
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * k + c]!;
      for (let p = 0; p < i; p++) s -= l[i * n + p]! * x[p * k + c]!;
      x[i * k + c] = s / l[i * n + i]!;
    }
  }
}

function triSolveBackward(out: TNode): void {
  // With x = L⁻¹b: gb = L⁻ᵀ gx and gL = −tril(gb xᵀ).
  const L = out.a!, b = out.b!, n = L.d0, k = out.size / n, l = L.value, x = out.value;
  const gb = out.scratch(out.size);
  gb.set(out.grad);
  for (let c = 0; c < k; c++) {
    for (let i = n - 1; i >= 0; i--) {
      let s = gb[i * k + c]!;
      for (let p = i + 1; p < n; p++) s -= l[p * n + i]! * gb[p * k + c]!;
      gb[i * k + c] = s / l[i * n + i]!;
    }
  }
  if (b.needsGrad) {
    const g = b.grad;
    for (let i = 0; i < out.size; i++) g[i] += gb[i]!;
  }
  if (L.needsGrad) {
    const gl = L.grad;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += gb[i * k + c]! * x[j * k + c]!;
        gl[i * n + j] -= s;
      }
    }
  }
}

/** log|det L| = Σ log|L_ii| for a square (triangular) L; a scalar. */
export function logDetTriangular(L: TNode): TNode {
  if (L.rank !== 2 || L.d0 !== L.d1) {
    throw new VireoError("DIMENSION_MISMATCH", `logDetTriangular: expected a square matrix, got ${describe(L)}.`);
  }
  const n = L.d0, l = L.value;
  const out = L.tape.node("logDetTriangular", 0, 1, 1);
  out.a = L;
  out.needsGrad = L.needsGrad;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(Math.abs(l[i * n + i]!));
  out.value[0] = s;
  out.backward = logDetTriangularBackward;
  return out;
}
function logDetTriangularBackward(out: TNode): void {
  const L = out.a!, n = L.d0, l = L.value, gl = L.grad, g = out.grad[0]!;
  for (let i = 0; i < n; i++) gl[i * n + i] += g / l[i * n + i]!;
}

/**
 * log det A for symmetric positive-definite A, via A = L Lᵀ. Only the lower triangle of A is read,
 * so the gradient is A⁻¹ on the diagonal and 2·A⁻¹ below it (zero above).
 */
export function logDetSpd(A: TNode): TNode {
  if (A.rank !== 2 || A.d0 !== A.d1) {
    throw new VireoError("DIMENSION_MISMATCH", `logDetSpd: expected a square matrix, got ${describe(A)}.`);
  }
  const n = A.d0;
  const out = A.tape.node("logDetSpd", 0, 1, 1);
  out.a = A;
  out.needsGrad = A.needsGrad;
  const Lf = out.scratch(n * n);
  choleskyInto(A.value, n, Lf, `matrix of logDetSpd (node ${describe(A)})`);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(Lf[i * n + i]!);
  out.value[0] = 2 * s;
  out.backward = logDetSpdBackward;
  return out;
}
function logDetSpdBackward(out: TNode): void {
  const A = out.a!, n = A.d0, g = out.grad[0]!, ga = A.grad;
  const inv = new Float64Array(n * n);
  inverseFromCholesky(out.aux, n, inv);
  for (let i = 0; i < n; i++) {
    ga[i * n + i] += g * inv[i * n + i]!;
    for (let j = 0; j < i; j++) ga[i * n + j] += 2 * g * inv[i * n + j]!;
  }
}
