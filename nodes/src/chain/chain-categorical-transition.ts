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
import { VireoError, Dirichlet, type CategoricalChainFamily } from "@vireo/core";
import { defineNode } from "../contract/define.js";

function parts(ctx: NodeContext) {
  const z = ctx.edges.out, Z = z.family as CategoricalChainFamily, K = Z.dim;
  // E[log π] and E[log A_j] (K Dirichlet rows back to back: A_j,i at j·K + i).
  return { z, Z, K, pi: ctx.edges.initial.stats, A: ctx.edges.transition.stats };
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
    const { z, Z, K, pi, A } = parts(ctx);
    if (edge === "out") {
      const w0 = weightAt(ctx.weights, 0);
      for (let i = 0; i < K; i++) out[i] += w0 * pi[i]!;
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t);
        // The chain's pairwise block (z_{t−1} = j, z_t = i) at j·K + i is laid out like the rows A_j.
        for (let m = 0, pair = Z.pairwiseOffset(t); m < K * K; m++) out[pair + m] += wt * A[m]!;
      }
    } else if (edge === "initial") {
      const w0 = weightAt(ctx.weights, 0);
      for (let i = 0; i < K; i++) out[i] += w0 * Z.marginal(z.stats, 0, i);
    } else {
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t), pair = Z.pairwiseOffset(t);
        for (let m = 0; m < K * K; m++) out[m] += wt * z.stats[pair + m]!;
      }
    }
  },
  logFactor(ctx) {
    const { z, Z, K, pi, A } = parts(ctx);
    return sumRows(ctx, (t) => {
      let s = 0;
      if (t === 0) for (let i = 0; i < K; i++) s += Z.marginal(z.stats, 0, i) * pi[i]!;
      else for (let m = 0, pair = Z.pairwiseOffset(t); m < K * K; m++) s += z.stats[pair + m]! * A[m]!;
      return s;
    });
  },
});
