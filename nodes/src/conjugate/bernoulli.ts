/**
 * Bernoulli(out | p):  log f = x log p + (1 − x) log(1 − p).
 * Edges: out (Bernoulli: observed 0/1 or latent), p (Beta, random or known).
 * Stats: Bernoulli [x], Beta [log p, log(1 − p)].
 */
import { Bernoulli, Beta } from "@vireo/core";
import { weightAt, instanceOf } from "../contract/node.js";
import { defineNode } from "../contract/define.js";

export const BernoulliNode = defineNode({
  name: "Bernoulli",
  edges: {
    out: { family: Bernoulli, doc: "a 0/1 outcome" },
    p: { family: Beta, doc: "its success probability" },
  },
  messages(ctx, edge, out) {
    const { out: x, p } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n);
      if (edge === "out") {
        const pi = instanceOf(p, n);
        out[instanceOf(x, n)] += wn * (Beta.elog(p.stats, pi) - Beta.elog1m(p.stats, pi));
      } else {
        const ex = x.stats[instanceOf(x, n)]!, o = instanceOf(p, n) * 2;
        out[o] += wn * ex;
        out[o + 1] += wn * (1 - ex);
      }
    }
  },
  rowTerm(ctx) {
    const { out: x, p } = ctx.edges;
    return (n) => {
      const ex = x.stats[instanceOf(x, n)]!, pi = instanceOf(p, n);
      return ex * Beta.elog(p.stats, pi) + (1 - ex) * Beta.elog1m(p.stats, pi);
    };
  },
});
