/**
 * Level-1/2/3 kernels over strided Float64 views. Every kernel reads `.data` with the view's own
 * stride and offset, writes into a caller-supplied output, and allocates nothing.
 */
import type { Arr } from "../ndarray/layout.js";
import { VireoError } from "../errors.js";

function mismatch(op: string, what: string): never {
  throw new VireoError("DIMENSION_MISMATCH", `${op}: ${what}.`);
}

/** xᵀy for vectors of equal length. */
export function dot(x: Arr, y: Arr): number {
  const n = x.shape[0]!;
  if (y.shape[0] !== n) mismatch("dot", `x has length ${n} but y has length ${y.shape[0]}`);
  const xd = x.data, yd = y.data, xs = x.stride[0]!, ys = y.stride[0]!;
  let xi = x.offset, yi = y.offset, s = 0;
  for (let i = 0; i < n; i++, xi += xs, yi += ys) s += xd[xi]! * yd[yi]!;
  return s;
}

/** y ← αx + y. */
export function axpy(alpha: number, x: Arr, y: Arr): Arr {
  const n = x.shape[0]!;
  if (y.shape[0] !== n) mismatch("axpy", `x has length ${n} but y has length ${y.shape[0]}`);
  const xd = x.data, yd = y.data, xs = x.stride[0]!, ys = y.stride[0]!;
  let xi = x.offset, yi = y.offset;
  for (let i = 0; i < n; i++, xi += xs, yi += ys) yd[yi] = yd[yi]! + alpha * xd[xi]!;
  return y;
}

/** y ← αAx + βy for A of shape m×n (pass A.transpose(1, 0) for Aᵀ). */
export function gemv(alpha: number, A: Arr, x: Arr, beta: number, y: Arr): Arr {
  const m = A.shape[0]!, n = A.shape[1]!;
  if (x.shape[0] !== n) mismatch("gemv", `A is ${m}×${n} but x has length ${x.shape[0]}`);
  if (y.shape[0] !== m) mismatch("gemv", `A is ${m}×${n} but y has length ${y.shape[0]}`);
  const ad = A.data, xd = x.data, yd = y.data;
  const a0 = A.stride[0]!, a1 = A.stride[1]!, xs = x.stride[0]!, ys = y.stride[0]!;
  for (let i = 0, yi = y.offset; i < m; i++, yi += ys) {
    let s = 0;
    for (let j = 0, ai = A.offset + i * a0, xi = x.offset; j < n; j++, ai += a1, xi += xs) s += ad[ai]! * xd[xi]!;
    yd[yi] = alpha * s + (beta === 0 ? 0 : beta * yd[yi]!);
  }
  return y;
}

/**
 * C ← αAB + βC for A (m×k), B (k×n), C (m×n). Transposed operands are passed as transposed views.
 * Views whose rows are contiguous take a register-blocked kernel (two rows of C against two rows
 * of B per pass: a quarter of the loads and stores of the plain i-k-j loop); other strides take
 * the plain i-k-j loop, which streams rows of B and C.
 */
export function gemm(alpha: number, A: Arr, B: Arr, beta: number, C: Arr): Arr {
  const m = A.shape[0]!, k = A.shape[1]!, n = B.shape[1]!;
  if (B.shape[0] !== k) mismatch("gemm", `A is ${m}×${k} but B is ${B.shape[0]}×${n}`);
  if (C.shape[0] !== m || C.shape[1] !== n) mismatch("gemm", `AB is ${m}×${n} but C is ${C.shape[0]}×${C.shape[1]}`);
  scaleInPlace(C, beta);
  if (A.stride[1] === 1 && B.stride[1] === 1 && C.stride[1] === 1) gemmRows(alpha, A, B, C, m, k, n);
  else gemmStrided(alpha, A, B, C, m, k, n);
  return C;
}

/** C ← βC (β = 0 writes zeros, so NaN in an uninitialised C does not leak). */
function scaleInPlace(C: Arr, beta: number): void {
  if (beta === 1) return;
  const cd = C.data, c0 = C.stride[0]!, c1 = C.stride[1]!, m = C.shape[0]!, n = C.shape[1]!;
  for (let i = 0; i < m; i++) {
    for (let j = 0, ci = C.offset + i * c0; j < n; j++, ci += c1) cd[ci] = beta === 0 ? 0 : beta * cd[ci]!;
  }
}

function gemmStrided(alpha: number, A: Arr, B: Arr, C: Arr, m: number, k: number, n: number): void {
  const ad = A.data, bd = B.data, cd = C.data;
  const a0 = A.stride[0]!, a1 = A.stride[1]!, b0 = B.stride[0]!, b1 = B.stride[1]!, c0 = C.stride[0]!, c1 = C.stride[1]!;
  for (let i = 0; i < m; i++) {
    const crow = C.offset + i * c0;
    for (let p = 0; p < k; p++) {
      const aip = alpha * ad[A.offset + i * a0 + p * a1]!;
      if (aip === 0) continue;
      for (let j = 0, bi = B.offset + p * b0, ci = crow; j < n; j++, bi += b1, ci += c1) cd[ci] = cd[ci]! + aip * bd[bi]!;
    }
  }
}

/** The blocked kernel for unit column strides: rows i, i+1 of C against rows p, p+1 of B. */
function gemmRows(alpha: number, A: Arr, B: Arr, C: Arr, m: number, k: number, n: number): void {
  const ad = A.data, bd = B.data, cd = C.data;
  const a0 = A.stride[0]!, b0 = B.stride[0]!, c0 = C.stride[0]!;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const ra = A.offset + i * a0, rb = ra + a0, ca = C.offset + i * c0, cb = ca + c0;
    let p = 0;
    for (; p + 1 < k; p += 2) {
      const x0 = alpha * ad[ra + p]!, x1 = alpha * ad[ra + p + 1]!, y0 = alpha * ad[rb + p]!, y1 = alpha * ad[rb + p + 1]!;
      const b = B.offset + p * b0, bn = b + b0;
      for (let j = 0; j < n; j++) {
        const u = bd[b + j]!, v = bd[bn + j]!;
        cd[ca + j] = cd[ca + j]! + x0 * u + x1 * v;
        cd[cb + j] = cd[cb + j]! + y0 * u + y1 * v;
      }
    }
    if (p < k) {
      const x = alpha * ad[ra + p]!, y = alpha * ad[rb + p]!, b = B.offset + p * b0;
      for (let j = 0; j < n; j++) {
        const u = bd[b + j]!;
        cd[ca + j] = cd[ca + j]! + x * u;
        cd[cb + j] = cd[cb + j]! + y * u;
      }
    }
  }
  if (i < m) {
    const ra = A.offset + i * a0, ca = C.offset + i * c0;
    for (let p = 0; p < k; p++) {
      const x = alpha * ad[ra + p]!, b = B.offset + p * b0;
      for (let j = 0; j < n; j++) cd[ca + j] = cd[ca + j]! + x * bd[b + j]!;
    }
  }
}
