/**
 * Level-3 triangular kernels on dense row-major Float64Arrays, built on the packed GEMM
 * (linalg/gemm.ts) the way LAPACK's blocked routines are: a triangular solve with many right-hand
 * sides does only its small diagonal blocks by substitution and hands every off-diagonal update to
 * GEMM, and a symmetric product computes only the blocks on and below the diagonal. Sparse GPs
 * spend their O(N M²) time here (L⁻¹K_ZX, L⁻ᵀĀ, Σ_n w_n a_n a_nᵀ, Ā Aᵀ). Nothing allocates.
 *
 * Shapes: L is m×m lower triangular (leading dimension m; the strict upper triangle is never read);
 * B, A are m×n (or m×k) row-major with leading dimension n (k); C is m×m.
 */
import { gemmStrided } from "./gemm.js";

/** Rows of the smallest diagonal blocks of the triangular solves, done by substitution. */
const SOLVE_BLOCK = 16;
/** Rows of the smallest diagonal blocks of the lower-triangular products, computed whole. */
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

/** Splits [s, e) at a multiple of 4 near its middle, so the GEMMs below see whole 4-row tiles. */
function middle(s: number, e: number): number {
  return s + Math.max(4, ((e - s) >> 1) & ~3);
}

/**
 * B ← L⁻¹ B in place (forward substitution with n right-hand sides). Recursive: solve the top half
 * of the rows, subtract L[bottom, top] · B[top] from the bottom half in one GEMM, solve the bottom
 * half; blocks of SOLVE_BLOCK rows or fewer are substituted directly. Halving keeps the GEMMs'
 * inner dimension large (M/2, M/4, …) where a fixed-width blocked loop would keep it at the block width.
 */
export function trsmLower(L: Float64Array, m: number, B: Float64Array, n: number): void {
  if (n < 4) substituteLower(L, m, B, n, 0, m);
  else solveLowerRows(L, m, B, n, 0, m);
}

function solveLowerRows(L: Float64Array, m: number, B: Float64Array, n: number, s: number, e: number): void {
  if (e - s <= SOLVE_BLOCK) {
    substituteLower(L, m, B, n, s, e);
    return;
  }
  const h = middle(s, e);
  solveLowerRows(L, m, B, n, s, h);
  // B[h:e] −= L[h:e, s:h] · B[s:h]
  gemmStrided(e - h, n, h - s, L, h * m + s, m, 1, B, s * n, n, 1, B, h * n, n, true, -1);
  solveLowerRows(L, m, B, n, h, e);
}

/**
 * B ← L⁻ᵀ B in place (back substitution, Lᵀ upper triangular). Recursive like `trsmLower`, bottom
 * half first: B[top] −= (Lᵀ)[top, bottom] · B[bottom] = L[bottom, top]ᵀ · B[bottom] in one GEMM.
 */
export function trsmLowerTransposed(L: Float64Array, m: number, B: Float64Array, n: number): void {
  if (n < 4) substituteLowerTransposed(L, m, B, n, 0, m);
  else solveLowerTransposedRows(L, m, B, n, 0, m);
}

function solveLowerTransposedRows(L: Float64Array, m: number, B: Float64Array, n: number, s: number, e: number): void {
  if (e - s <= SOLVE_BLOCK) {
    substituteLowerTransposed(L, m, B, n, s, e);
    return;
  }
  const h = middle(s, e);
  solveLowerTransposedRows(L, m, B, n, h, e);
  // B[s:h] −= L[h:e, s:h]ᵀ · B[h:e]: element (i, p) of the left operand is L[(h + p)·m + s + i].
  gemmStrided(h - s, n, e - h, L, h * m + s, 1, m, B, h * n, n, 1, B, s * n, n, true, -1);
  solveLowerTransposedRows(L, m, B, n, s, h);
}

/**
 * Lower triangle of C (m×m) ← α A Bᵀ (accumulate false) or C + α A Bᵀ (accumulate true), A and B
 * m×k row-major. Recursive: the block below the diagonal, C[bottom, top], is one GEMM and the two
 * diagonal blocks recurse, down to blocks of PANEL rows computed whole; about half the work of the
 * full product, with each operand row packed once per level. Entries above the diagonal inside those
 * smallest diagonal blocks are written too and those further up are left as they were: read only
 * the lower triangle, or call `mirrorLower`. With B = A (or a row-scaled A) this is the symmetric
 * rank-k update (syrk).
 */
export function gemmLowerNT(alpha: number, m: number, k: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean): void {
  lowerBlock(alpha, m, k, A, B, C, accumulate, 0, m);
}

function lowerBlock(alpha: number, m: number, k: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate: boolean, s: number, e: number): void {
  if (e - s <= PANEL) {
    // C[s:e, s:e] (+)= α A[s:e] · B[s:e]ᵀ: element (p, j) of the right operand is B[(s + j)·k + p].
    gemmStrided(e - s, e - s, k, A, s * k, k, 1, B, s * k, 1, k, C, s * m + s, m, accumulate, alpha);
    return;
  }
  const h = middle(s, e);
  lowerBlock(alpha, m, k, A, B, C, accumulate, s, h);
  // C[h:e, s:h] (+)= α A[h:e] · B[s:h]ᵀ
  gemmStrided(e - h, h - s, k, A, h * k, k, 1, B, s * k, 1, k, C, h * m + s, m, accumulate, alpha);
  lowerBlock(alpha, m, k, A, B, C, accumulate, h, e);
}

/** Copies C's lower triangle onto its upper triangle (C m×m becomes symmetric). */
export function mirrorLower(C: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) C[j * m + i] = C[i * m + j]!;
}
