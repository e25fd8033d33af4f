/**
 * Poisson(out | rate):  log f = x log λ − λ − log x!.
 * Edges: out (Poisson, observed counts), rate (Gamma, random or known).
 */
import { gammaln, Poisson, Gamma } from "@vireo/core";
import { weightAt, instanceOf } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown } from "../contract/edges.js";

const NAME = "Poisson";

export const PoissonNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Poisson, doc: "observed counts", knownOnly: true },
    rate: { family: Gamma, doc: "the rate λ > 0" },
  },
  check(info, nodeName) {
    requireKnown(info.out.known, nodeName, NAME, "out", "latent counts are not supported by this node; observe them");
  },
  messages: {
    rate(ctx, out) {
      const { out: x, rate: r } = ctx.edges;
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(ctx.weights, n), o = instanceOf(r, n) * 2;
        out[o] += wn * x.values[instanceOf(x, n)]!;
        out[o + 1] -= wn;
      }
    },
  },
  rowTerm(ctx) {
    const { out: x, rate: r } = ctx.edges;
    return (n) => {
      const xv = x.values[instanceOf(x, n)]!, ri = instanceOf(r, n);
      return xv * Gamma.elog(r.stats, ri) - Gamma.ex(r.stats, ri) - gammaln(xv + 1);
    };
  },
});
