/**
 * Dense kernels the GP code runs on: row-major Float64Arrays with explicit sizes, in place on caller
 * buffers, allocating nothing. The O(N M²) and O(M³) work goes through core's packed GEMM
 * (linalg/gemm.ts) and the blocked triangular kernels built on it (linalg/triangular.ts); what is
 * left here is the small glue (α/β conventions, weighted products) and the Cholesky with jitter
 * and its backward rule.
 */
import { VireoError, fmt } from "../errors.js";
import { gemmStrided } from "../linalg/gemm.js";
import { gemmLowerNT, mirrorLower, trsmLower, trsmLowerTransposed } from "../linalg/triangular.js";

/** B ← L⁻¹ B for L (m×m, lower) and B (m×n): blocked forward substitution (linalg/triangular.ts). */
export function solveLowerInPlace(L: Float64Array, m: number, B: Float64Array, n: number): void {
  trsmLower(L, m, B, n);
}

/** B ← L⁻ᵀ B for L (m×m, lower) and B (m×n): blocked back substitution (linalg/triangular.ts). */
export function solveLowerTransposedInPlace(L: Float64Array, m: number, B: Float64Array, n: number): void {
  trsmLowerTransposed(L, m, B, n);
}

/** C ← β C (β = 0 clears, so NaN in C does not survive). */
function scaleRows(C: Float64Array, len: number, beta: number): void {
  if (beta === 0) C.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) C[i] *= beta;
}

/** C ← β C + α A B for A (m×k), B (k×n), C (m×n). */
export function gemmNN(alpha: number, A: Float64Array, B: Float64Array, beta: number, C: Float64Array, m: number, k: number, n: number): void {
  scaleRows(C, m * n, beta);
  gemmStrided(m, n, k, A, 0, k, 1, B, 0, n, 1, C, 0, n, true, alpha);
}

/**
 * C ← β C + α A diag(w) Bᵀ for A (m×k), B (n×k), C (m×n) (w omitted: the identity). Without w one
 * GEMM; with w, one weighted dot product per entry (callers on hot paths scale a copy of A by w
 * and call the GEMM form instead).
 */
export function gemmNT(alpha: number, A: Float64Array, B: Float64Array, beta: number, C: Float64Array, m: number, k: number, n: number, w?: Float64Array): void {
  if (!w) {
    scaleRows(C, m * n, beta);
    gemmStrided(m, n, k, A, 0, k, 1, B, 0, 1, k, C, 0, n, true, alpha);
    return;
  }
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const s = dotWeighted(A, ai, B, j * k, w, k);
      C[i * n + j] = beta === 0 ? alpha * s : beta * C[i * n + j]! + alpha * s;
    }
  }
}

/**
 * Σ_p x[xo + p] y[yo + p] with four independent accumulators: a single running sum makes each
 * add wait for the previous one, four keep the floating-point units busy.
 */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, k: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, p = 0;
  for (; p + 3 < k; p += 4) {
    s0 += x[xo + p]! * y[yo + p]!;
    s1 += x[xo + p + 1]! * y[yo + p + 1]!;
    s2 += x[xo + p + 2]! * y[yo + p + 2]!;
    s3 += x[xo + p + 3]! * y[yo + p + 3]!;
  }
  for (; p < k; p++) s0 += x[xo + p]! * y[yo + p]!;
  return s0 + s1 + s2 + s3;
}

function dotWeighted(x: Float64Array, xo: number, y: Float64Array, yo: number, w: Float64Array, k: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, p = 0;
  for (; p + 3 < k; p += 4) {
    s0 += x[xo + p]! * w[p]! * y[yo + p]!;
    s1 += x[xo + p + 1]! * w[p + 1]! * y[yo + p + 1]!;
    s2 += x[xo + p + 2]! * w[p + 2]! * y[yo + p + 2]!;
    s3 += x[xo + p + 3]! * w[p + 3]! * y[yo + p + 3]!;
  }
  for (; p < k; p++) s0 += x[xo + p]! * w[p]! * y[yo + p]!;
  return s0 + s1 + s2 + s3;
}

/**
 * C ← β C + α A diag(w) Aᵀ (m×m, symmetric) for A (m×k). The weighted Gram matrix of a block of
 * columns, the O(M²) work per data point: A diag(w) is written into `scratch` (when it holds m·k
 * values) and the lower triangle goes through the panel GEMM, then is mirrored. With w null no
 * copy is made; with a shorter scratch, one weighted dot product per lower entry.
 */
