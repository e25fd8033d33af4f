/**
 * PoissonLog(out | w, x): y_n ~ Poisson(exp(wᵀx_n)), Poisson regression with the log link.
 *   log f = y a − eᵃ − log y!,  a = wᵀx_n.
 * Not conjugate to a Gaussian w, but for a ~ N(m, v) its expectation is closed form
 * (E eᵃ = e^{m + v/2}), so no quadrature is needed:
 *   E log f = y m − e^{m + v/2} − log y!,  ∂/∂m = y − e^{m + v/2},  ∂/∂v = −½ e^{m + v/2}.
 * The message to w is the gradient of that in w's expected statistics (see linear-predictor.ts).
 * Edges: out (Poisson, observed counts), w (MvNormal(D)), x (input).
 */
import { gammaln, Poisson } from "@vireo/core";
import type { NodeType } from "../contract/node.js";
import { linearPredictorNode } from "./linear-predictor.js";
import { checkDamping, type GaussianExpectation } from "./gauss-hermite.js";

const lognormalRate: GaussianExpectation = {
  withGradient(y, m, v, _c1, _c2, out) {
    const r = Math.exp(m + 0.5 * v);
    out[0] = y * m - r - gammaln(y + 1);
    out[1] = y - r;
    out[2] = -0.5 * r;
  },
  value: (y, m, v) => y * m - Math.exp(m + 0.5 * v) - gammaln(y + 1),
};

/**
 * A PoissonLog node type with its own damping (default 0.5). q(w) starts from the Laplace
 * approximation at the maximum-likelihood coefficients (IRLS from log(y + ½)), so the intercept
 * starts near the log of the mean count: a start at w = 0 would overshoot by about the mean count
 * at realistic counts (hundreds and more) and swamp the precision in round-off.
 */
export function poissonLogNode(options: { readonly damping?: number } = {}): NodeType {
  return linearPredictorNode({
    name: "PoissonLog",
    outFamily: Poisson,
    outDoc: "observed counts",
    expectation: lognormalRate,
    damping: checkDamping(options.damping ?? 0.5, "PoissonLog"),
    // Start where the data say: each row's predictor at log(y + ½), then IRLS to the maximum.
    initialPredictor: (y) => Math.log(y + 0.5),
  });
}

export const PoissonLogNode: NodeType = poissonLogNode();
