/**
 * JaakkolaJordanLogit(out | w, x): logistic regression (named apart from the core CVI BernoulliLogit node:
 * same likelihood, a different bound), p(y_n = 1) = σ(wᵀx_n), made conjugate by the
 * Jaakkola–Jordan bound. With s = wᵀx and λ(ξ) = tanh(ξ/2) / (4ξ),
 *   log σ((2y − 1)s) ≥ (y − ½)s − ξ/2 + log σ(ξ) − λ(ξ)(s² − ξ²),
 * which is quadratic in w, so q(w) stays Gaussian. The node re-optimises ξ_n from the current
 * q(w) on every call: ξ_n² = x_nᵀE[wwᵀ]x_n, where the λ term vanishes and
 *   E[log f] = (E[y] − ½) xᵀE[w] − ξ_n/2 − log(1 + e^{−ξ_n}).
 * By the envelope theorem the message at that fixed ξ_n (h += (E[y] − ½)x, J-block −λ(ξ_n)xxᵀ)
 * is the gradient of this re-optimised bound, so verifyNode passes, and each update of w raises
 * the bound: CAVI stays monotone. The energy is a lower bound on E[log σ], so the ELBO is a lower
 * bound on the log evidence, not the usual mean-field one.
 */
import { ruleSet, weightAt, instanceOf, sumRows, requireValueSize, predictorMoments, type NodeContext, type EdgeView, type EdgeInfo } from "@vireo/nodes";
import { defineNode } from "@vireo/runtime";

/** λ(ξ) = tanh(ξ/2)/(4ξ), with its limit 1/8 at ξ → 0. */
export function jjLambda(xi: number): number {
  return xi < 1e-6 ? 0.125 - (xi * xi) / 192 : Math.tanh(xi / 2) / (4 * xi);
}

/** Scratch for predictorMoments (nodes run one at a time). */
const moments = new Float64Array(2);

/** Optimal ξ_n = sqrt(x_nᵀE[wwᵀ]x_n) and the linear predictor xᵀE[w] at row n. */
function predictor(w: EdgeView, x: EdgeView, D: number, n: number): { mean: number; xi: number } {
  predictorMoments(w, x, D, n, moments);
  return { mean: moments[0]!, xi: Math.sqrt(Math.max(moments[1]!, 0)) };
}

function rowLog(e: Readonly<Record<string, EdgeView>>, D: number, n: number): number {
  const y = e.out!, { mean, xi } = predictor(e.w!, e.x!, D, n);
  return (y.stats[instanceOf(y, n)]! - 0.5) * mean - 0.5 * xi - Math.log1p(Math.exp(-xi));
}

export const JaakkolaJordanLogitNode = defineNode({
  name: "JaakkolaJordanLogit",
  edges: [
    { name: "out", family: "Bernoulli", doc: "the 0/1 label y" },
    { name: "w", family: "MvNormal", doc: "regression weights (D)" },
    { name: "x", family: "input", doc: "covariates, D per row" },
  ],
  check(info: Readonly<Record<string, EdgeInfo>>, nodeName: string): void {
    const D = info.w!.family!.dim;
    requireValueSize(info, "x", D, nodeName, "JaakkolaJordanLogit", `D = ${D} covariates matching w`);
  },
  messages: ruleSet(["out", "w"], (ctx: NodeContext, edge: string, out: Float64Array): void => {
    const { out: y, w, x } = ctx.edges;
    const D = w!.family!.dim;
    for (let n = 0; n < ctx.rows; n++) {
      const wn = weightAt(ctx.weights, n), { mean, xi } = predictor(w!, x!, D, n);
      if (edge === "out") {
        // Linear in E[y] with coefficient xᵀE[w]: the Bernoulli natural parameter (a logit).
        out[instanceOf(y!, n)] += wn * mean;
      } else {
        const o = instanceOf(w!, n) * w!.size, xo = instanceOf(x!, n) * D;
        const c = wn * (y!.stats[instanceOf(y!, n)]! - 0.5), lam = wn * jjLambda(xi);
        for (let i = 0; i < D; i++) {
          const xv = x!.values[xo + i]!;
          out[o + i] += c * xv;
          for (let j = 0; j < D; j++) out[o + D + i * D + j] -= lam * xv * x!.values[xo + j]!;
        }
      }
    }
  }),
  logFactor(ctx: NodeContext): number {
    const D = ctx.edges.w!.family!.dim;
    return sumRows(ctx, (n) => rowLog(ctx.edges, D, n));
  },
  rowLogFactor(ctx: NodeContext, out: Float64Array, offset: number, stride: number): void {
    const D = ctx.edges.w!.family!.dim;
    for (let n = 0; n < ctx.rows; n++) out[offset + n * stride] += rowLog(ctx.edges, D, n);
  },
});
