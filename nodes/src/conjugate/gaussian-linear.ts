/**
 * GaussianLinear(out | w, x, precision): y = wᵀx + ε, ε ~ N(0, 1/τ), with covariates x given per row.
 *   log f = ½ log τ − ½ log 2π − ½ τ (y − wᵀx)²
 *   E[log f] = ½E[log τ] − ½ log 2π − ½E[τ] (E[y²] − 2E[y] xᵀE[w] + xᵀE[wwᵀ]x)
 * Edges: out (Normal), w (MvNormal(D)), x (input: D covariates per row), precision (Gamma).
 */
import { LOG_2PI, Gamma, MvNormal, Normal } from "@vireo/core";
import { type EdgeView, weightAt, instanceOf } from "../contract/node.js";
import { requireValueSize } from "../contract/edges.js";
import { predictorMoments } from "../contract/predictor-moments.js";
import { defineNode } from "../contract/define.js";

/** Key of this node's scratch for predictorMoments in a context. */
const MOMENTS = {};

/** E[(y − wᵀx)²] = E[y²] − 2E[y] xᵀE[w] + xᵀE[wwᵀ]x at row n. */
function expectedSquaredResidual(y: EdgeView, w: EdgeView, x: EdgeView, D: number, n: number, moments: Float64Array): number {
  const yi = instanceOf(y, n);
  predictorMoments(w, x, D, n, moments);
  return Normal.ex2(y.stats, yi) - 2 * Normal.ex(y.stats, yi) * moments[0]! + moments[1]!;
}

function rowLog(e: Readonly<Record<string, EdgeView>>, D: number, n: number, moments: Float64Array): number {
  const t = e.precision!, ti = instanceOf(t, n);
  return 0.5 * Gamma.elog(t.stats, ti) - 0.5 * LOG_2PI - 0.5 * Gamma.ex(t.stats, ti) * expectedSquaredResidual(e.out!, e.w!, e.x!, D, n, moments);
}

export const GaussianLinearNode = defineNode({
  name: "GaussianLinear",
  edges: {
    out: { family: Normal, doc: "the response y" },
    w: { family: MvNormal, doc: "regression weights (D)" },
    x: { family: "input", doc: "covariates, D per row" },
    precision: { family: Gamma, doc: "noise precision τ" },
  },
  check(info, nodeName) {
    const D = info.w!.family!.dim;
    requireValueSize(info, "x", D, nodeName, "GaussianLinear", `D = ${D} covariates matching w`);
  },
  messages(ctx, edge, out) {
    const { out: y, w, x, precision: t } = ctx.edges;
    const D = w.family!.dim, xs = x.values, moments = ctx.scratch.get(MOMENTS, () => new Float64Array(2));
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), Et = Gamma.ex(t.stats, instanceOf(t, n)), xo = instanceOf(x, n) * D;
      if (edge === "out") {
        const wo = instanceOf(w, n) * w.size, o = instanceOf(y, n) * 2;
        let lin = 0;
        for (let i = 0; i < D; i++) lin += xs[xo + i]! * w.stats[wo + i]!;
        out[o] += wn * Et * lin;
        out[o + 1] -= 0.5 * wn * Et;
      } else if (edge === "w") {
        const o = instanceOf(w, n) * w.size, c = wn * Et, ey = Normal.ex(y.stats, instanceOf(y, n));
        for (let i = 0; i < D; i++) {
          const xi = xs[xo + i]!;
          out[o + i] += c * ey * xi;
          for (let j = 0; j < D; j++) out[o + D + i * D + j] -= 0.5 * c * xi * xs[xo + j]!;
        }
      } else {
        const o = instanceOf(t, n) * 2;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * expectedSquaredResidual(y, w, x, D, n, moments);
      }
    }
  },
  rowTerm(ctx) {
    const D = ctx.edges.w.family!.dim, moments = ctx.scratch.get(MOMENTS, () => new Float64Array(2));
    return (n) => rowLog(ctx.edges, D, n, moments);
  },
});
