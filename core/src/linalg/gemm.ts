/**
 * General dense matrix product C (+)= op(A)·op(B) on Float64Arrays with explicit strides, in the
 * style of BLIS/GotoBLAS: B is copied into k_c × 4 column panels and A into 4 × k_c row panels
 * (both p-major, so the inner loop reads two sequential streams), and a 4×4 micro-kernel keeps its
 * 16 sums in locals (registers) over the whole k_c block. Packing makes transposed operands cost
 * the same as plain ones, so the tape's forward (A·B) and both gradients (G·Bᵀ, Aᵀ·G) share one
 * kernel. The packing buffers are grow-only module scratch: a warm call allocates nothing.
 *
 * Element (i, p) of A is A[aOff + i·ars + p·acs]; element (p, j) of B is B[bOff + p·brs + j·bcs];
 * C is row-major with leading dimension ldc from cOff.
 */

/** Depth of one packed block: 4 + 4 rows of k_c doubles (16 KiB) stay in L1 across the micro-kernel. */
const KC = 256;
/** Rows of A per packed block (M_C × K_C doubles = 128 KiB, in L2). */
const MC = 64;
/** Columns of B per packed block (K_C × N_C doubles = 1 MiB at most, in L2/L3). */
const NC = 512;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

/**
 * C ← α op(A)·op(B) (accumulate false) or C ← C + α op(A)·op(B) (accumulate true), C of shape
 * m × n, the product over k. Strides describe the operands, so a transposed operand is a stride
 * swap. α (default 1) is applied once per register tile, when the tile is added into C.
 */
export function gemmStrided(
  m: number, n: number, k: number,
  A: Float64Array, aOff: number, ars: number, acs: number,
  B: Float64Array, bOff: number, brs: number, bcs: number,
  C: Float64Array, cOff: number, ldc: number,
  accumulate: boolean,
  alpha = 1,
): void {
  if (!accumulate) {
    for (let i = 0; i < m; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (m === 0 || n === 0 || k === 0) return;
  if (m * n * k < 4096 || n < 4 || m < 4) {
    smallProduct(m, n, k, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, ldc, alpha);
    return;
  }
  const ncMax = Math.min(NC, roundUp4(n)), kcMax = Math.min(KC, k);
  if (packB.length < kcMax * ncMax) packB = new Float64Array(kcMax * ncMax);
  if (packA.length < MC * kcMax) packA = new Float64Array(MC * kcMax);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelsB(B, bOff + pc * brs + jc * bcs, brs, bcs, kc, nc, packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelsA(A, aOff + ic * ars + pc * acs, ars, acs, mc, kc, packA);
        blockProduct(mc, nc, kc, packA, packB, C, cOff + ic * ldc + jc, ldc, alpha);
      }
    }
  }
}

function roundUp4(x: number): number {
  return (x + 3) & ~3;
}

/** B block (kc × nc) → ⌈nc/4⌉ panels, each kc rows of 4 values (zero-padded at the right edge). */
function packPanelsB(B: Float64Array, off: number, brs: number, bcs: number, kc: number, nc: number, out: Float64Array): void {
  let o = 0;
  for (let j = 0; j < nc; j += 4) {
    const w = Math.min(4, nc - j);
    const col = off + j * bcs;
    if (w === 4) {
      for (let p = 0, src = col; p < kc; p++, src += brs) {
        out[o] = B[src]!;
        out[o + 1] = B[src + bcs]!;
        out[o + 2] = B[src + 2 * bcs]!;
        out[o + 3] = B[src + 3 * bcs]!;
        o += 4;
      }
    } else {
      for (let p = 0, src = col; p < kc; p++, src += brs) {
        for (let c = 0; c < 4; c++) out[o + c] = c < w ? B[src + c * bcs]! : 0;
        o += 4;
      }
    }
  }
}

/** A block (mc × kc) → ⌈mc/4⌉ panels, each kc columns of 4 values (zero-padded at the bottom edge). */
function packPanelsA(A: Float64Array, off: number, ars: number, acs: number, mc: number, kc: number, out: Float64Array): void {
  let o = 0;
  for (let i = 0; i < mc; i += 4) {
    const h = Math.min(4, mc - i);
    const row = off + i * ars;
    if (h === 4) {
      for (let p = 0, src = row; p < kc; p++, src += acs) {
        out[o] = A[src]!;
        out[o + 1] = A[src + ars]!;
        out[o + 2] = A[src + 2 * ars]!;
        out[o + 3] = A[src + 3 * ars]!;
        o += 4;
      }
    } else {
      for (let p = 0, src = row; p < kc; p++, src += acs) {
        for (let r = 0; r < 4; r++) out[o + r] = r < h ? A[src + r * ars]! : 0;
        o += 4;
      }
    }
  }
}

