/**
 * ChainObservation(out | state, C, precision): linear Gaussian observations of a GaussMarkovChain,
 *   y_t | x_t ~ N(C x_t, Λ⁻¹),   y_t ∈ ℝᵖ, x_t ∈ ℝᵈ,
 *   E[log f_t] = ½E[log|Λ|] − (p/2) log 2π − ½ tr(E[Λ] E[(y_t − C x_t)(y_t − C x_t)ᵀ]).
 * Edges: out (MvNormal(p), usually observed), state (GaussMarkovChain(d)), C (input p×d),
 * precision (Wishart(p), random or known).
 */
import { LOG_2PI, MvNormal, Wishart, type WishartFamily, type MvNormalFamily, type GaussMarkovChainFamily } from "@vireo/core";
import { type NodeContext, type EdgeView, weightAt } from "../contract/node.js";
import { requireSameDim, requireValueSize, requireKnown } from "../contract/edges.js";
import { defineNode } from "../contract/define.js";

/** E[(y − Cx)(y − Cx)ᵀ] at row t into S (p×p). */
function residualScatter(y: EdgeView, x: EdgeView, C: Float64Array, p: number, d: number, t: number, S: Float64Array, Cx: Float64Array): void {
  const Y = y.family as MvNormalFamily, X = x.family as GaussMarkovChainFamily, ys = y.stats, xs = x.stats;
  const yo = Y.meanOffset(t), yyo = Y.outerOffset(t), xo = X.meanOffset(t), xxo = X.outerOffset(t);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += C[i * d + k]! * xs[xo + k]!;
    Cx[i] = s;
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let cxxc = 0;
    for (let k = 0; k < d; k++) {
      let r = 0;
      for (let l = 0; l < d; l++) r += xs[xxo + k * d + l]! * C[j * d + l]!;
      cxxc += C[i * d + k]! * r;
    }
    S[i * p + j] = ys[yyo + i * p + j]! - ys[yo + i]! * Cx[j]! - Cx[i]! * ys[yo + j]! + cxxc;
  }
}

function parts(ctx: NodeContext) {
  const y = ctx.edges.out, x = ctx.edges.state, p = y.family!.dim, d = x.family!.dim;
  const Y = y.family as MvNormalFamily, X = x.family as GaussMarkovChainFamily, W = ctx.edges.precision.family as WishartFamily;
  return { y, x, Y, X, W, p, d, C: ctx.edges.C.values, L: ctx.edges.precision };
}

export const ChainObservationNode = defineNode({
  name: "ChainObservation",
  edges: {
    out: { family: MvNormal, doc: "the observation y_t (p), one row per step" },
    state: { family: "GaussMarkovChain", doc: "the states x_t (d)" },
    C: { family: "input", doc: "known p×d observation matrix" },
    precision: { family: Wishart, doc: "observation noise precision Λ (p×p)" },
  },
  check(info, nodeName) {
    const p = requireSameDim(info, ["out", "precision"], nodeName, "ChainObservation");
    const d = info.state!.family!.dim;
    requireKnown(info.C!.known, nodeName, "ChainObservation", "C", "a model constant");
    requireValueSize(info, "C", p * d, nodeName, "ChainObservation", `a ${p}×${d} matrix`);
  },
  messages(ctx, edge, out) {
    const { y, x, Y, X, W, p, d, C, L } = parts(ctx), Lm = L.stats.subarray(W.matrixOffset(0), W.matrixOffset(0) + p * p);
    if (edge === "state") {
      // [Cᵀ E[Λ] E[y_t], −½ Cᵀ E[Λ] C] into row t's unary slots.
      const CtL = new Float64Array(d * p);
      for (let k = 0; k < d; k++) for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < p; i++) s += C[i * d + k]! * Lm[i * p + j]!;
        CtL[k * p + j] = s;
      }
      for (let t = 0; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t), o = X.meanOffset(t), oo = X.outerOffset(t), yo = Y.meanOffset(t);
        for (let k = 0; k < d; k++) {
          let h = 0;
          for (let j = 0; j < p; j++) h += CtL[k * p + j]! * y.stats[yo + j]!;
          out[o + k] += wt * h;
          for (let l = 0; l < d; l++) {
            let s = 0;
            for (let j = 0; j < p; j++) s += CtL[k * p + j]! * C[j * d + l]!;
            out[oo + k * d + l] -= 0.5 * wt * s;
          }
        }
      }
    } else if (edge === "out") {
      for (let t = 0; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t), o = Y.meanOffset(t), oo = Y.outerOffset(t), xo = X.meanOffset(t);
        for (let i = 0; i < p; i++) {
          let s = 0;
          for (let j = 0; j < p; j++) {
            let cx = 0;
            for (let k = 0; k < d; k++) cx += C[j * d + k]! * x.stats[xo + k]!;
            s += Lm[i * p + j]! * cx;
            out[oo + i * p + j] -= 0.5 * wt * Lm[i * p + j]!;
          }
          out[o + i] += wt * s;
        }
      }
    } else {
      const S = new Float64Array(p * p), Cx = new Float64Array(p);
      for (let t = 0; t < ctx.rows; t++) {
        const wt = weightAt(ctx.weights, t);
        residualScatter(y, x, C, p, d, t, S, Cx);
        out[W.logDetOffset(0)] += 0.5 * wt;
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[W.matrixOffset(0) + j * p + i] -= 0.5 * wt * S[i * p + j]!;
      }
    }
  },
  rowTerm(ctx) {
    const { y, x, W, p, d, C, L } = parts(ctx), S = new Float64Array(p * p), Cx = new Float64Array(p);
    return (t) => {
      residualScatter(y, x, C, p, d, t, S, Cx);
      const lm = W.matrixOffset(0);
      let tr = 0;
      for (let i = 0; i < p * p; i++) tr += L.stats[lm + i]! * S[i]!;
      return 0.5 * W.elogdet(L.stats, 0) - 0.5 * p * LOG_2PI - 0.5 * tr;
    };
  },
});
