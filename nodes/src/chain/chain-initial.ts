/**
 * ChainInitial(out | mean, precision): the prior of the first state of a GaussMarkovChain(d),
 *   x_0 ~ N(m, Λ⁻¹),   E[log f] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] E[(x_0 − m)(x_0 − m)ᵀ]),
 * which reads row 0 of the chain only. Edges: out (GaussMarkovChain(d)), mean (MvNormal(d), random
 * or constant), precision (Wishart(d) or Gamma λ for λ I, random or constant). Parameter names say
 * what they are: `precision` is a precision (the inverse of the initial covariance).
 * With ChainDynamics and ChainEmission it makes a state-space model whose parameters are all learnable.
 * For a prior on an unobserved state x₋₁ before the first observation, use priorBeforeFirst().
 */
import { type NodeContext, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import { requireSameDim } from "../contract/edges.js";
import { VireoError, spdInverseDense, MvNormal, Wishart, Gamma, type GaussMarkovChainFamily, type MvNormalFamily } from "@vireo/core";
import { requireNoisePrecision, precisionMoments, addNoiseMessage, residualScatter, gaussianEnergy } from "./linear-gaussian.js";

function parts(ctx: NodeContext) {
  const x = ctx.edges.out, X = x.family as GaussMarkovChainFamily, d = X.dim, Lam = new Float64Array(d * d);
  const logDet = precisionMoments(ctx.edges.precision, d, Lam);
  // The mean as a d×1 "matrix" M with w = 1: residual x_0 − M·1.
  const mean = ctx.edges.mean.stats, Sxx = x.stats.subarray(X.outerOffset(0), X.outerOffset(0) + d * d), Sx1 = x.stats.subarray(X.meanOffset(0), X.meanOffset(0) + d);
  return { d, X, Lam, logDet, mean, Sxx, Sx1, w0: weightAt(ctx.weights, 0) };
}

const ONE = Float64Array.of(1);

const NAME = "ChainInitial";

export const ChainInitialNode = defineNode({
  name: NAME,
  edges: {
    out: { family: "GaussMarkovChain", doc: "the states; the node reads the first row" },
    mean: { family: MvNormal, doc: "mean m of the first state (d), random or constant" },
    precision: { family: [Gamma, Wishart], doc: "precision Λ of the first state (inverse covariance): Wishart(d) or Gamma λ for λ I" },
  },
  check(info, nodeName) {
    const d = requireSameDim(info, ["out", "mean"], nodeName, NAME);
    requireNoisePrecision(info, "precision", d, nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { d, X, Lam, mean, Sxx, Sx1, w0 } = parts(ctx);
    if (edge === "out" || edge === "mean") {
      // Symmetric in x_0 and m: Λ E[other] on the linear slots, −½Λ on the quadratic ones.
      const other = edge === "out" ? mean : Sx1;
      // The target's own layout: the chain's first row, or the mean's MvNormal block.
      const target: GaussMarkovChainFamily | MvNormalFamily = edge === "out" ? X : (ctx.edges.mean.family as MvNormalFamily);
      const lin = target.meanOffset(0), quad = target.outerOffset(0);
      for (let i = 0; i < d; i++) {
        let h = 0;
        for (let j = 0; j < d; j++) {
          h += Lam[i * d + j]! * other[j]!;
          out[quad + i * d + j] -= 0.5 * w0 * Lam[i * d + j]!;
        }
        out[lin + i] += w0 * h;
      }
      return;
    }
    const W = residualScatter(mean, d, 1, Sxx, Sx1, ONE, new Float64Array(d * d), new Float64Array(d * d)).map((v) => w0 * v);
    addNoiseMessage(ctx.edges.precision, d, w0, W, out);
  },
  logFactor(ctx) {
    const { d, Lam, logDet, mean, Sxx, Sx1, w0 } = parts(ctx);
    return w0 * gaussianEnergy(Lam, logDet, d, 1, residualScatter(mean, d, 1, Sxx, Sx1, ONE, new Float64Array(d * d), new Float64Array(d * d)));
  },
});

/**
 * The exact prior of the first observed state x_0 when the prior is stated for an unobserved state
 * x₋₁ ~ N(mean, covariance) one step earlier, with known dynamics x_0 = A x₋₁ + w, w ~ N(0, Q):
 *   x_0 ~ N(A mean, A covariance Aᵀ + Q).
 * Returns { mean, precision } ready for ChainInitial's edges (and ChainTransition's m0/P0, which
 * is a precision too). With a learnt A or Q this marginal is not conjugate: then give x_0 its own prior.
 */
export function priorBeforeFirst(
  before: { readonly mean: ArrayLike<number>; readonly covariance: ArrayLike<number> },
  transition: ArrayLike<number>,
  transitionCovariance: ArrayLike<number>,
): { mean: Float64Array; precision: Float64Array } {
  const d = before.mean.length;
  const sizes: [string, number, number][] = [["before.covariance", before.covariance.length, d * d], ["transition", transition.length, d * d], ["transitionCovariance", transitionCovariance.length, d * d]];
  for (const [name, got, want] of sizes) {
    if (got !== want) throw new VireoError("DIMENSION_MISMATCH", `priorBeforeFirst: '${name}' has ${got} values; expected a ${d}×${d} matrix (${want}) for a ${d}-dimensional state.`, { parameter: name });
  }
  const mean = new Float64Array(d), cov = new Float64Array(d * d), AV = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += transition[i * d + k]! * before.mean[k]!;
    mean[i] = s;
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += transition[i * d + k]! * before.covariance[k * d + j]!;
      AV[i * d + j] = v;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = transitionCovariance[i * d + j]!;
    for (let k = 0; k < d; k++) s += AV[i * d + k]! * transition[j * d + k]!;
    cov[i * d + j] = s;
  }
  return { mean, precision: spdInverseDense(cov, d, "priorBeforeFirst: A·covariance·Aᵀ + Q") };
}
