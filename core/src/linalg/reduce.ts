/** Numerically stable reductions over Float64 data. */
import type { Arr } from "../ndarray/layout.js";

/** log Σ exp(x_i) over `x[offset .. offset+n)` with the max-shift, so huge or tiny values stay finite. */
export function logSumExpRange(x: ArrayLike<number>, offset: number, n: number, stride = 1): number {
  let m = -Infinity;
  for (let i = 0, j = offset; i < n; i++, j += stride) if (x[j]! > m) m = x[j]!;
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  let s = 0;
  for (let i = 0, j = offset; i < n; i++, j += stride) s += Math.exp(x[j]! - m);
  return m + Math.log(s);
}

/** log Σ exp over a whole 1-D array or view. */
export function logsumexp(x: Arr | Float64Array): number {
  if (x instanceof Float64Array) return logSumExpRange(x, 0, x.length);
  return logSumExpRange(x.data, x.offset, x.shape[0]!, x.stride[0]!);
}

/**
 * out_i = exp(x_i − logsumexp(x)) over a range; returns the log-normaliser. `out` may alias `x`.
 * Computed as exp(x_i − max) / Σ exp(x_j − max): subtracting the rounded log-normaliser instead would
 * lose up to ulp(max) of relative accuracy (≈1e-13 for values near ±1000).
 */
export function softmaxRange(x: ArrayLike<number>, xOffset: number, n: number, out: Float64Array, outOffset: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[xOffset + i]! > m) m = x[xOffset + i]!;
  if (m === -Infinity || m === Infinity) {
    // Degenerate: all −∞ (no mass anywhere) or some +∞; fall back to the plain formula.
    const lse = logSumExpRange(x, xOffset, n);
    for (let i = 0; i < n; i++) out[outOffset + i] = Math.exp(x[xOffset + i]! - lse);
    return lse;
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[xOffset + i]! - m);
    out[outOffset + i] = e;
    s += e;
  }
  for (let i = 0; i < n; i++) out[outOffset + i] = out[outOffset + i]! / s;
  return m + Math.log(s);
}

/** Softmax of a 1-D array into `out` (a new array when omitted). */
export function softmax(x: Float64Array, out = new Float64Array(x.length)): Float64Array {
  softmaxRange(x, 0, x.length, out, 0);
  return out;
}
