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
 * A PoissonLog node type with its own damping (default 0.5). With large counts the first update
 * can run away: the engine starts from the Laplace step at w = 0, which overshoots by about the
 * mean count, and rates e^60 and beyond then swamp the precision in round-off (an improper-update
 * error). Iterates that reach e^60 often still come back, so no bound is enforced here; start w
 * near the data instead (cavi's init: intercept ≈ log(mean count), small covariance).
 */
export function poissonLogNode(options: { readonly damping?: number } = {}): NodeType {
  return linearPredictorNode({
    name: "PoissonLog",
    outFamily: Poisson,
    outDoc: "observed counts",
    expectation: lognormalRate,
    damping: checkDamping(options.damping ?? 0.5, "PoissonLog"),
  });
}

export const PoissonLogNode: NodeType = poissonLogNode();
