/**
 * BernoulliLogit(out | w, x): y_n ∈ {0, 1}, P(y_n = 1) = σ(wᵀx_n), a logistic-regression likelihood.
 *   log f = y a − log(1 + eᵃ),  a = wᵀx_n,  f' = y − σ(a),  f'' = −σ(a)(1 − σ(a)).
 * Not conjugate to a Gaussian w: E_q[log f] has no closed form, so it is computed by Gauss–Hermite
 * quadrature over a ~ N(m_n, v_n), and the message to w is its gradient (a conjugate-computation
 * VI step; see linear-predictor.ts). Edges: out (Bernoulli, observed), w (MvNormal(D)), x (input).
 */
import { sigmoid, softplus, Bernoulli } from "@vireo/core";
import type { NodeType } from "../contract/node.js";
import { linearPredictorNode } from "./linear-predictor.js";
import { quadratureExpectation, checkDamping, type ScalarLogLik } from "./gauss-hermite.js";

/** log σ(a)^y (1 − σ(a))^(1−y) and its derivatives in the linear predictor a (also the GP Bernoulli-logit likelihood's). */
export const logistic: ScalarLogLik = {
  f: (a, y) => y * a - softplus(a),
  d1: (a, y) => y - sigmoid(a),
  d2: (a) => {
    const p = sigmoid(a);
    return -p * (1 - p);
  },
};

export interface NonConjugateOptions {
  /**
   * CVI step size: the connected Gaussian moves this fraction of the way to its new natural
   * parameters per update (default 0.5). A full step is a Newton step with the Hessian averaged
   * under q and converges in a handful of sweeps on well-conditioned data, but on nearly separable
   * data (weights ~15, a vague prior) steps of 0.8–1 oscillate and lower the ELBO; 0.5 does not.
   * Perfectly separated data with a very vague prior need smaller steps still.
   */
  readonly damping?: number;
  /** Gauss–Hermite points (default 32). */
  readonly points?: number;
}

/** A BernoulliLogit node type with its own damping and quadrature size. */
export function bernoulliLogitNode(options: NonConjugateOptions = {}): NodeType {
  return linearPredictorNode({
    name: "BernoulliLogit",
    outFamily: Bernoulli,
    outDoc: "observed 0/1 outcomes",
    expectation: quadratureExpectation(logistic, options.points ?? 32),
    damping: checkDamping(options.damping ?? 0.5, "BernoulliLogit"),
  });
}

export const BernoulliLogitNode: NodeType = bernoulliLogitNode();
