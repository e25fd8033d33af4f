/**
 * Gamma(out | shape a, rate b):  log f = a log b − log Γ(a) + (a − 1) log x − b x.
 * Edges: out (Gamma), shape (input: a known positive number), rate (Gamma, random or known).
 * The shape must be known: a random shape has no conjugate update.
 */
import { gammaln, Gamma } from "@vireo/core";
import { instanceOf, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown, requirePositiveValues, requireValueSize } from "../contract/edges.js";

const NAME = "Gamma";

export const GammaNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Gamma, doc: "the positive variable" },
    shape: { family: "input", doc: "known shape a > 0" },
    rate: { family: Gamma, doc: "rate b > 0 (random or known)" },
  },
  check(info, nodeName) {
    requireKnown(info.shape.known, nodeName, NAME, "shape", "a random shape has no conjugate update");
    requireValueSize(info, "shape", 1, nodeName, NAME, "one shape value");
  },
  checkData(ctx) {
    requirePositiveValues(ctx.edges.shape.values, ctx.nodeName, NAME, "shape", "shape");
  },
  messages(ctx, edge, out) {
    const { out: x, shape: a, rate: b } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), av = a.values[instanceOf(a, n)]!;
      if (edge === "out") {
        const o = instanceOf(x, n);
        out[2 * o] += wn * (av - 1);
        out[2 * o + 1] -= wn * Gamma.ex(b.stats, instanceOf(b, n));
      } else {
        const o = instanceOf(b, n);
        out[2 * o] += wn * av;
        out[2 * o + 1] -= wn * Gamma.ex(x.stats, instanceOf(x, n));
      }
    }
  },
  rowTerm(ctx) {
    const { out: x, shape: a, rate: b } = ctx.edges;
    return (n) => {
      const av = a.values[instanceOf(a, n)]!, xi = instanceOf(x, n), bi = instanceOf(b, n);
      return av * Gamma.elog(b.stats, bi) - gammaln(av) + (av - 1) * Gamma.elog(x.stats, xi) - Gamma.ex(b.stats, bi) * Gamma.ex(x.stats, xi);
    };
  },
});
