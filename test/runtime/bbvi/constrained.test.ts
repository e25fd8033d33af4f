/**
 * Constrained variables end to end. Positive: a Gamma(a, b) target with q log-normal (Gaussian on
 * log x); the ELBO optimum is known in closed form, m = log(a/b) − 1/(2a), s² = 1/a. Simplex: a
 * Dirichlet(α) target through stick-breaking; with large α the fitted E_q[x] is near α/Σα.
 */
import test from "ava";
import { meanFieldGaussian, fullRankGaussian, logTransform, stickBreaking, ad, adam, exponentialDecay, Generator } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi } from "@vireo/runtime";

test("log transform: BBVI reaches the closed-form log-normal optimum for a Gamma target", (t) => {
  const a = 20, b = 4;
  const model = bbviModel({
    latents: [{ name: "x", family: meanFieldGaussian(1), transform: logTransform }],
    factors: [{ name: "gamma", vars: ["x"], logDensity: ({ x }) => ad.sum(ad.sub(ad.scale(ad.log(x!), a - 1), ad.scale(x!, b))) }],
  });
  const engine = createBbvi(model, { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, 4000) });
  const state = engine.init(8);
  fitBbvi(engine, state, { maxIterations: 4000, convergence: false, averageFrom: 2000 });
  const m = engine.mean(state, "x")[0]!, s = Math.sqrt(engine.variance(state, "x")[0]!);
  const mStar = Math.log(a / b) - 1 / (2 * a), sStar = Math.sqrt(1 / a);
  t.true(Math.abs(m - mStar) < 0.02 * sStar, `m ${m} vs ${mStar}`);
  t.true(Math.abs(s / sStar - 1) < 0.05, `s ${s} vs ${sStar}`);
});

test("stick-breaking: BBVI on a Dirichlet target lands near its mean", (t) => {
  const alpha = [40, 100, 60], A = alpha.reduce((p, c) => p + c);
  const am1 = Float64Array.from(alpha, (v) => v - 1);
  const model = bbviModel({
    latents: [{ name: "p", family: fullRankGaussian(2), transform: stickBreaking }],
    factors: [{ name: "dirichlet", vars: ["p"], logDensity: ({ p }, tp) => ad.sum(ad.mul(tp.constant(am1), ad.log(p!))) }],
  });
  const engine = createBbvi(model, { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.02, 3000) });
  const state = engine.init(9);
  fitBbvi(engine, state, { maxIterations: 3000, convergence: false, averageFrom: 1500 });
  const fam = engine.model.latents[0]!.family, lam = engine.params(state, "p");
  const rng = new Generator(1), z = new Float64Array(2), x = new Float64Array(3), mean = new Float64Array(3);
  const n = 20000;
  for (let i = 0; i < n; i++) {
    fam.sample(lam, rng, z);
    stickBreaking.forwardValue(z, x);
    for (let k = 0; k < 3; k++) mean[k] += x[k]! / n;
  }
  for (let k = 0; k < 3; k++) {
    const target = alpha[k]! / A, sd = Math.sqrt((target * (1 - target)) / (A + 1));
    t.true(Math.abs(mean[k]! - target) < 0.1 * sd, `E_q[p${k}] ${mean[k]} vs Dirichlet mean ${target} (sd ${sd})`);
  }
});
