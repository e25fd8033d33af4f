/**
 * StudentTLinear(out | w, x, precision, scale): robust linear regression. The Student-t noise is
 * a Gamma scale mixture of Normals: y_n = wᵀx_n + ε_n, ε_n ~ N(0, 1/(λ_n τ)), with a per-row
 * scale λ_n ~ Gamma(ν/2, ν/2) (declared by studentTScale). Integrating λ_n out gives
 * ε_n ~ t_ν(0, 1/τ); keeping it lets every update stay closed-form, and a row with a large
 * residual gets a small E[λ_n], so an outlier barely moves w.
 *   log f = ½ log λ + ½ log τ − ½ log 2π − ½ λτ (y − wᵀx)²
 *   E[log f] = ½E[log λ] + ½E[log τ] − ½ log 2π − ½ E[λ]E[τ] R_n,
 *   R_n = E[(y − wᵀx)²] = E[y²] − 2E[y] xᵀE[w] + xᵀE[wwᵀ]x.
 * Every message is the coefficient of an edge's expected statistics in that expression.
 */
import { LOG_2PI, Normal, Gamma, MvNormal } from "@vireo/core";
import { defineNode, weightAt, instanceOf, sumRows, requireValueSize, predictorMoments, type NodeContext, type EdgeView } from "@vireo/nodes";

const NAME = "StudentTLinear";

/** Key of this node's scratch for predictorMoments in a context (nodes keep no module-level buffers). */
const MOMENTS = {};
const momentsOf = (ctx: NodeContext): Float64Array => ctx.scratch.get(MOMENTS, () => new Float64Array(2));

/** R_n = E[(y − wᵀx)²] at row n. Gamma stats are [E log, E]; MvNormal stats are [E w, E wwᵀ]. */
function residual2(y: EdgeView, w: EdgeView, x: EdgeView, D: number, n: number, moments: Float64Array): number {
  const yo = instanceOf(y, n) * 2;
  predictorMoments(w, x, D, n, moments);
  return y.stats[yo + 1]! - 2 * y.stats[yo]! * moments[0]! + moments[1]!;
}

function rowLog(e: Readonly<Record<string, EdgeView>>, D: number, n: number, moments: Float64Array): number {
  const t = e.precision!, l = e.scale!, ti = instanceOf(t, n) * 2, li = instanceOf(l, n) * 2;
  return 0.5 * (l.stats[li]! + t.stats[ti]! - LOG_2PI) - 0.5 * l.stats[li + 1]! * t.stats[ti + 1]! * residual2(e.out!, e.w!, e.x!, D, n, moments);
}

export const StudentTLinearNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Normal, doc: "the response y" },
    w: { family: MvNormal, doc: "regression weights (D)" },
    x: { family: "input", doc: "covariates, D per row" },
    precision: { family: Gamma, doc: "noise precision τ shared by all rows" },
    scale: { family: Gamma, doc: "per-row scale λ_n ~ Gamma(ν/2, ν/2)" },
  },
  check(info, nodeName) {
    const D = info.w.family!.dim;
    requireValueSize(info, "x", D, nodeName, NAME, `D = ${D} covariates matching w`);
  },
  messages(ctx, edge, out) {
    const { out: y, w, x, precision: t, scale: l } = ctx.edges;
    const D = w!.family!.dim, moments = momentsOf(ctx);
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), Et = t!.stats[instanceOf(t!, n) * 2 + 1]!, El = l!.stats[instanceOf(l!, n) * 2 + 1]!;
      const xo = instanceOf(x!, n) * D;
      if (edge === "out") {
        const wo = instanceOf(w!, n) * w!.size, o = instanceOf(y!, n) * 2;
        let lin = 0;
        for (let i = 0; i < D; i++) lin += x!.values[xo + i]! * w!.stats[wo + i]!;
        out[o] += wn * El * Et * lin;
        out[o + 1] -= 0.5 * wn * El * Et;
      } else if (edge === "w") {
        const o = instanceOf(w!, n) * w!.size, c = wn * El * Et, ey = y!.stats[instanceOf(y!, n) * 2]!;
        for (let i = 0; i < D; i++) {
          const xi = x!.values[xo + i]!;
          out[o + i] += c * ey * xi;
          for (let j = 0; j < D; j++) out[o + D + i * D + j] -= 0.5 * c * xi * x!.values[xo + j]!;
        }
      } else {
        // precision and scale enter symmetrically: [½, −½ E[other] R_n].
        const target = edge === "precision" ? t! : l!, other = edge === "precision" ? El : Et;
        const o = instanceOf(target, n) * 2;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * other * residual2(y!, w!, x!, D, n, moments);
      }
    }
  },
  logFactor(ctx) {
    const D = ctx.edges.w.family!.dim, moments = momentsOf(ctx);
    return sumRows(ctx, (n) => rowLog(ctx.edges, D, n, moments));
  },
  rowLogFactor(ctx, out, offset, stride) {
    const D = ctx.edges.w.family!.dim, moments = momentsOf(ctx);
    for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowLog(ctx.edges, D, n, moments);
  },
});
