/**
 * ChainCategoricalTransition(out | initial, transition): the Markov dynamics of a hidden state
 * chain, z_0 ~ Categorical(π), z_t | z_{t−1} = j ~ Categorical(A_j).
 * Edges: out (CategoricalChain(K), one row per step), initial (Dirichlet(K): π), transition
 * (Dirichlet(K) with K instances, row j = A_j, the probabilities of leaving state j; the node
 * reads all of them at every step).
 *   E[log f] = Σ_i γ_0(i) E[log π_i] + Σ_{t≥1} Σ_ji ξ_t(j, i) E[log A_j(i)],  ξ_t(j, i) = q(z_{t−1} = j, z_t = i),
 * linear in the chain's statistics with nothing left over.
 */
import { type NodeContext, weightAt, sumRows } from "../contract/node.js";
import { requireSameDim } from "../contract/edges.js";
import { VireoError, Dirichlet } from "@vireo/core";
import { defineNode } from "../contract/define.js";

function parts(ctx: NodeContext) {
  const z = ctx.edges.out, K = z.family!.dim;
  return { z, K, pi: ctx.edges.initial.stats, A: ctx.edges.transition.stats };
}

export const ChainCategoricalTransitionNode = defineNode({
  name: "ChainCategoricalTransition",
  edges: {
    out: { family: "CategoricalChain", doc: "the hidden states, one row per step" },
    initial: { family: Dirichlet, doc: "distribution π of the first state" },
    transition: { family: Dirichlet, doc: "K rows A_j: next-state probabilities from state j", allInstances: true },
  },
  linearEdges: ["out"],
  check(info, nodeName) {
    requireSameDim(info, ["out", "initial", "transition"], nodeName, "ChainCategoricalTransition");
  },
  // Instance counts are known once the plates are sized: checked then, not in every message.
  checkData(ctx: NodeContext): void {
    const K = ctx.edges.out!.family!.dim;
    if (ctx.edges.transition!.count !== K) {
      throw new VireoError("INVALID_MODEL", `Node '${ctx.nodeName}': 'transition' must have K = ${K} instances (one Dirichlet row per state), got ${ctx.edges.transition!.count}.`, { node: ctx.nodeName, edge: "transition" });
    }
  },
  messages(ctx, edge, out) {
    const { z, K, pi, A } = parts(ctx), n = z.size;
    if (edge === "out") {
      const w0 = weightAt(ctx.weights, 0);
      for (let i = 0; i < K; i++) out[i] += w0 * pi[i]!;
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t);
        // The chain's pairwise block (z_{t−1} = j, z_t = i) at j·K + i is laid out like the rows A_j.
        for (let m = 0; m < K * K; m++) out[t * n + K + m] += wt * A[m]!;
      }
    } else if (edge === "initial") {
      const w0 = weightAt(ctx.weights, 0);
      for (let i = 0; i < K; i++) out[i] += w0 * z.stats[i]!;
    } else {
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t);
        for (let m = 0; m < K * K; m++) out[m] += wt * z.stats[t * n + K + m]!;
      }
    }
  },
  logFactor(ctx) {
    const { z, K, pi, A } = parts(ctx), n = z.size;
    return sumRows(ctx, (t) => {
      let s = 0;
      if (t === 0) for (let i = 0; i < K; i++) s += z.stats[i]! * pi[i]!;
      else for (let m = 0; m < K * K; m++) s += z.stats[t * n + K + m]! * A[m]!;
      return s;
    });
  },
});
