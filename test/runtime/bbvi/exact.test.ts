/**
 * Conjugate models with known posteriors: BBVI with a full-rank Gaussian reaches the exact
 * posterior (means within 0.02 posterior sd, sds within 5%).
 */
import test from "ava";
import { fullRankGaussian, adam, exponentialDecay } from "@vireo/core";
import { createBbvi, fitBbvi } from "@vireo/runtime";
import { normalNormal, linearRegression } from "./models.js";

test("Normal–Normal: full-rank BBVI reaches the exact posterior", (t) => {
  const nn = normalNormal();
  const engine = createBbvi(nn.model({ family: fullRankGaussian(1) }), {
    samples: 10, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.01, 4000),
  });
  const state = engine.init(5);
  const r = fitBbvi(engine, state, { maxIterations: 4000, convergence: false, averageFrom: 2000 });
  t.is(r.averaged, 2000);
  t.is(r.skipped, 0);
  const m = engine.mean(state, "mu")[0]!, sd = Math.sqrt(engine.variance(state, "mu")[0]!);
  t.true(Math.abs(m - nn.postMean) < 0.02 * nn.postSd, `mean ${m} vs ${nn.postMean} (sd ${nn.postSd})`);
  t.true(Math.abs(sd / nn.postSd - 1) < 0.05, `sd ${sd} vs ${nn.postSd}`);
});

test("Bayesian linear regression (known noise): full-rank BBVI reaches the exact posterior", (t) => {
  const lr = linearRegression();
  const engine = createBbvi(lr.model({ family: fullRankGaussian(lr.D) }), {
    samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, 8000),
  });
  const state = engine.init(6);
  // Iterate averaging over the second half removes the optimiser's jitter.
  fitBbvi(engine, state, { maxIterations: 8000, convergence: false, averageFrom: 4000 });
  const m = engine.mean(state, "w"), v = engine.variance(state, "w");
  for (let j = 0; j < lr.D; j++) {
    const sd = Math.sqrt(lr.postCov[j * lr.D + j]!);
    t.true(Math.abs(m[j]! - lr.postMean[j]!) < 0.02 * sd, `w[${j}] mean ${m[j]} vs ${lr.postMean[j]} (sd ${sd})`);
    t.true(Math.abs(Math.sqrt(v[j]!) / sd - 1) < 0.05, `w[${j}] sd ${Math.sqrt(v[j]!)} vs ${sd}`);
  }
});