/** C block += packed A block · packed B block, one 4×4 register tile at a time. */
function blockProduct(mc: number, nc: number, kc: number, pa: Float64Array, pb: Float64Array, C: Float64Array, cOff: number, ldc: number, alpha: number): void {
  for (let j = 0; j < nc; j += 4) {
    const bBase = (j >> 2) * kc * 4;
    const w = Math.min(4, nc - j);
    for (let i = 0; i < mc; i += 4) {
      const aBase = (i >> 2) * kc * 4;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, ai = aBase, bi = bBase; p < kc; p++, ai += 4, bi += 4) {
        const a0 = pa[ai]!, a1 = pa[ai + 1]!, a2 = pa[ai + 2]!, a3 = pa[ai + 3]!;
        const b0 = pb[bi]!, b1 = pb[bi + 1]!, b2 = pb[bi + 2]!, b3 = pb[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      if (alpha !== 1) {
        c00 *= alpha; c01 *= alpha; c02 *= alpha; c03 *= alpha;
        c10 *= alpha; c11 *= alpha; c12 *= alpha; c13 *= alpha;
        c20 *= alpha; c21 *= alpha; c22 *= alpha; c23 *= alpha;
        c30 *= alpha; c31 *= alpha; c32 *= alpha; c33 *= alpha;
      }
      const h = Math.min(4, mc - i);
      const o = cOff + i * ldc + j;
      if (h === 4 && w === 4) {
        C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03;
        const o1 = o + ldc;
        C[o1] += c10; C[o1 + 1] += c11; C[o1 + 2] += c12; C[o1 + 3] += c13;
        const o2 = o1 + ldc;
        C[o2] += c20; C[o2 + 1] += c21; C[o2 + 2] += c22; C[o2 + 3] += c23;
        const o3 = o2 + ldc;
        C[o3] += c30; C[o3 + 1] += c31; C[o3 + 2] += c32; C[o3 + 3] += c33;
      } else {
        storeEdge(C, o, ldc, h, w, c00, c01, c02, c03, 0);
        if (h > 1) storeEdge(C, o, ldc, h, w, c10, c11, c12, c13, 1);
        if (h > 2) storeEdge(C, o, ldc, h, w, c20, c21, c22, c23, 2);
        if (h > 3) storeEdge(C, o, ldc, h, w, c30, c31, c32, c33, 3);
      }
    }
  }
}

function storeEdge(C: Float64Array, o: number, ldc: number, _h: number, w: number, x0: number, x1: number, x2: number, x3: number, r: number): void {
  const q = o + r * ldc;
  C[q] += x0;
  if (w > 1) C[q + 1] += x1;
  if (w > 2) C[q + 2] += x2;
  if (w > 3) C[q + 3] += x3;
}

/** Products too small or too thin to repay packing: dot products straight from the strided operands. */
function smallProduct(
  m: number, n: number, k: number,
  A: Float64Array, aOff: number, ars: number, acs: number,
  B: Float64Array, bOff: number, brs: number, bcs: number,
  C: Float64Array, cOff: number, ldc: number, alpha: number,
): void {
  for (let i = 0; i < m; i++) {
    const ai = aOff + i * ars, ci = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, a = ai, b = bOff + j * bcs; p < k; p++, a += acs, b += brs) s += A[a]! * B[b]!;
      C[ci + j] += alpha * s;
    }
  }
}

/** C[m×n] (+)= A[m×k] · B[k×n], all row-major from offset 0. */
export function gemmNN(m: number, n: number, k: number, A: Float64Array, B: Float64Array, C: Float64Array, accumulate = false): void {
  gemmStrided(m, n, k, A, 0, k, 1, B, 0, n, 1, C, 0, n, accumulate);
}

/** C[m×k] (+)= G[m×n] · B[k×n]ᵀ (the gradient of A in C = A·B). */
export function gemmNT(m: number, n: number, k: number, G: Float64Array, B: Float64Array, C: Float64Array, accumulate = false): void {
  gemmStrided(m, k, n, G, 0, n, 1, B, 0, 1, n, C, 0, k, accumulate);
}

/** C[k×n] (+)= A[m×k]ᵀ · G[m×n] (the gradient of B in C = A·B). */
export function gemmTN(m: number, n: number, k: number, A: Float64Array, G: Float64Array, C: Float64Array, accumulate = false): void {
  gemmStrided(k, n, m, A, 0, 1, k, G, 0, n, 1, C, 0, n, accumulate);
}
