/**
 * Normal(out | mean, precision):  log f = ½ log τ − ½ log 2π − ½ τ (x − μ)².
 * Edges: out (Normal), mean (Normal), precision (Gamma). Any of them may be known.
 *   E[log f] = ½E[log τ] − ½ log 2π − ½ E[τ] (E[x²] − 2E[x]E[μ] + E[μ²])
 */
import { LOG_2PI, Normal, Gamma } from "@vireo/core";
import { weightAt, instanceOf, type EdgeView } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { weightedStatSums } from "../contract/weighted-sums.js";
import type { NodeContext } from "../contract/node.js";

const NAME = "Normal";

/** E[(x − μ)²] at row n. */
function squaredDistance(x: EdgeView, m: EdgeView, n: number): number {
  const xi = instanceOf(x, n), mi = instanceOf(m, n);
  return Normal.ex2(x.stats, xi) - 2 * Normal.ex(x.stats, xi) * Normal.ex(m.stats, mi) + Normal.ex2(m.stats, mi);
}

/**
 * The i.i.d. plate (per-row x, one shared μ and τ): every message to μ or τ and E[log f] are
 * functions of Σw, Σw E[x] and Σw E[x²] alone, cached while x and the weights are unchanged, so a
 * plate is read once per change of x instead of once per message and once more for the ELBO.
 */
function iidPlate(ctx: NodeContext): boolean {
  const { out: x, mean: m, precision: p } = ctx.edges;
  return x!.layout === "row" && m!.layout === "broadcast" && p!.layout === "broadcast";
}

export const NormalNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Normal, doc: "the Normal variable" },
    mean: { family: Normal, doc: "its mean" },
    precision: { family: Gamma, doc: "its precision (1/variance)" },
  },
  seeds: { mean: "out" },
  messages(ctx, edge, out) {
    const { out: x, mean: m, precision: p } = ctx.edges;
    const w = ctx.weights;
    if (edge !== "out" && iidPlate(ctx)) {
      const sums = weightedStatSums(ctx, x), sw = sums[0]!, sx = sums[1]!, sxx = sums[2]!;
      if (edge === "mean") {
        const et = Gamma.ex(p.stats, 0);
        out[0] += et * sx;
        out[1] -= 0.5 * et * sw;
      } else {
        out[0] += 0.5 * sw;
        out[1] -= 0.5 * (sxx - 2 * sx * Normal.ex(m.stats, 0) + sw * Normal.ex2(m.stats, 0));
      }
      return;
    }
    if (edge === "out" || edge === "mean") {
      // The message to x from μ and to μ from x have the same form: [E[τ]·E[other], −½E[τ]].
      const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
      for (let n = 0; n < ctx.rows; n++) {
        const wEt = weightAt(w, n) * Gamma.ex(p.stats, instanceOf(p, n));
        const o = instanceOf(target, n) * 2;
        out[o] += wEt * Normal.ex(other.stats, instanceOf(other, n));
        out[o + 1] -= 0.5 * wEt;
      }
    } else {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n), o = instanceOf(p, n) * 2;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * squaredDistance(x, m, n);
      }
    }
  },
  // With μ and τ broadcast, E[log f_n] = ⟨[E[τ]E[μ], −½E[τ]], E[T(x_n)]⟩ + ½E[log τ] − ½ log 2π − ½E[τ]E[μ²].
  rowAffine: {
    edge: "out",
    coefficients(ctx, a) {
      const { out: x, mean: m, precision: p } = ctx.edges;
      if (x.layout !== "row" || m.layout !== "broadcast" || p.layout !== "broadcast") return NaN;
      const et = Gamma.ex(p.stats, 0);
      a[0] = et * Normal.ex(m.stats, 0);
      a[1] = -0.5 * et;
      return 0.5 * Gamma.elog(p.stats, 0) - 0.5 * LOG_2PI - 0.5 * et * Normal.ex2(m.stats, 0);
    },
  },
  logFactor(ctx) {
    const { out: x, mean: m, precision: p } = ctx.edges;
    if (iidPlate(ctx)) {
      const sums = weightedStatSums(ctx, x), sw = sums[0]!, sx = sums[1]!, sxx = sums[2]!;
      const em = Normal.ex(m.stats, 0), em2 = Normal.ex2(m.stats, 0);
      return sw * (0.5 * Gamma.elog(p.stats, 0) - 0.5 * LOG_2PI) - 0.5 * Gamma.ex(p.stats, 0) * (sxx - 2 * sx * em + sw * em2);
    }
    let s = 0;
    for (let n = 0; n < ctx.rows; n++) s += weightAt(ctx.weights, n) * rowTerm(x, m, p, n);
    return s;
  },
  rowLogFactor(ctx, out, offset, stride) {
    const { out: x, mean: m, precision: p } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowTerm(x, m, p, n);
  },
});

/** E_q[log f] of row n. */
function rowTerm(x: EdgeView, m: EdgeView, p: EdgeView, n: number): number {
  const pi = instanceOf(p, n);
  return 0.5 * Gamma.elog(p.stats, pi) - 0.5 * LOG_2PI - 0.5 * Gamma.ex(p.stats, pi) * squaredDistance(x, m, n);
}

