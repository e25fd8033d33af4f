/**
 * Σ_n w_n and Σ_n w_n E[T(x_n)] over the rows of a per-row edge, cached while neither the edge's
 * statistics nor the row weights change. With broadcast parameters, a Gaussian node's messages to
 * them are functions of these sums alone, so a plate is read once per sweep instead of once per
 * message (a mixture component's mean and precision, or its joint Normal–Wishart, share them).
 *
 * When the weights are one column of a table shared by sibling contexts (RowWeights.columns: a
 * mixture's K components), the sums of every column are computed in one pass and kept state-wide
 * (ChangeTracker.cached), so K components cost one pass, not K. The engine's fused update of a
 * mixture's selector fills that same table while it writes the responsibilities (columnSums).
 */
import type { NodeContext, EdgeView } from "./node.js";
import type { ChangeTracker } from "./versions.js";

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
  const w = ctx.weights;
  if (w !== null && w.columns !== undefined && w.offset < w.columns && w.columns <= w.stride) {
    const c = columnSums(ctx.changes, x.stats, x.size, w.data, w.columns);
    if (!c.fresh()) {
      sumColumns(ctx.rows, x.stats, x.size, w.data, w.stride, w.columns, c.table);
      c.stamp();
    }
    return c.views[w.offset]!;
  }
  const c = ctx.scratch.get(x, makeCache);
  const wd = w?.data ?? null;
  const xv = ctx.changes.versionOf(x.stats), wv = wd === null ? 0 : ctx.changes.versionOf(wd);
  if (c.x !== x.stats || c.xVersion !== xv || c.w !== wd || c.wVersion !== wv) {
    sumRows(ctx, x, c.sums);
    c.x = x.stats;
    c.xVersion = xv;
    c.w = wd;
    c.wVersion = wv;
  }
  return c.sums;
}

/**
 * The state-wide table of column sums over per-row statistics `x` (size entries per row) with
 * weights w[c + n·stride], c < columns: columns × (1 + size) entries, [Σ w, Σ w T(x_n)] per column.
 */
export interface ColumnSums {
  readonly table: Float64Array;
  /** One view of `table` per column. */
  readonly views: readonly Float64Array[];
  /** Whether the table matches the current versions of x and w. */
  fresh(): boolean;
  /** Records that the table now holds the sums at the current versions of x and w. */
  stamp(): void;
}

/** The column-sums entry for (x, w) (see ColumnSums); whoever refills `table` calls stamp(). */
export function columnSums(changes: ChangeTracker, x: Float64Array, size: number, w: Float64Array, columns: number): ColumnSums {
  return changes.cached(x, w, () => {
    const width = 1 + size, table = new Float64Array(columns * width);
    let xVersion = -1, wVersion = -1;
    return {
      table,
      views: Array.from({ length: columns }, (_, c) => table.subarray(c * width, (c + 1) * width)),
      fresh: () => xVersion === changes.versionOf(x) && wVersion === changes.versionOf(w),
      stamp: () => {
        xVersion = changes.versionOf(x);
        wVersion = changes.versionOf(w);
      },
    };
  });
}

/** table[c] = [Σ_n w_nc, Σ_n w_nc x_n] for every column c, in one pass over the rows. */
function sumColumns(rows: number, xs: Float64Array, size: number, w: Float64Array, stride: number, columns: number, table: Float64Array): void {
  const width = 1 + size;
  table.fill(0);
  for (let n = 0, xo = 0, wo = 0; n < rows; n++, xo += size, wo += stride) {
    for (let c = 0, t = 0; c < columns; c++, t += width) {
      const wn = w[wo + c]!;
      if (wn === 0) continue;
      table[t] += wn;
      for (let i = 0; i < size; i++) table[t + 1 + i] += wn * xs[xo + i]!;
    }
  }
}

function sumRows(ctx: NodeContext, x: EdgeView, sums: Float64Array): void {
  const w = ctx.weights, xs = x.stats, size = x.size;
  if (w === null && size === 2) {
    // Scalar statistics pairs (Normal's [x, x²]) without weights: four rows at a time into eight
    // accumulators in registers (short dependency chains).
    let s0 = 0, s1 = 0, t0 = 0, t1 = 0, u0 = 0, u1 = 0, v0 = 0, v1 = 0, i = 0;
    const n = ctx.rows;
    for (; i + 3 < n; i += 4) {
      const o = 2 * i;
      s0 += xs[o]!;
      s1 += xs[o + 1]!;
      t0 += xs[o + 2]!;
      t1 += xs[o + 3]!;
      u0 += xs[o + 4]!;
      u1 += xs[o + 5]!;
      v0 += xs[o + 6]!;
      v1 += xs[o + 7]!;
    }
    for (; i < n; i++) {
      s0 += xs[2 * i]!;
      s1 += xs[2 * i + 1]!;
    }
    sums[0] = n;
    sums[1] = s0 + t0 + (u0 + v0);
    sums[2] = s1 + t1 + (u1 + v1);
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
