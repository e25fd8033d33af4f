/**
 * Bayesian logistic regression on 1,000 synthetic points with 5 features: the full-rank BBVI
 * posterior means lie within 0.1 posterior sd of a reference from importance sampling (10⁵ draws)
 * around the Laplace approximation.
 */
import test from "ava";
import { fullRankGaussian, adam, exponentialDecay } from "@vireo/core";
import { createBbvi, fitBbvi } from "@vireo/runtime";
import { logistic } from "./models.js";
import { laplaceImportance } from "./reference.js";

test("logistic regression: BBVI means within 0.1 sd of the importance-sampling reference", (t) => {
  const lg = logistic();
  const ref = laplaceImportance(lg.X, lg.y, lg.N, lg.D, lg.s0, 100_000, 99);
  t.true(ref.ess > 50_000, `importance sampling ESS ${ref.ess} is too low for a reference`);
  const engine = createBbvi(lg.model({ family: fullRankGaussian(lg.D, { sd: 0.1 }) }), {
    samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.02, 3000),
  });
  const state = engine.init(21);
  const r = fitBbvi(engine, state, { maxIterations: 3000, convergence: false, averageFrom: 1500 });
  t.is(r.skipped, 0);
  const m = engine.mean(state, "w"), v = engine.variance(state, "w");
  for (let j = 0; j < lg.D; j++) {
    const dev = Math.abs(m[j]! - ref.mean[j]!) / ref.sd[j]!;
    t.true(dev < 0.1, `w[${j}]: BBVI mean ${m[j]} vs reference ${ref.mean[j]} = ${dev.toFixed(3)} sd (sd ${ref.sd[j]})`);
    // The Gaussian approximation's sds are close to the true ones at this N (a loose sanity bound).
    t.true(Math.abs(Math.sqrt(v[j]!) / ref.sd[j]! - 1) < 0.15, `w[${j}]: BBVI sd ${Math.sqrt(v[j]!)} vs reference ${ref.sd[j]}`);
  }
});
