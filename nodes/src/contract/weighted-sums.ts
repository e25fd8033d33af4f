/**
 * Σ_n w_n and Σ_n w_n E[T(x_n)] over the rows of a per-row edge, cached while neither the edge's
 * statistics nor the row weights change. With broadcast parameters, a Gaussian node's messages to
 * them are functions of these sums alone, so a plate is read once per sweep instead of once per
 * message (a mixture component's mean and precision, or its joint Normal–Wishart, share them).
 */
import type { NodeContext, EdgeView } from "./node.js";

interface SumsCache {
  readonly sums: Float64Array;
  x: Float64Array | null;
  xVersion: number;
  w: Float64Array | null;
  wVersion: number;
}

function makeCache(x: EdgeView): SumsCache {
  return { sums: new Float64Array(1 + x.size), x: null, xVersion: -1, w: null, wVersion: -1 };
}

/** [Σ w_n, Σ w_n E[T(x_n)] (x.size entries)] for the per-row edge `x` of `ctx`; do not modify. */
export function weightedStatSums(ctx: NodeContext, x: EdgeView): Float64Array {
  const c = ctx.scratch.get(x, makeCache);
  const w = ctx.weights?.data ?? null;
  const xv = ctx.changes.versionOf(x.stats), wv = w === null ? 0 : ctx.changes.versionOf(w);
  if (c.x !== x.stats || c.xVersion !== xv || c.w !== w || c.wVersion !== wv) {
    sumRows(ctx, x, c.sums);
    c.x = x.stats;
    c.xVersion = xv;
    c.w = w;
    c.wVersion = wv;
  }
  return c.sums;
}

function sumRows(ctx: NodeContext, x: EdgeView, sums: Float64Array): void {
  const w = ctx.weights, xs = x.stats, size = x.size;
  if (w === null && size === 2) {
    // Scalar statistics pairs (Normal's [x, x²]) without weights: accumulators in registers.
    let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
    const n = ctx.rows, even = n - (n & 1);
    for (let i = 0; i < even; i += 2) {
      s0 += xs[2 * i]!;
      s1 += xs[2 * i + 1]!;
      t0 += xs[2 * i + 2]!;
      t1 += xs[2 * i + 3]!;
    }
    if (even < n) {
      s0 += xs[2 * even]!;
      s1 += xs[2 * even + 1]!;
    }
    sums[0] = n;
    sums[1] = s0 + t0;
    sums[2] = s1 + t1;
    return;
  }
  sums.fill(0);
  for (let n = 0, xo = 0; n < ctx.rows; n++, xo += size) {
    const wn = w === null ? 1 : w.data[w.offset + n * w.stride]!;
    if (wn === 0) continue;
    sums[0] += wn;
    for (let i = 0; i < size; i++) sums[1 + i] += wn * xs[xo + i]!;
  }
}
