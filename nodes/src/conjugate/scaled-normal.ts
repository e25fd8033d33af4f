/**
 * ScaledNormal(out | mean, precision, scale): a Normal whose precision is κτ with κ known, as in
 * the conditional prior μ | τ ~ N(μ₀, (κτ)⁻¹) of a Normal–Gamma model.
 *   log f = ½ log κ + ½ log τ − ½ log 2π − ½ κτ (x − μ)²
 * Edges: out (Normal), mean (Normal), precision (Gamma), scale (input κ > 0).
 */
import { LOG_2PI, Normal, Gamma } from "@vireo/core";
import { weightAt, instanceOf, type EdgeView } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown, requirePositiveValues, requireValueSize } from "../contract/edges.js";

const NAME = "ScaledNormal";

/** E[(x − μ)²] at row n. */
function squaredDistance(x: EdgeView, m: EdgeView, n: number): number {
  const xi = instanceOf(x, n), mi = instanceOf(m, n);
  return Normal.ex2(x.stats, xi) - 2 * Normal.ex(x.stats, xi) * Normal.ex(m.stats, mi) + Normal.ex2(m.stats, mi);
}

export const ScaledNormalNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Normal, doc: "the Normal variable" },
    mean: { family: Normal, doc: "its mean" },
    precision: { family: Gamma, doc: "the precision τ, scaled by κ" },
    scale: { family: "input", doc: "known κ > 0" },
  },
  check(info, nodeName) {
    requireKnown(info.scale.known, nodeName, NAME, "scale", "κ is a fixed number");
    requireValueSize(info, "scale", 1, nodeName, NAME, "one scale κ");
  },
  checkData(ctx) {
    requirePositiveValues(ctx.edges.scale.values, ctx.nodeName, NAME, "scale", "scale κ");
  },
  messages(ctx, edge, out) {
    const { out: x, mean: m, precision: p, scale: k } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), kv = k.values[instanceOf(k, n)]!;
      if (edge === "out" || edge === "mean") {
        const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
        const c = wn * kv * Gamma.ex(p.stats, instanceOf(p, n)), o = instanceOf(target, n) * 2;
        out[o] += c * Normal.ex(other.stats, instanceOf(other, n));
        out[o + 1] -= 0.5 * c;
      } else {
        const o = instanceOf(p, n) * 2;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * kv * squaredDistance(x, m, n);
      }
    }
  },
  rowTerm(ctx) {
    const { out: x, mean: m, precision: p, scale: k } = ctx.edges;
    return (n) => {
      const pi = instanceOf(p, n), kv = k.values[instanceOf(k, n)]!;
      return 0.5 * Math.log(kv) + 0.5 * Gamma.elog(p.stats, pi) - 0.5 * LOG_2PI - 0.5 * kv * Gamma.ex(p.stats, pi) * squaredDistance(x, m, n);
    };
  },
});
