/**
 * Bayesian logistic regression as one graph: a conjugate MvNormal prior node and a likelihood
 * given as a log density on the autodiff tape (a density factor); the weights are fitted by
 * gradients with a full-rank Gaussian q (reparameterisation gradients, Adam), in the same CAVI
 * engine that runs closed-form models. 1,000 synthetic points, 5 weights.
 * Run: npx -y pnpm@10.34.9 example bbvi-logistic
 */
import { Generator, sampleStandardNormal, sigmoid, ad, adam, bernoulliLogit, exponentialDecay, fullRankGaussian, MvNormal, Bernoulli } from "@vireo/core";
import { MvNormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, caviProgress } from "@vireo/runtime";
import { writePictures } from "./pictures/folder.js";
import { bbviCharts } from "./pictures/bbvi-logistic.js";
import { caviWithBar } from "./lib/progress.js";

const N = 1000, D = 5, s0 = 2;
const rng = new Generator(2024);
const wTrue = [0.5, -1, 0.75, 0.25, -0.5];
const X = new Float64Array(N * D), y = new Float64Array(N);
for (let i = 0; i < N; i++) {
  let eta = 0;
  for (let j = 0; j < D; j++) {
    X[i * D + j] = j === 0 ? 1 : sampleStandardNormal(rng);
    eta += X[i * D + j]! * wTrue[j]!;
  }
  y[i] = rng.uniform() < sigmoid(eta) ? 1 : 0;
}

// The likelihood of all rows at once: x is the [N, D] plate column, y the [N] labels, w a draw of q(w).
const logistic = densityNode("Logistic", { edges: { w: "MvNormal", x: "input", y: "Bernoulli" } }, ({ w, x, y }) => {
  return bernoulliLogit(ad.matmul(x!, w!), y!);
});

const m = new ModelBuilder();
const rows = m.plate("rows");
const w = m.random("w", MvNormal(D), { q: fullRankGaussian({ sd: 0.1 }) });
const prior = Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 / (s0 * s0) : 0));
m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: prior });
m.factor(logistic, { w, x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Bernoulli, { plate: rows }) });

const elboSteps: number[] = [];
const result = await caviWithBar("Fit", caviProgress(m.build(), {
  data: { x: X, y },
  onSweep: (_, elbo) => elboSteps.push(elbo),
  maxIterations: 3000,
  gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.02, 3000), convergence: false, averageFrom: 1500 },
}), 1, 3000);
const q = result.posteriors.w!;
const mean = q.mean(), sd = q.variance().map(Math.sqrt);
console.log(`${result.iterations} sweeps, ELBO ≈ ${result.elboEstimate.toFixed(2)} ± ${result.elboStandardError.toFixed(2)} (Monte Carlo SE)`);
for (let j = 0; j < D; j++) console.log(`  w[${j}] = ${mean[j]!.toFixed(3)} ± ${sd[j]!.toFixed(3)}   (true ${wTrue[j]})`);

await writePictures("bbvi-logistic", bbviCharts(elboSteps, mean, sd, wTrue, X, y));
