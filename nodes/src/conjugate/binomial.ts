/**
 * Binomial(out | trials, p):  log f = log C(n, k) + k log p + (n − k) log(1 − p).
 * Edges: out (input: observed success counts k), trials (input: n ≥ k), p (Beta).
 */
import { gammaln, VireoError, fmt, Beta } from "@vireo/core";
import { instanceOf, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";

const NAME = "Binomial";

export const BinomialNode = defineNode({
  name: NAME,
  edges: {
    out: { family: "input", doc: "observed number of successes" },
    trials: { family: "input", doc: "number of trials" },
    p: { family: Beta, doc: "success probability" },
  },
  check(info, nodeName) {
    requireKnown(info.out.known, nodeName, NAME, "out", "counts are data");
    requireKnown(info.trials.known, nodeName, NAME, "trials", "trial counts are data");
    requireValueSize(info, "out", 1, nodeName, NAME, "one count");
    requireValueSize(info, "trials", 1, nodeName, NAME, "one trial count");
  },
  checkData(ctx) {
    const { out: k, trials: t } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const kv = k.values[instanceOf(k, n)]!, tv = t.values[instanceOf(t, n)]!;
      if (!(Number.isInteger(kv) && Number.isInteger(tv) && kv >= 0 && kv <= tv)) {
        throw new VireoError(
          "INVALID_DATA",
          `Node '${ctx.nodeName}' (${NAME}), row ${n}: expected integer counts 0 ≤ out ≤ trials, got out = ${fmt(kv)}, trials = ${fmt(tv)}.`,
          { node: ctx.nodeName, row: n },
        );
      }
    }
  },
  messages: {
    p(ctx, out) {
      const { out: k, trials: t, p } = ctx.edges;
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(ctx.weights, n), kv = k.values[instanceOf(k, n)]!, tv = t.values[instanceOf(t, n)]!, o = instanceOf(p, n) * 2;
        out[o] += wn * kv;
        out[o + 1] += wn * (tv - kv);
      }
    },
  },
  rowTerm(ctx) {
    const { out: k, trials: t, p } = ctx.edges;
    return (n) => {
      const kv = k.values[instanceOf(k, n)]!, tv = t.values[instanceOf(t, n)]!, pi = instanceOf(p, n);
      return gammaln(tv + 1) - gammaln(kv + 1) - gammaln(tv - kv + 1) + kv * Beta.elog(p.stats, pi) + (tv - kv) * Beta.elog1m(p.stats, pi);
    };
  },
});
