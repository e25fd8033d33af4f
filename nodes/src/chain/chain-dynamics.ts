/**
 * ChainDynamics(out | A, precision): linear Gaussian dynamics of a GaussMarkovChain(d) whose
 * transition matrix and noise may be learnt (Beal 2003, ch. 5), one row per step:
 *   x_t | x_{t−1} ~ N(A x_{t−1}, Λ⁻¹)   (t ≥ 1; row 0 gets its prior from ChainInitial),
 *   E[log f_t] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] E[(x_t − A x_{t−1})(x_t − A x_{t−1})ᵀ]).
 * Edges: out (GaussMarkovChain(d)), A (MvNormal(d²) over vec(A) row-major: a Gaussian prior on the
 * rows of A, or a constant), precision (Wishart(d) full, or Gamma λ for isotropic λ I; random or
 * constant). q(A) and q(Λ) are mean-field factors beside the chain; all three updates are exact
 * coordinate steps, so CAVI's ELBO never decreases.
 */
import { MvNormal, Wishart, Gamma, type GaussMarkovChainFamily } from "@vireo/core";
import { type NodeContext, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import {
  requireNoisePrecision, requireMatrix, precisionMoments, addNoiseMessage, expectedQuadratic, gaussianEnergy, addMatrixMessage, ResidualScatter,
} from "./linear-gaussian.js";

/** Weighted sums over t ≥ 1 of E[x_t x_{t−1}ᵀ] and E[x_{t−1} x_{t−1}ᵀ]: the message to A. */
function chainSums(ctx: NodeContext, d: number) {
  const x = ctx.edges.out, X = x.family as GaussMarkovChainFamily, dd = d * d, xs = x.stats;
  const Scross = new Float64Array(dd), Sprev = new Float64Array(dd);
  for (let t = 1; t < ctx.rows; t++) {
    const w = weightAt(ctx.weights, t), lag = X.lagOuterOffset(t), prevOuter = X.outerOffset(t - 1);
    for (let i = 0; i < dd; i++) {
      Scross[i] += w * xs[lag + i]!;
      Sprev[i] += w * xs[prevOuter + i]!;
    }
  }
  return { Scross, Sprev };
}

/** Σ_{t≥1} w_t E[(x_t − A x_{t−1})(x_t − A x_{t−1})ᵀ], accumulated row by row (see ResidualScatter). */
function scatter(ctx: NodeContext, d: number): { W: Float64Array; count: number } {
  const x = ctx.edges.out, X = x.family as GaussMarkovChainFamily, xs = x.stats, W = new Float64Array(d * d);
  const acc = new ResidualScatter(ctx.edges.A.stats, d, d, ctx.edges.A.known);
  let count = 0;
  for (let t = 1; t < ctx.rows; t++) {
    const w = weightAt(ctx.weights, t);
    count += w;
    acc.add(w, xs, X.meanOffset(t), xs, X.outerOffset(t), xs, X.meanOffset(t - 1), xs, X.outerOffset(t - 1), xs, X.lagOuterOffset(t), W);
  }
  return { W, count };
}

function energyParts(ctx: NodeContext) {
  const d = ctx.edges.out.family!.dim, Lam = new Float64Array(d * d);
  const logDet = precisionMoments(ctx.edges.precision, d, Lam);
  return { d, Lam, logDet, A: ctx.edges.A.stats };
}

const NAME = "ChainDynamics";

export const ChainDynamicsNode = defineNode({
  name: NAME,
  edges: {
    out: { family: "GaussMarkovChain", doc: "the states x_0 … x_{T−1}, one row per step" },
    A: { family: MvNormal, doc: "d×d transition matrix, vec(A) row-major: MvNormal(d²) prior on its rows, or a constant" },
    precision: { family: [Gamma, Wishart], doc: "transition noise precision: Wishart(d) (full) or Gamma λ (isotropic λ I)" },
  },
  check(info, nodeName) {
    const d = info.out.family!.dim;
    requireMatrix(info, "A", d, d, nodeName, NAME);
    requireNoisePrecision(info, "precision", d, nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { d, Lam, A } = energyParts(ctx), dd = d * d;
    if (edge === "out") {
      // Row t: −½Λ on x_t x_tᵀ, Λ E[A] on x_t x_{t−1}ᵀ; row t − 1: −½ E[AᵀΛA] on x_{t−1} x_{t−1}ᵀ.
      const X = ctx.edges.out.family as GaussMarkovChainFamily, LA = new Float64Array(dd), AtLA = expectedQuadratic(A, d, d, Lam, new Float64Array(dd));
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += Lam[i * d + k]! * A[k * d + j]!;
        LA[i * d + j] = s;
      }
      for (let t = 1; t < ctx.rows; t++) {
        const w = weightAt(ctx.weights, t), outer = X.outerOffset(t), lag = X.lagOuterOffset(t), prevOuter = X.outerOffset(t - 1);
        for (let i = 0; i < dd; i++) {
          out[outer + i] -= 0.5 * w * Lam[i]!;
          out[lag + i] += w * LA[i]!;
          out[prevOuter + i] -= 0.5 * w * AtLA[i]!;
        }
      }
      return;
    }
    if (edge === "A") {
      const s = chainSums(ctx, d);
      addMatrixMessage(out, d, d, Lam, s.Scross, s.Sprev);
    } else {
      const s = scatter(ctx, d);
      addNoiseMessage(ctx.edges.precision, d, s.count, s.W, out);
    }
  },
  logFactor(ctx) {
    const { d, Lam, logDet } = energyParts(ctx), s = scatter(ctx, d);
    return gaussianEnergy(Lam, logDet, d, s.count, s.W);
  },
});