export function syrkWeighted(alpha: number, A: Float64Array, m: number, k: number, w: Float64Array | null, beta: number, C: Float64Array, scratch: Float64Array): void {
  if (!w || scratch.length >= m * k) {
    let left = A;
    if (w) {
      left = scratch;
      for (let i = 0; i < m; i++) {
        const ai = i * k;
        for (let p = 0; p < k; p++) scratch[ai + p] = A[ai + p]! * w[p]!;
      }
    }
    if (beta !== 0 && beta !== 1) for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) C[i * m + j] *= beta;
    gemmLowerNT(alpha, m, k, left, A, C, beta !== 0);
    mirrorLower(C, m);
    return;
  }
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let p = 0; p < k; p++) scratch[p] = A[ai + p]! * w[p]!;
    for (let j = 0; j <= i; j++) {
      const s = dot(scratch, 0, A, j * k, k);
      const v = beta === 0 ? alpha * s : beta * C[i * m + j]! + alpha * s;
      C[i * m + j] = v;
      C[j * m + i] = v;
    }
  }
}

/** Result of a Cholesky factorisation with jitter: the jitter that had to be added to the diagonal. */
export interface JitteredCholesky {
  /** Jitter added to every diagonal entry (0 when the matrix factorised as given). */
  readonly jitter: number;
}

/**
 * Lower Cholesky factor of (A + δ I) into `out`, trying δ = `jitter`, then growing it tenfold from
 * 1e-10 · mean(diag A) up to 1e-2 · mean(diag A). Kernel matrices over close inputs are PSD only in
 * exact arithmetic; the jitter used is returned so callers can report it. Throws
 * NOT_POSITIVE_DEFINITE naming `what` when even the largest jitter fails.
 */
export function choleskyWithJitter(A: Float64Array, n: number, out: Float64Array, jitter: number, what: string): JitteredCholesky {
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += A[i * n + i]!;
  meanDiag = n > 0 ? meanDiag / n : 1;
  if (!Number.isFinite(meanDiag)) {
    throw new VireoError("NOT_POSITIVE_DEFINITE", `${what}: the diagonal holds a non-finite value (mean ${fmt(meanDiag)}); check the kernel hyperparameters and inputs.`);
  }
  const scale = meanDiag > 0 ? meanDiag : 1;
  let delta = jitter;
  for (;;) {
    if (tryCholesky(A, n, out, delta)) return { jitter: delta };
    delta = delta < 1e-10 * scale ? 1e-10 * scale : delta * 10;
    if (delta > 1e-2 * scale) {
      throw new VireoError(
        "NOT_POSITIVE_DEFINITE",
        `${what} (${n}×${n}) is not positive definite even with jitter ${fmt(delta / 10)} on the diagonal. ` +
          `Check for duplicated inducing inputs, a lengthscale far larger than the input range, or NaN hyperparameters.`,
      );
    }
  }
}

function tryCholesky(a: Float64Array, n: number, out: Float64Array, delta: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]! + delta;
    for (let k = 0; k < j; k++) d -= out[rj + k]! * out[rj + k]!;
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    out[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= out[ri + k]! * out[rj + k]!;
      out[ri + j] = s * inv;
    }
    for (let i = 0; i < j; i++) out[i * n + j] = 0;
  }
  return true;
}

/** Σ log L_ii. */
export function logDetHalf(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]!);
  return s;
}

/** out ← (L Lᵀ)⁻¹ (m×m) from its Cholesky factor. */
export function inverseFromFactor(L: Float64Array, m: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < m; i++) out[i * m + i] = 1;
  solveLowerInPlace(L, m, out, m);
  solveLowerTransposedInPlace(L, m, out, m);
}

/**
 * Backward rule of A = L Lᵀ (Murray 2016): given L̄ (lower triangle read), writes the symmetric
 * Ā = L⁻ᵀ sym(Φ(Lᵀ L̄)) L⁻¹ into `out` (Φ: lower triangle with the diagonal halved). `work` is m×m.
 */
export function choleskyBackward(L: Float64Array, Lbar: Float64Array, m: number, out: Float64Array, work: Float64Array): void {
  // P = Φ(Lᵀ L̄), lower triangle only: P_ij = Σ_{k≥i} L_ki L̄_kj for i ≥ j, summed k-outer so the
  // inner loop runs along row k of L̄ (contiguous) instead of down two columns.
  work.fill(0, 0, m * m);
  for (let k = 0; k < m; k++) {
    const rk = k * m;
    for (let i = 0; i <= k; i++) {
      const l = L[rk + i]!;
      if (l === 0) continue;
      const ri = i * m;
      for (let j = 0; j <= i; j++) work[ri + j] += l * Lbar[rk + j]!;
    }
  }
  for (let i = 0; i < m; i++) work[i * m + i] *= 0.5;
  // sym(P)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * work[i * m + j]!;
      work[i * m + j] = v;
      work[j * m + i] = v;
    }
  }
  // out = L⁻ᵀ sym(P) L⁻¹ = L⁻ᵀ (L⁻ᵀ sym(P))ᵀ since sym(P) is symmetric.
  solveLowerTransposedInPlace(L, m, work, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) out[i * m + j] = work[j * m + i]!;
  solveLowerTransposedInPlace(L, m, out, m);
}
