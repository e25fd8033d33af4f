/**
 * Bernoulli(out | p):  log f = x log p + (1 − x) log(1 − p).
 * Edges: out (Bernoulli: observed 0/1 or latent), p (Beta, random or known).
 * Stats: Bernoulli [x], Beta [log p, log(1 − p)].
 */
import { type NodeType, type NodeContext, type EdgeView, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";

function rowLog(x: EdgeView, p: EdgeView, n: number): number {
  const ex = x.stats[instanceOf(x, n)]!, pi = instanceOf(p, n) * 2;
  return ex * p.stats[pi]! + (1 - ex) * p.stats[pi + 1]!;
}

export const BernoulliNode: NodeType = {
  name: "Bernoulli",
  edges: [
    { name: "out", family: "Bernoulli", doc: "a 0/1 outcome" },
    { name: "p", family: "Beta", doc: "its success probability" },
  ],
  messages: ruleSet(["out", "p"], (ctx: NodeContext, edge: string, out: Float64Array): void => {
    const { out: x, p } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n);
      if (edge === "out") {
        const pi = instanceOf(p, n) * 2;
        out[instanceOf(x, n)] += wn * (p.stats[pi]! - p.stats[pi + 1]!);
      } else {
        const ex = x.stats[instanceOf(x, n)]!, o = instanceOf(p, n) * 2;
        out[o] += wn * ex;
        out[o + 1] += wn * (1 - ex);
      }
    }
  }),
  ...rowTerms((ctx) => {
    const { out: x, p } = ctx.edges;
    return (n) => rowLog(x, p, n);
  }),
};
