/**
 * ChainEmission(out | state, C, precision): linear Gaussian observations of a GaussMarkovChain(d)
 * whose observation matrix and noise may be learnt (Beal 2003, ch. 5), one row per step:
 *   y_t | x_t ~ N(C x_t, Λ⁻¹),   y_t ∈ ℝᵖ,
 *   E[log f_t] = ½E[log|Λ|] − (p/2) log 2π − ½ tr(E[Λ] E[(y_t − C x_t)(y_t − C x_t)ᵀ]).
 * Edges: out (MvNormal(p), usually observed), state (GaussMarkovChain(d)), C (MvNormal(p·d) over
 * vec(C) row-major: a Gaussian prior on the rows of C, or a constant), precision (Wishart(p) full,
 * or Gamma λ for isotropic λ I; random or constant). When C is learnt, start q(C) away from zero
 * (observationMatrixStart) and update the states first: E[C] = 0 is a fixed point of the updates.
 */
import { MvNormal, Wishart, Gamma, type GaussMarkovChainFamily, type MvNormalFamily } from "@vireo/core";
import { type NodeContext, weightAt } from "../contract/node.js";
import { defineNode } from "../contract/define.js";
import {
  requireNoisePrecision, requireMatrix, precisionMoments, addNoiseMessage, expectedQuadratic, gaussianEnergy, addMatrixMessage, ResidualScatter,
} from "./linear-gaussian.js";

function parts(ctx: NodeContext) {
  const y = ctx.edges.out, x = ctx.edges.state, p = y.family!.dim, d = x.family!.dim, Lam = new Float64Array(p * p);
  const logDet = precisionMoments(ctx.edges.precision, p, Lam);
  return { y, x, p, d, Lam, logDet, C: ctx.edges.C.stats };
}

/** Weighted sums over rows of E[y] E[x]ᵀ (p×d) and E[x xᵀ] (d×d): the message to C. */
function sums(ctx: NodeContext, p: number, d: number) {
  const y = ctx.edges.out, x = ctx.edges.state, ys = y.stats, xs = x.stats;
  const Syx = new Float64Array(p * d), Sxx = new Float64Array(d * d);
  for (let t = 0; t < ctx.rows; t++) {
    const w = weightAt(ctx.weights, t), yo = t * y.size, xo = t * x.size;
    for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) Syx[i * d + k] += w * ys[yo + i]! * xs[xo + k]!;
    for (let i = 0; i < d * d; i++) Sxx[i] += w * xs[xo + d + i]!;
  }
  return { Syx, Sxx };
}

/** Σ_t w_t E[(y_t − C x_t)(y_t − C x_t)ᵀ], accumulated row by row (see ResidualScatter). */
function scatter(ctx: NodeContext, p: number, d: number): { W: Float64Array; count: number } {
  const y = ctx.edges.out, x = ctx.edges.state, ys = y.stats, xs = x.stats, W = new Float64Array(p * p);
  const acc = new ResidualScatter(ctx.edges.C.stats, p, d, ctx.edges.C.known);
  let count = 0;
  for (let t = 0; t < ctx.rows; t++) {
    const w = weightAt(ctx.weights, t), yo = t * y.size, xo = t * x.size;
    count += w;
    acc.add(w, ys, yo, ys, yo + p, xs, xo, xs, xo + d, null, 0, W);
  }
  return { W, count };
}

const NAME = "ChainEmission";

export const ChainEmissionNode = defineNode({
  name: NAME,
  edges: {
    out: { family: MvNormal, doc: "the observation y_t (p), one row per step" },
    state: { family: "GaussMarkovChain", doc: "the states x_t (d)" },
    C: { family: MvNormal, doc: "p×d observation matrix, vec(C) row-major: MvNormal(p·d) prior on its rows, or a constant" },
    precision: { family: [Gamma, Wishart], doc: "observation noise precision: Wishart(p) (full) or Gamma λ (isotropic λ I)" },
  },
  check(info, nodeName) {
    const p = info.out.family!.dim, d = info.state.family!.dim;
    requireMatrix(info, "C", p, d, nodeName, NAME);
    requireNoisePrecision(info, "precision", p, nodeName, NAME);
  },
  messages(ctx, edge, out) {
    const { y, x, p, d, Lam, C } = parts(ctx);
    const X = x.family as GaussMarkovChainFamily, Y = y.family as MvNormalFamily;
    if (edge === "state") {
      // Row t: E[C]ᵀ Λ E[y_t] on x_t, −½ E[CᵀΛC] on x_t x_tᵀ.
      const CtL = new Float64Array(d * p), CtLC = expectedQuadratic(C, p, d, Lam, new Float64Array(d * d));
      for (let k = 0; k < d; k++) for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < p; i++) s += C[i * d + k]! * Lam[i * p + j]!;
        CtL[k * p + j] = s;
      }
      for (let t = 0; t < ctx.rows; t++) {
        const w = weightAt(ctx.weights, t), o = X.meanOffset(t), oo = X.outerOffset(t), yo = Y.meanOffset(t);
        for (let k = 0; k < d; k++) {
          let h = 0;
          for (let j = 0; j < p; j++) h += CtL[k * p + j]! * y.stats[yo + j]!;
          out[o + k] += w * h;
        }
        for (let i = 0; i < d * d; i++) out[oo + i] -= 0.5 * w * CtLC[i]!;
      }
    } else if (edge === "out") {
      // Row t: Λ E[C] E[x_t] on y_t, −½Λ on y_t y_tᵀ.
      const LC = new Float64Array(p * d);
      for (let i = 0; i < p; i++) for (let k = 0; k < d; k++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += Lam[i * p + j]! * C[j * d + k]!;
        LC[i * d + k] = s;
      }
      for (let t = 0; t < ctx.rows; t++) {
        const w = weightAt(ctx.weights, t), o = Y.meanOffset(t), oo = Y.outerOffset(t), xo = X.meanOffset(t);
        for (let i = 0; i < p; i++) {
          let h = 0;
          for (let k = 0; k < d; k++) h += LC[i * d + k]! * x.stats[xo + k]!;
          out[o + i] += w * h;
        }
        for (let i = 0; i < p * p; i++) out[oo + i] -= 0.5 * w * Lam[i]!;
      }
    } else {
      if (edge === "C") {
        const s = sums(ctx, p, d);
        addMatrixMessage(out, p, d, Lam, s.Syx, s.Sxx);
      } else {
        const s = scatter(ctx, p, d);
        addNoiseMessage(ctx.edges.precision, p, s.count, s.W, out);
      }
    }
  },
  logFactor(ctx) {
    const { p, d, Lam, logDet } = parts(ctx), s = scatter(ctx, p, d);
    return gaussianEnergy(Lam, logDet, p, s.count, s.W);
  },
});
