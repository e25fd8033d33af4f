/**
 * Gamma(out | shape a, rate b):  log f = a log b − log Γ(a) + (a − 1) log x − b x.
 * Edges: out (Gamma), shape (input: a known positive number), rate (Gamma, random or known).
 * The shape must be known: a random shape has no conjugate update.
 */
import { gammaln, VireoError, fmt } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, type EdgeInfo, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";

function rowLog(x: EdgeView, a: EdgeView, b: EdgeView, n: number): number {
  const av = a.values[instanceOf(a, n)]!, xi = instanceOf(x, n) * 2, bi = instanceOf(b, n) * 2;
  return av * b.stats[bi]! - gammaln(av) + (av - 1) * x.stats[xi]! - b.stats[bi + 1]! * x.stats[xi + 1]!;
}

export const GammaNode: NodeType = {
  name: "Gamma",
  edges: [
    { name: "out", family: "Gamma", doc: "the positive variable" },
    { name: "shape", family: "input", doc: "known shape a > 0" },
    { name: "rate", family: "Gamma", doc: "rate b > 0 (random or known)" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    requireKnown(info.shape!.known, nodeName, "Gamma", "shape", "a random shape has no conjugate update");
    requireValueSize(info, "shape", 1, nodeName, "Gamma", "one shape value");
  },
  messages: ruleSet(["out", "rate"], (ctx: NodeContext, edge: string, out: Float64Array): void => {
    const { out: x, shape: a, rate: b } = ctx.edges;
    const w = ctx.weights;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(w, n), av = a.values[instanceOf(a, n)]!;
      if (!(av > 0)) {
        throw new VireoError("INVALID_PARAMETER", `Node '${ctx.nodeName}' (Gamma): shape at row ${n} is ${fmt(av)}, expected a number > 0.`, { node: ctx.nodeName, edge: "shape", row: n });
      }
      if (edge === "out") {
        const o = instanceOf(x, n) * 2;
        out[o] += wn * (av - 1);
        out[o + 1] -= wn * b.stats[instanceOf(b, n) * 2 + 1]!;
      } else {
        const o = instanceOf(b, n) * 2;
        out[o] += wn * av;
        out[o + 1] -= wn * x.stats[instanceOf(x, n) * 2 + 1]!;
      }
    }
  }),
  ...rowTerms((ctx) => {
    const { out: x, shape: a, rate: b } = ctx.edges;
    return (n) => rowLog(x, a, b, n);
  }),
};
