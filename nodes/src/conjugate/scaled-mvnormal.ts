/**
 * ScaledMvNormal(out | mean, precision, scale): a d-dimensional Gaussian whose precision is κΛ
 * with κ known, as in the conditional prior μ_k | Λ_k ~ N(m₀, (β₀Λ_k)⁻¹) of Bishop's mixture
 * (PRML 10.40) when q keeps μ_k and Λ_k apart (for the joint q use NormalWishartNode).
 *   log f = (d/2) log κ + ½ log|Λ| − (d/2) log 2π − ½ κ tr(Λ (x − μ)(x − μ)ᵀ).
 * Edges: out (MvNormal(d)), mean (MvNormal(d)), precision (Wishart(d)), scale (input κ > 0).
 * Stats layouts: MvNormal [x, vec(x xᵀ)], Wishart [log|Λ|, vec Λ]. With
 *   S = E[xxᵀ] − E[x]E[μ]ᵀ − E[μ]E[x]ᵀ + E[μμᵀ],
 * the messages are out: [κE[Λ]E[μ], −½κE[Λ]], mean: [κE[Λ]E[x], −½κE[Λ]], precision: [½, −½κS].
 */
import { LOG_2PI, MvNormal, Wishart, type MvNormalFamily, type WishartFamily } from "@vireo/core";
import { type EdgeView, weightAt, instanceOf } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown, requirePositiveValues, requireSameDim, requireValueSize } from "../contract/edges.js";

const NAME = "ScaledMvNormal";

/** S_ij of row n (see the header), read from the stats. */
function sEntry(x: EdgeView, m: EdgeView, n: number, i: number, j: number): number {
  const X = x.family as MvNormalFamily, xi = instanceOf(x, n), mi = instanceOf(m, n), xs = x.stats, ms = m.stats;
  return X.exx(xs, xi, i, j) - X.ex(xs, xi, i) * X.ex(ms, mi, j) - X.ex(ms, mi, i) * X.ex(xs, xi, j) + X.exx(ms, mi, i, j);
}

export const ScaledMvNormalNode = defineNode({
  name: NAME,
  edges: {
    out: { family: MvNormal, doc: "the d-dimensional Gaussian variable" },
    mean: { family: MvNormal, doc: "its mean vector" },
    precision: { family: Wishart, doc: "the d×d precision Λ, scaled by κ" },
    scale: { family: "input", doc: "known κ > 0" },
  },
  check(info, nodeName) {
    requireSameDim(info, ["out", "mean", "precision"], nodeName, NAME);
    requireKnown(info.scale.known, nodeName, NAME, "scale", "κ is a fixed number");
    requireValueSize(info, "scale", 1, nodeName, NAME, "one scale κ");
  },
  checkData(ctx) {
    requirePositiveValues(ctx.edges.scale.values, ctx.nodeName, NAME, "scale", "scale κ");
  },
  messages(ctx, edge, out) {
    const { out: x, mean: m, precision: L, scale: k } = ctx.edges;
    const d = x.family!.dim, X = x.family as MvNormalFamily, W = L.family as WishartFamily;
    for (let n = 0; n < ctx.rows; n++) {
      const wk = weightAt(ctx.weights, n) * k.values[instanceOf(k, n)]!, lo = W.matrixOffset(instanceOf(L, n));
      if (edge === "out" || edge === "mean") {
        const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
        const ti = instanceOf(target, n), to = X.meanOffset(ti), too = X.outerOffset(ti), oo = X.meanOffset(instanceOf(other, n));
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const lij = L.stats[lo + i * d + j]!;
            s += lij * other.stats[oo + j]!;
            out[too + i * d + j] -= 0.5 * wk * lij;
          }
          out[to + i] += wk * s;
        }
      } else {
        out[W.logDetOffset(instanceOf(L, n))] += 0.5 * weightAt(ctx.weights, n);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[lo + j * d + i] -= 0.5 * wk * sEntry(x, m, n, i, j);
      }
    }
  },
  rowTerm(ctx) {
    const { out: x, mean: m, precision: L, scale: k } = ctx.edges;
    const d = x.family!.dim, W = L.family as WishartFamily;
    return (n) => {
      const kv = k.values[instanceOf(k, n)]!, li = instanceOf(L, n);
      let tr = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) tr += W.ex(L.stats, li, j, i) * sEntry(x, m, n, i, j);
      return 0.5 * d * Math.log(kv) + 0.5 * W.elogdet(L.stats, li) - 0.5 * d * LOG_2PI - 0.5 * kv * tr;
    };
  },
});
