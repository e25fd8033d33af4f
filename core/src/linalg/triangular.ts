/**
 * Level-3 triangular kernels on dense row-major Float64Arrays, built on the packed GEMM
 * (linalg/gemm.ts) the way LAPACK's blocked routines are: a triangular solve with many right-hand
 * sides does only its small diagonal blocks by substitution and hands every off-diagonal update to
 * GEMM, and a symmetric product computes only the row panels on and below the diagonal. Sparse GPs
 * spend their O(N M²) time here (L⁻¹K_ZX, L⁻ᵀĀ, Σ_n w_n a_n a_nᵀ, Ā Aᵀ). Nothing allocates.
 *
 * Shapes: L is m×m lower triangular (leading dimension m; the strict upper triangle is never read);
 * B, A are m×n (or m×k) row-major with leading dimension n (k); C is m×m.
 */
import { gemmStrided } from "./gemm.js";

/** Rows per diagonal block of the triangular solves (substitution inside, GEMM outside). */
const SOLVE_BLOCK = 16;
/** Rows per panel of the lower-triangular products (the overshoot past the diagonal is ≤ one panel). */
const PANEL = 16;

/** Substitution on rows [s, e) of B ← L⁻¹B, rows before s already final and subtracted. */
function substituteLower(L: Float64Array, m: number, B: Float64Array, n: number, s: number, e: number): void {
  for (let i = s; i < e; i++) {
    const ri = i * n;
    for (let k = s; k < i; k++) {
      const l = L[i * m + k]!;
      if (l === 0) continue;
      const rk = k * n;
      for (let j = 0; j < n; j++) B[ri + j] -= l * B[rk + j]!;
    }
    const inv = 1 / L[i * m + i]!;
    for (let j = 0; j < n; j++) B[ri + j] *= inv;
  }
}

/** Substitution on rows [s, e) of B ← L⁻ᵀB (upper Lᵀ, bottom-up), rows from e on already final and subtracted. */
function substituteLowerTransposed(L: Float64Array, m: number, B: Float64Array, n: number, s: number, e: number): void {
  for (let i = e - 1; i >= s; i--) {
    const ri = i * n;
    const inv = 1 / L[i * m + i]!;
    for (let j = 0; j < n; j++) B[ri + j] *= inv;
    // Row i is final: remove it from the rows above within the block (column i of Lᵀ = row i of L).
    for (let k = s; k < i; k++) {
      const l = L[i * m + k]!;
      if (l === 0) continue;
      const rk = k * n;
      for (let j = 0; j < n; j++) B[rk + j] -= l * B[ri + j]!;
    }
  }
}

/**
 * B ← L⁻¹ B in place (forward substitution with n right-hand sides). Blocked: after the rows of
 * one diagonal block are solved, all rows below subtract L[below, block] · B[block] in one GEMM.
 */
export function trsmLower(L: Float64Array, m: number, B: Float64Array, n: number): void {
  if (m <= SOLVE_BLOCK || n < 4) {
    substituteLower(L, m, B, n, 0, m);
    return;
  }
  for (let s = 0; s < m; s += SOLVE_BLOCK) {
    const e = Math.min(m, s + SOLVE_BLOCK);
    substituteLower(L, m, B, n, s, e);
    if (e < m) {
      // B[e:m] −= L[e:m, s:e] · B[s:e]
      gemmStrided(m - e, n, e - s, L, e * m + s, m, 1, B, s * n, n, 1, B, e * n, n, true, -1);
    }
  }
}

/**
 * B ← L⁻ᵀ B in place (back substitution with Lᵀ upper triangular). Blocked bottom-up: after a
 * diagonal block is solved, all rows above subtract (Lᵀ)[above, block] · B[block] = L[block, above]ᵀ · B[block].
 */
export function trsmLowerTransposed(L: Float64Array, m: number, B: Float64Array, n: number): void {
  if (m <= SOLVE_BLOCK || n < 4) {
    substituteLowerTransposed(L, m, B, n, 0, m);
    return;
  }
  // Blocks aligned at the top so the last one may be short: [s, e) from the bottom.
  const blocks = Math.ceil(m / SOLVE_BLOCK);
  for (let b = blocks - 1; b >= 0; b--) {
    const s = b * SOLVE_BLOCK, e = Math.min(m, s + SOLVE_BLOCK);
    substituteLowerTransposed(L, m, B, n, s, e);
    if (s > 0) {
      // B[0:s] −= L[s:e, 0:s]ᵀ · B[s:e]: element (i, p) of the left operand is L[(s + p)·m + i].
      gemmStrided(s, n, e - s, L, s * m, 1, m, B, s * n, n, 1, B, 0, n, true, -1);
    }
  }
}

/**
 * Lower triangle of C (m×m) ← α A Bᵀ (accumulate false) or C + α A Bᵀ (accumulate true), A and B
 * m×k row-major: one GEMM per panel of PANEL rows over the columns up to the panel's end, so about
 * half the work of the full product. Entries above the diagonal inside a panel's diagonal block are
 * written too and those further up are left as they were: read only the lower triangle, or call
 * `mirrorLower`. With B = A (or a row-scaled A) this is the symmetric rank-k update (syrk).
 */
export function gemmLowerNT(alpha: number, m: number, k: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  for (let s = 0; s < m; s += PANEL) {
    const e = Math.min(m, s + PANEL);
    // C[s:e, 0:e] (+)= α A[s:e] · B[0:e]ᵀ: element (p, j) of the right operand is B[j·k + p].
    gemmStrided(e - s, e, k, A, s * k, k, 1, B, 0, 1, k, C, s * m, m, accumulate, alpha);
  }
}

/** Copies C's lower triangle onto its upper triangle (C m×m becomes symmetric). */
export function mirrorLower(C: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) C[j * m + i] = C[i * m + j]!;
}
