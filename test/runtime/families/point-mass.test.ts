/**
 * Point-mass q: VI is MAP. On the conjugate Normal–Normal model the fitted point is the posterior
 * mode (= its mean) and the objective there is the log joint, log p(x) + log N(μ̂; μ̂, s²) in closed
 * form. With a log transform (Poisson–Gamma), the point is the mode of the density of z = log λ:
 * λ̂ = A/B for the Gamma(A, B) posterior (the Jacobian adds one to the shape).
 */
import test from "ava";
import { ad, adam, exponentialDecay, gammaln, logTransform, pointMass } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi } from "@vireo/runtime";
import { normalNormal } from "../bbvi/models.js";
import { normalNormalLogEvidence } from "./helpers.js";

test("Normal–Normal: MAP with a point mass is the closed-form posterior mode, and the objective is the log joint there", (t) => {
  const nn = normalNormal();
  const engine = createBbvi(nn.model({ family: pointMass(1) }), { samples: 1, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.001, 3000) });
  const state = engine.init(1);
  fitBbvi(engine, state, { maxIterations: 3000, convergence: false });
  const mode = engine.mean(state, "mu")[0]!;
  t.true(Math.abs(mode - nn.postMean) < 1e-6 * nn.postSd, `mode ${mode} vs ${nn.postMean}`);
  t.is(engine.variance(state, "mu")[0], 0);
  // log p(x, μ̂) = log p(x) + log p(μ̂ | x), with log p(μ̂ | x) = −½ log(2π s²) at the mode.
  const logZ = normalNormalLogEvidence(nn.x, nn.sigma, nn.s0);
  const atMode = engine.gradient(state).elbo;
  t.true(Math.abs(atMode - (logZ - 0.5 * Math.log(2 * Math.PI * nn.postSd ** 2))) < 1e-9, `objective ${atMode}`);
});

test("Poisson–Gamma with a log transform: the point is the mode of log λ's density, λ̂ = A/B", (t) => {
  const y = [3, 0, 2, 5, 1, 4, 2, 2], a = 2, b = 0.5;
  let sy = 0, lf = 0;
  for (const v of y) { sy += v; lf += gammaln(v + 1); }
  const A = a + sy, B = b + y.length;
  const model = bbviModel({
    latents: [{ name: "rate", family: pointMass(1), transform: logTransform }],
    factors: [
      { name: "prior", vars: ["rate"], logDensity: ({ rate }) => ad.shift(ad.sub(ad.scale(ad.sum(ad.log(rate!)), a - 1), ad.scale(ad.sum(rate!), b)), a * Math.log(b) - gammaln(a)) },
      { name: "lik", vars: ["rate"], logDensity: ({ rate }) => ad.shift(ad.sub(ad.scale(ad.sum(ad.log(rate!)), sy), ad.scale(ad.sum(rate!), y.length)), -lf) },
    ],
  });
  const engine = createBbvi(model, { samples: 1, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.001, 4000) });
  const state = engine.init(2);
  fitBbvi(engine, state, { maxIterations: 4000, convergence: false });
  const rate = Math.exp(engine.mean(state, "rate")[0]!);
  t.true(Math.abs(rate / (A / B) - 1) < 1e-6, `λ̂ ${rate} vs A/B ${A / B} (x-space mode would be ${(A - 1) / B})`);
});
