/**
 * Categorical(out | p):  log f = Σ_k [x = k] log p_k.
 * Edges: out (Categorical(K): latent, or observed category indices), p (Dirichlet(K), or known).
 * E[log f] = Σ_k E[x_k] E[log p_k] is linear in both edges with nothing left over.
 */
import { Categorical, Dirichlet } from "@vireo/core";
import { type EdgeView, weightAt, instanceOf } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireSameDim } from "../contract/edges.js";
import { columnSums } from "../contract/weighted-sums.js";

function rowLog(x: EdgeView, p: EdgeView, K: number, n: number): number {
  const po = instanceOf(p, n) * K;
  if (x.known) return p.stats[po + x.values[instanceOf(x, n)]!]!;
  const xo = instanceOf(x, n) * K;
  let s = 0;
  for (let k = 0; k < K; k++) s += x.stats[xo + k]! * p.stats[po + k]!;
  return s;
}

const NAME = "Categorical";

export const CategoricalNode = defineNode({
  name: NAME,
  edges: {
    out: { family: Categorical, doc: "a category in 0..K−1" },
    p: { family: Dirichlet, doc: "the category probabilities" },
  },
  linearEdges: ["out", "p"],
  check(info, nodeName) {
    requireSameDim(info, ["out", "p"], nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { out: x, p } = ctx.edges;
    const K = p.size, w = ctx.weights;
    if (!x.known && x.layout === "row" && p.layout === "broadcast" && w === null) {
      // The plate case (z_n ~ Cat(π)): one tight pass, no per-row instance lookups.
      const ps = p.stats, xs = x.stats;
      if (edge === "out") {
        for (let n = 0, o = 0; n < ctx.rows; n++, o += K) for (let k = 0; k < K; k++) out[o + k] += ps[k]!;
      } else {
        // Σ_n E[x_n], cached state-wide as column sums of the rows (a mixture's fused selector
        // update fills them while it writes the responsibilities).
        const c = columnSums(ctx.changes, xs, 0, xs, K);
        if (!c.fresh()) {
          const t = c.table;
          t.fill(0);
          for (let n = 0, o = 0; n < ctx.rows; n++, o += K) for (let k = 0; k < K; k++) t[k] += xs[o + k]!;
          c.stamp();
        }
        for (let k = 0; k < K; k++) out[k] += c.table[k]!;
      }
      return;
    }
    if (edge === "out") {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n), po = instanceOf(p, n) * K, o = instanceOf(x, n) * K;
        for (let k = 0; k < K; k++) out[o + k] += wn * p.stats[po + k]!;
      }
    } else if (x.known) {
      for (let n = 0; n < ctx.rows; n++) out[instanceOf(p, n) * K + x.values[instanceOf(x, n)]!] += weightAt(w, n);
    } else {
      for (let n = 0; n < ctx.rows; n++) {
        const wn = weightAt(w, n), xo = instanceOf(x, n) * K, o = instanceOf(p, n) * K;
        for (let k = 0; k < K; k++) out[o + k] += wn * x.stats[xo + k]!;
      }
    }
  },
  // The message to a per-row `out` is the row's E[log p]: a gather from p's statistics.
  gatheredMessage(ctx, edge) {
    const { out: x, p } = ctx.edges;
    if (edge !== "out" || x.known || x.layout !== "row" || p.stats.length === 0) return null;
    return { table: p.stats, instances: p.count, instanceStride: p.size, kStride: 1, layout: p.layout, index: p.index, weights: ctx.weights };
  },
  // As mixture components over p (K instances of Dirichlet(V)) with a known word w per row:
  // component k's row log factor is E[log p_k,w], a gather from p's statistics at w.
  componentGather(ctx, components) {
    const { out: x, p } = ctx.edges;
    if (components.length !== 1 || components[0] !== "p" || !x.known || x.layout !== "row" || p.stats.length === 0) return null;
    return { table: p.stats, instances: p.size, instanceStride: 1, kStride: p.size, layout: "indexed", index: x.values, weights: ctx.weights };
  },
  // As mixture components over p with a known word w per row: component k's message to p_k is
  // Σ_n w_n E[z_nk] at word(n), all K added in one pass over the rows.
  componentScatter(ctx, components, edge, selector, out) {
    const { out: x, p } = ctx.edges;
    if (components.length !== 1 || components[0] !== "p" || edge !== "p" || !x.known || x.layout !== "row" || selector.known || selector.layout !== "row") return false;
    const V = p.size, K = selector.family!.dim, zs = selector.stats, stride = selector.size, words = x.values, w = ctx.weights;
    for (let n = 0, zo = 0; n < ctx.rows; n++, zo += stride) {
      const wn = weightAt(w, n), word = words[n]!;
      for (let k = 0, o = word; k < K; k++, o += V) out[o] += wn * zs[zo + k]!;
    }
    return true;
  },
  rowTerm(ctx) {
    const { out: x, p } = ctx.edges;
    return (n) => rowLog(x, p, p.size, n);
  },
});
