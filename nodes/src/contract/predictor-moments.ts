/**
 * The moments of a linear predictor a_n = wᵀx_n under q(w), which every regression-type node
 * needs: E[a] = x_nᵀE[w] and E[a²] = x_nᵀE[wwᵀ]x_n, read from an MvNormal edge's statistics
 * [E w, E wwᵀ] and an input edge of D covariates per row.
 */
import { type EdgeView, instanceOf } from "./node.js";

/** Writes E[a_n] into out[0] and E[a_n²] into out[1] (no allocation). */
export function predictorMoments(w: EdgeView, x: EdgeView, D: number, n: number, out: Float64Array): Float64Array {
  const wo = instanceOf(w, n) * w.size, xo = instanceOf(x, n) * D, ws = w.stats, xs = x.values;
  let m = 0, q = 0;
  for (let i = 0; i < D; i++) {
    const xi = xs[xo + i]!;
    m += xi * ws[wo + i]!;
    let r = 0;
    const row = wo + D + i * D;
    for (let j = 0; j < D; j++) r += ws[row + j]! * xs[xo + j]!;
    q += xi * r;
  }
  out[0] = m;
  out[1] = q;
  return out;
}
