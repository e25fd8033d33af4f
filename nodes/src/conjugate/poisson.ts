/**
 * Poisson(out | rate):  log f = x log λ − λ − log x!.
 * Edges: out (Poisson, observed counts), rate (Gamma, random or known).
 */
import { gammaln } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, type EdgeInfo, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";
import { requireKnown } from "../contract/edges.js";

function rowLog(x: EdgeView, r: EdgeView, n: number): number {
  const xv = x.values[instanceOf(x, n)]!, ri = instanceOf(r, n) * 2;
  return xv * r.stats[ri]! - r.stats[ri + 1]! - gammaln(xv + 1);
}

export const PoissonNode: NodeType = {
  name: "Poisson",
  edges: [
    { name: "out", family: "Poisson", doc: "observed counts", knownOnly: true },
    { name: "rate", family: "Gamma", doc: "the rate λ > 0" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    requireKnown(info.out!.known, nodeName, "Poisson", "out", "latent counts are not supported by this node; observe them");
  },
  messages: ruleSet(["rate"], (ctx: NodeContext, _edge: string, out: Float64Array): void => {
    const { out: x, rate: r } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), o = instanceOf(r, n) * 2;
      out[o] += wn * x.values[instanceOf(x, n)]!;
      out[o + 1] -= wn;
    }
  }),
  ...rowTerms((ctx) => {
    const { out: x, rate: r } = ctx.edges;
    return (n) => rowLog(x, r, n);
  }),
};
