/**
 * Normal(out | mean, precision):  log f = ½ log τ − ½ log 2π − ½ τ (x − μ)².
 * Edges: out (Normal), mean (Normal), precision (Gamma). Any of them may be known.
 *   E[log f] = ½E[log τ] − ½ log 2π − ½ E[τ] (E[x²] − 2E[x]E[μ] + E[μ²])
 */
import { LOG_2PI } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";

function rowLog(x: EdgeView, m: EdgeView, p: EdgeView, n: number): number {
  const xi = instanceOf(x, n) * 2, mi = instanceOf(m, n) * 2, pi = instanceOf(p, n) * 2;
  const sq = x.stats[xi + 1]! - 2 * x.stats[xi]! * m.stats[mi]! + m.stats[mi + 1]!;
  return 0.5 * p.stats[pi]! - 0.5 * LOG_2PI - 0.5 * p.stats[pi + 1]! * sq;
}

export const NormalNode: NodeType = {
  name: "Normal",
  seeds: { mean: "out" },
  edges: [
    { name: "out", family: "Normal", doc: "the Normal variable" },
    { name: "mean", family: "Normal", doc: "its mean" },
    { name: "precision", family: "Gamma", doc: "its precision (1/variance)" },
  ],
  messages: ruleSet(["out", "mean", "precision"], (ctx: NodeContext, edge: string, out: Float64Array): void => {
    const { out: x, mean: m, precision: p } = ctx.edges;
    const w = ctx.weights;
    if (edge === "out" || edge === "mean") {
      // The message to x from μ and to μ from x have the same form: [E[τ]·E[other], −½E[τ]].
      const target = edge === "out" ? x : m, other = edge === "out" ? m : x;
      for (let n = 0; n < ctx.rows; n++) {
        const wEt = weightAt(w, n) * p.stats[instanceOf(p, n) * 2 + 1]!;
        const o = instanceOf(target, n) * 2;
        out[o] += wEt * other.stats[instanceOf(other, n) * 2]!;
        out[o + 1] -= 0.5 * wEt;
      }
    } else {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n);
        const xi = instanceOf(x, n) * 2, mi = instanceOf(m, n) * 2, o = instanceOf(p, n) * 2;
        const sq = x.stats[xi + 1]! - 2 * x.stats[xi]! * m.stats[mi]! + m.stats[mi + 1]!;
        out[o] += 0.5 * wn;
        out[o + 1] -= 0.5 * wn * sq;
      }
    }
  }),
  ...rowTerms((ctx) => {
    const { out: x, mean: m, precision: p } = ctx.edges;
    return (n) => rowLog(x, m, p, n);
  }),
};
