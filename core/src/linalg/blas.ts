/**
 * Level-1/2/3 kernels over strided Float64 views. Every kernel reads `.data` with the view's own
 * stride and offset, writes into a caller-supplied output, and allocates nothing.
 */
import type { Arr } from "../ndarray/adapter.js";
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
 * The i-k-j loop order streams rows of B and C, which is what makes the dense case fast.
 */
export function gemm(alpha: number, A: Arr, B: Arr, beta: number, C: Arr): Arr {
  const m = A.shape[0]!, k = A.shape[1]!, n = B.shape[1]!;
  if (B.shape[0] !== k) mismatch("gemm", `A is ${m}×${k} but B is ${B.shape[0]}×${n}`);
  if (C.shape[0] !== m || C.shape[1] !== n) mismatch("gemm", `AB is ${m}×${n} but C is ${C.shape[0]}×${C.shape[1]}`);
  const ad = A.data, bd = B.data, cd = C.data;
  const a0 = A.stride[0]!, a1 = A.stride[1]!, b0 = B.stride[0]!, b1 = B.stride[1]!, c0 = C.stride[0]!, c1 = C.stride[1]!;
  for (let i = 0; i < m; i++) {
    const crow = C.offset + i * c0;
    if (beta === 0) for (let j = 0, ci = crow; j < n; j++, ci += c1) cd[ci] = 0;
    else if (beta !== 1) for (let j = 0, ci = crow; j < n; j++, ci += c1) cd[ci] = beta * cd[ci]!;
    for (let p = 0; p < k; p++) {
      const aip = alpha * ad[A.offset + i * a0 + p * a1]!;
      if (aip === 0) continue;
      for (let j = 0, bi = B.offset + p * b0, ci = crow; j < n; j++, bi += b1, ci += c1) cd[ci] = cd[ci]! + aip * bd[bi]!;
    }
  }
  return C;
}
