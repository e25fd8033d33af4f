/**
 * ChainTransition(out | A, precision, initialMean, initialPrecision): the dynamics of a linear
 * Gaussian state-space model with a known matrix A over a GaussMarkovChain(d) in a time plate (one
 * row per step):
 *   x_0 ~ N(m0, Λ0⁻¹),   x_t | x_{t−1} ~ N(A x_{t−1}, Λ⁻¹)  (t ≥ 1).
 * Edges: out (GaussMarkovChain(d), the states), A (input d×d), precision (Wishart(d), random or
 * known), initialMean (input d: m0), initialPrecision (input d×d: the precision Λ0 of the first
 * state, the inverse of its covariance). For a learnt A or an isotropic Gamma noise use
 * ChainInitial + ChainDynamics.
 *   E[log f_t] = ½E[log|Λ|] − (d/2) log 2π − ½ tr(E[Λ] E[(x_t − A x_{t−1})(x_t − A x_{t−1})ᵀ]),
 * which reads the chain's rows t and t−1 (E[x_t x_tᵀ], E[x_t x_{t−1}ᵀ], E[x_{t−1} x_{t−1}ᵀ]).
 */
import { LOG_2PI, spdLogDetDense, Wishart, type WishartFamily, type GaussMarkovChainFamily } from "@vireo/core";
import { type NodeContext, type EdgeView, weightAt } from "../contract/node.js";
import { requireSameDim, requireValueSize, requireKnown } from "../contract/edges.js";
import { defineNode } from "../contract/define.js";

/** E[(x_t − A x_{t−1})(x_t − A x_{t−1})ᵀ] at step t ≥ 1 into S (d×d). */
function residualScatter(x: EdgeView, A: Float64Array, d: number, t: number, S: Float64Array): void {
  const X = x.family as GaussMarkovChainFamily, xs = x.stats;
  const outer = X.outerOffset(t), lag = X.lagOuterOffset(t), prevOuter = X.outerOffset(t - 1);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    // E[x_t x_tᵀ] − E[x_t x_{t−1}ᵀ] Aᵀ − A E[x_{t−1} x_tᵀ] + A E[x_{t−1} x_{t−1}ᵀ] Aᵀ
    let s = xs[outer + i * d + j]!;
    for (let k = 0; k < d; k++) {
      s -= xs[lag + i * d + k]! * A[j * d + k]!;
      s -= A[i * d + k]! * xs[lag + j * d + k]!;
      let ak = 0;
      for (let l = 0; l < d; l++) ak += xs[prevOuter + k * d + l]! * A[j * d + l]!;
      s += A[i * d + k]! * ak;
    }
    S[i * d + j] = s;
  }
}

function dims(ctx: NodeContext) {
  const x = ctx.edges.out, d = x.family!.dim, X = x.family as GaussMarkovChainFamily, W = ctx.edges.precision.family as WishartFamily;
  return { x, X, W, d, A: ctx.edges.A.values, L: ctx.edges.precision, m0: ctx.edges.initialMean.values, P0: ctx.edges.initialPrecision.values };
}

function rowLog(ctx: NodeContext, S: Float64Array, logDetP0: number): (t: number) => number {
  const { x, X, W, d, A, L, m0, P0 } = dims(ctx);
  return (t) => {
    if (t === 0) {
      // log N(x_0 | m0, Λ0⁻¹) with E[(x_0 − m0)(x_0 − m0)ᵀ] from row 0.
      let q = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        const e = X.exx(x.stats, 0, i, j) - X.ex(x.stats, 0, i) * m0[j]! - m0[i]! * X.ex(x.stats, 0, j) + m0[i]! * m0[j]!;
        q += P0[i * d + j]! * e;
      }
      return 0.5 * logDetP0 - 0.5 * d * LOG_2PI - 0.5 * q;
    }
    residualScatter(x, A, d, t, S);
    const lm = W.matrixOffset(0);
    let tr = 0;
    for (let i = 0; i < d * d; i++) tr += L.stats[lm + i]! * S[i]!;
    return 0.5 * W.elogdet(L.stats, 0) - 0.5 * d * LOG_2PI - 0.5 * tr;
  };
}

export const ChainTransitionNode = defineNode({
  name: "ChainTransition",
  edges: {
    out: { family: "GaussMarkovChain", doc: "the states x_0 … x_{T−1}, one row per step" },
    A: { family: "input", doc: "known d×d transition matrix" },
    precision: { family: Wishart, doc: "transition noise precision Λ (d×d)" },
    initialMean: { family: "input", doc: "mean m0 of the first state (d)" },
    initialPrecision: { family: "input", doc: "precision Λ0 (inverse covariance) of the first state (d×d)" },
  },
  check(info, nodeName) {
    const d = requireSameDim(info, ["out", "precision"], nodeName, "ChainTransition");
    for (const e of ["A", "initialMean", "initialPrecision"] as const) requireKnown(info[e]!.known, nodeName, "ChainTransition", e, "model constants");
    requireValueSize(info, "A", d * d, nodeName, "ChainTransition", `a ${d}×${d} matrix`);
    requireValueSize(info, "initialMean", d, nodeName, "ChainTransition", `a ${d}-vector`);
    requireValueSize(info, "initialPrecision", d * d, nodeName, "ChainTransition", `a ${d}×${d} precision`);
  },
  messages(ctx, edge, out) {
    const { x, X, W, d, A, L, m0, P0 } = dims(ctx), dd = d * d;
    if (edge === "out") {
      const w0 = weightAt(ctx.weights, 0);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          s += P0[i * d + j]! * m0[j]!;
          out[X.outerOffset(0) + i * d + j] -= 0.5 * w0 * P0[i * d + j]!;
        }
        out[X.meanOffset(0) + i] += w0 * s;
      }
      // Λ A and Aᵀ Λ A are the same at every step: compute them once, then add row by row.
      const Lm = L.stats.subarray(W.matrixOffset(0), W.matrixOffset(0) + dd), LA = new Float64Array(dd), AtLA = new Float64Array(dd);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += Lm[i * d + k]! * A[k * d + j]!;
        LA[i * d + j] = s;
      }
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += A[k * d + i]! * LA[k * d + j]!;
        AtLA[i * d + j] = s;
      }
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t), outer = X.outerOffset(t), lag = X.lagOuterOffset(t), prevOuter = X.outerOffset(t - 1);
        for (let i = 0; i < dd; i++) {
          out[outer + i] -= 0.5 * wt * Lm[i]!;
          out[lag + i] += wt * LA[i]!;
          out[prevOuter + i] -= 0.5 * wt * AtLA[i]!;
        }
      }
    } else {
      const S = new Float64Array(dd);
      for (let t = 1; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t);
        residualScatter(x, A, d, t, S);
        out[W.logDetOffset(0)] += 0.5 * wt;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[W.matrixOffset(0) + j * d + i] -= 0.5 * wt * S[i * d + j]!;
      }
    }
  },
  rowTerm(ctx) {
    const d = ctx.edges.out.family!.dim;
    return rowLog(ctx, new Float64Array(d * d), spdLogDetDense(ctx.edges.initialPrecision.values, d, "first-state precision initialPrecision"));
  },
});
