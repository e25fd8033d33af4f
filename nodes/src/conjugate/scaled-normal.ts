/**
 * ScaledNormal(out | mean, precision, scale): a Normal whose precision is κτ with κ known, as in
 * the conditional prior μ | τ ~ N(μ₀, (κτ)⁻¹) of a Normal–Gamma model.
 *   log f = ½ log κ + ½ log τ − ½ log 2π − ½ κτ (x − μ)²
 * Edges: out (Normal), mean (Normal), precision (Gamma), scale (input κ > 0).
 */
import { LOG_2PI } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, type EdgeInfo, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";

function rowLog(x: EdgeView, m: EdgeView, p: EdgeView, k: EdgeView, n: number): number {
  const xi = instanceOf(x, n) * 2, mi = instanceOf(m, n) * 2, pi = instanceOf(p, n) * 2, kv = k.values[instanceOf(k, n)]!;
  const sq = x.stats[xi + 1]! - 2 * x.stats[xi]! * m.stats[mi]! + m.stats[mi + 1]!;
  return 0.5 * Math.log(kv) + 0.5 * p.stats[pi]! - 0.5 * LOG_2PI - 0.5 * kv * p.stats[pi + 1]! * sq;
}

export const ScaledNormalNode: NodeType = {
  name: "ScaledNormal",
  edges: [
    { name: "out", family: "Normal", doc: "the Normal variable" },
    { name: "mean", family: "Normal", doc: "its mean" },
    { name: "precision", family: "Gamma", doc: "the precision τ, scaled by κ" },
    { name: "scale", family: "input", doc: "known κ > 0" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    requireKnown(info.scale!.known, nodeName, "ScaledNormal", "scale", "κ is a fixed number");
    requireValueSize(info, "scale", 1, nodeName, "ScaledNormal", "one scale κ");
  },
  messages: ruleSet(["out", "mean", "precision"], (ctx: NodeContext, edge: string, out: Float64Array): void => {
    const { out: x, mean: m, precision: p, scale: k } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), kv = k.values[instanceOf(k, n)]!;
      if (edge === "out" || edge === "mean") {
        const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
        const c = wn * kv * p.stats[instanceOf(p, n) * 2 + 1]!, o = instanceOf(target, n) * 2;
        out[o] += c * other.stats[instanceOf(other, n) * 2]!;
        out[o + 1] -= 0.5 * c;
      } else {
        const xi = instanceOf(x, n) * 2, mi = instanceOf(m, n) * 2, o = instanceOf(p, n) * 2;
        const sq = x.stats[xi + 1]! - 2 * x.stats[xi]! * m.stats[mi]! + m.stats[mi + 1]!;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * kv * sq;
      }
    }
  }),
  ...rowTerms((ctx) => {
    const { out: x, mean: m, precision: p, scale: k } = ctx.edges;
    return (n) => rowLog(x, m, p, k, n);
  }),
};
