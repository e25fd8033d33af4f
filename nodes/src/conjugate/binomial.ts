/**
 * Binomial(out | trials, p):  log f = log C(n, k) + k log p + (n − k) log(1 − p).
 * Edges: out (input: observed success counts k), trials (input: n ≥ k), p (Beta).
 */
import { gammaln, VireoError, fmt } from "@vireo/core";
import { type NodeType, type NodeContext, type EdgeView, type EdgeInfo, ruleSet, weightAt, instanceOf, rowTerms } from "../contract/node.js";
import { requireKnown, requireValueSize } from "../contract/edges.js";

function counts(ctx: NodeContext, k: EdgeView, t: EdgeView, n: number): [number, number] {
  const kv = k.values[instanceOf(k, n)]!, tv = t.values[instanceOf(t, n)]!;
  if (!(Number.isInteger(kv) && Number.isInteger(tv) && kv >= 0 && kv <= tv)) {
    throw new VireoError(
      "INVALID_DATA",
      `Node '${ctx.nodeName}' (Binomial), row ${n}: expected integer counts 0 ≤ out ≤ trials, got out = ${fmt(kv)}, trials = ${fmt(tv)}.`,
      { node: ctx.nodeName, row: n },
    );
  }
  return [kv, tv];
}

function rowLog(ctx: NodeContext, k: EdgeView, t: EdgeView, p: EdgeView, n: number): number {
  const [kv, tv] = counts(ctx, k, t, n), pi = instanceOf(p, n) * 2;
  return gammaln(tv + 1) - gammaln(kv + 1) - gammaln(tv - kv + 1) + kv * p.stats[pi]! + (tv - kv) * p.stats[pi + 1]!;
}

export const BinomialNode: NodeType = {
  name: "Binomial",
  edges: [
    { name: "out", family: "input", doc: "observed number of successes" },
    { name: "trials", family: "input", doc: "number of trials" },
    { name: "p", family: "Beta", doc: "success probability" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    requireKnown(info.out!.known, nodeName, "Binomial", "out", "counts are data");
    requireKnown(info.trials!.known, nodeName, "Binomial", "trials", "trial counts are data");
    requireValueSize(info, "out", 1, nodeName, "Binomial", "one count");
    requireValueSize(info, "trials", 1, nodeName, "Binomial", "one trial count");
  },
  messages: ruleSet(["p"], (ctx: NodeContext, _edge: string, out: Float64Array): void => {
    const { out: k, trials: t, p } = ctx.edges;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), [kv, tv] = counts(ctx, k, t, n), o = instanceOf(p, n) * 2;
      out[o] += wn * kv;
      out[o + 1] += wn * (tv - kv);
    }
  }),
  ...rowTerms((ctx) => {
    const { out: k, trials: t, p } = ctx.edges;
    return (n) => rowLog(ctx, k, t, p, n);
  }),
};
