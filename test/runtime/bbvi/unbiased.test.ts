/**
 * Unbiasedness on Normal–Normal: the average of many single-sample gradient estimates equals the
 * analytic ELBO gradient within 5 standard errors, for the reparameterization and the
 * score-function estimator (selected per variable on the same model).
 */
import test from "ava";
import { meanFieldGaussian } from "@vireo/core";
import { createBbvi } from "@vireo/runtime";
import { normalNormal } from "./models.js";

const Z = 5;

/** Analytic ∇ELBO at λ = (m, ρ) for q = N(m, e^{2ρ}). */
function analytic(x: Float64Array, s0: number, sigma: number, m: number, rho: number): [number, number] {
  const s2 = Math.exp(2 * rho);
  let gm = -m / (s0 * s0);
  for (const xi of x) gm += (xi - m) / (sigma * sigma);
  const grho = -s2 / (s0 * s0) - (x.length * s2) / (sigma * sigma) + 1;
  return [gm, grho];
}

for (const estimator of ["reparam", "score"] as const) {
  test(`${estimator} gradient on Normal–Normal is unbiased (5 SE)`, (t) => {
    const nn = normalNormal();
    const engine = createBbvi(nn.model({ family: meanFieldGaussian(1) }), { samples: 1, estimators: { mu: estimator } });
    t.is(engine.estimators["mu"], estimator);
    const state = engine.init(11, { mu: [0.3, Math.log(0.5)] });
    const K = estimator === "reparam" ? 4000 : 20000;
    const sum = [0, 0], sq = [0, 0];
    for (let k = 0; k < K; k++) {
      const { grad } = engine.gradient(state);
      for (let i = 0; i < 2; i++) {
        sum[i]! += grad[i]!;
        sq[i]! += grad[i]! * grad[i]!;
      }
    }
    const truth = analytic(nn.x, nn.s0, nn.sigma, 0.3, Math.log(0.5));
    for (let i = 0; i < 2; i++) {
      const mean = sum[i]! / K, se = Math.sqrt((sq[i]! / K - mean * mean) / K);
      t.true(se > 0, "the estimator must be stochastic");
      t.true(Math.abs(mean - truth[i]!) <= Z * se, `${estimator} component ${i}: mean ${mean} vs analytic ${truth[i]} (SE ${se})`);
    }
  });
}
