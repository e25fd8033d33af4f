/**
 * A bimodal posterior: θ ~ N(m₀, 2²), y ~ N(|θ|, 1) at y = 4. Grid quadrature gives the log
 * evidence and the mass of each mode (θ < 0, θ > 0). With m₀ = 0 the modes are mirror images and a
 * single Gaussian, sitting on one, has an ELBO log 2 below the evidence (−log of its mode's mass in
 * general). With m₀ = 0.5 the masses differ, and a 2-component mixture q (stratified draws, exact
 * mixture entropy) covers both with each mode's mass within 0.05 of the grid's.
 */
import test from "ava";
import { ad, adam, exponentialDecay, erf, LOG_2PI, meanFieldGaussian, mixtureGaussian, type TNode, type VariationalFamily } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi } from "@vireo/runtime";
import { summarise } from "./helpers.js";

const Y = 4, S0 = 2;

function logJoint(t: number, M0: number): number {
  const r = Y - Math.abs(t), p = (t - M0) / S0;
  return -0.5 * r * r - 0.5 * p * p - LOG_2PI - Math.log(S0);
}

function logJointOnTape(theta: TNode, M0: number): TNode {
  // |θ| = √(θ²): smooth except at 0, which has probability 0 under any q here.
  const abs = ad.sqrt(ad.square(theta));
  const r = ad.sub(theta.tape.scalar(Y), abs);
  const p = ad.scale(ad.shift(theta, -M0), 1 / S0);
  return ad.shift(ad.scale(ad.add(ad.sum(ad.square(r)), ad.sum(ad.square(p))), -0.5), -LOG_2PI - Math.log(S0));
}

function grid(M0: number) {
  const n = 20000, lo = -20, h = 40 / n;
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, logJoint(lo + (i + 0.5) * h, M0));
  let z = 0, pos = 0;
  for (let i = 0; i < n; i++) {
    const t = lo + (i + 0.5) * h, w = Math.exp(logJoint(t, M0) - m);
    z += w;
    if (t > 0) pos += w;
  }
  return { logEvidence: m + Math.log(z * h), positiveMass: pos / z };
}

function fit(family: VariationalFamily, M0: number, steps = 1500, lr = 0.05) {
  const model = bbviModel({
    latents: [{ name: "theta", family }],
    factors: [{ name: "joint", vars: ["theta"], logDensity: ({ theta }) => logJointOnTape(theta!, M0) }],
  });
  const engine = createBbvi(model, { samples: 8, optimizer: adam({ lr }), schedule: exponentialDecay(lr, 0.05, steps) });
  const state = engine.init(4);
  fitBbvi(engine, state, { maxIterations: steps, convergence: false, averageFrom: steps / 2 });
  return { lambda: engine.params(state, "theta"), summary: summarise(family, engine.params(state, "theta"), (z) => logJoint(z[0]!, M0)) };
}

const symmetric = grid(0), g = grid(0.5);
const Phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));

test("grid: the two modes have unequal mass", (t) => {
  t.true(g.positiveMass > 0.55 && g.positiveMass < 0.95, `P(θ > 0) = ${g.positiveMass}`);
});

test("a single Gaussian captures one mode: ELBO log 2 below the log evidence (mirror-image modes)", (t) => {
  t.true(Math.abs(symmetric.positiveMass - 0.5) < 1e-9);
  const { summary: s } = fit(meanFieldGaussian(1, { mean: [1] }), 0);
  const gap = symmetric.logEvidence - s.elbo;
  t.true(Math.abs(gap - Math.LN2) < 0.02, `gap ${gap} vs log 2`);
  // Off-centre prior: the gap is −log of the covered mode's mass.
  const { summary: s2 } = fit(meanFieldGaussian(1, { mean: [1] }), 0.5);
  const gap2 = g.logEvidence - s2.elbo;
  t.true(Math.abs(gap2 + Math.log(g.positiveMass)) < 0.02, `gap ${gap2} vs −log P(θ > 0) ${-Math.log(g.positiveMass)}`);
});

test("a 2-component mixture q covers both modes: each mode's mass within 0.05 of the grid, ELBO near log p(y)", (t) => {
  const q = mixtureGaussian(1, 2, { means: [-1, 1] });
  const { lambda, summary: s } = fit(q, 0.5);
  const pi = q.mixtureWeights(lambda);
  let pos = 0;
  for (let k = 0; k < 2; k++) {
    const o = 2 + 2 * k, mu = lambda[o]!, sd = Math.exp(lambda[o + 1]!);
    pos += pi[k]! * Phi(mu / sd);
  }
  t.true(Math.abs(pos - g.positiveMass) < 0.05, `q mass of θ > 0: ${pos} vs grid ${g.positiveMass}`);
  t.true(Math.abs(1 - pos - (1 - g.positiveMass)) < 0.05);
  t.true(g.logEvidence - s.elbo < 0.05, `gap ${g.logEvidence - s.elbo} ± ${s.se}`);
  t.true(s.elbo <= g.logEvidence + 5 * s.se);
});
