/**
 * Black-box VI for Bayesian logistic regression: a full-rank Gaussian over 5 weights, fitted to
 * 1,000 synthetic points with reparameterization gradients and Adam.
 * Run: npx -y pnpm@10.34.9 example bbvi-logistic
 */
import { Generator, sampleStandardNormal, sigmoid, ad, adam, exponentialDecay, fullRankGaussian, LOG_2PI } from "@vireo/core";
import { bbviModel, createBbvi, bbviProgress } from "@vireo/runtime";
import { writePictures } from "./pictures/folder.js";
import { bbviCharts } from "./pictures/bbvi-logistic.js";
import { bbviWithBar } from "./lib/progress.js";

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

// Factors are log-densities written with tape ops on the variables' values.
const model = bbviModel({
  latents: [{ name: "w", family: fullRankGaussian(D, { sd: 0.1 }) }],
  factors: [
    { name: "prior", vars: ["w"], logDensity: ({ w }) => ad.shift(ad.scale(ad.sum(ad.square(w!)), -0.5 / (s0 * s0)), -D * (0.5 * LOG_2PI + Math.log(s0))) },
    {
      name: "likelihood", vars: ["w"], logDensity: ({ w }, t) => {
        const eta = ad.matmul(t.constant(X, [N, D]), w!);
        return ad.sum(ad.sub(ad.mul(t.constant(y), eta), ad.softplus(eta)));
      },
    },
  ],
});

const engine = createBbvi(model, { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.02, 3000) });
const state = engine.init(1);
const elboSteps: number[] = [];
const result = await bbviWithBar("BBVI", bbviProgress(engine, state, { maxSteps: 3000, convergence: false, averageFrom: 1500, onStep: (r) => elboSteps.push(r.elbo) }), 3000);
const mean = engine.mean(state, "w"), sd = engine.variance(state, "w").map(Math.sqrt);
console.log(`BBVI: ${result.steps} steps, ELBO ≈ ${result.elbo.toFixed(2)}, skipped ${result.skipped}`);
for (let j = 0; j < D; j++) console.log(`  w[${j}] = ${mean[j]!.toFixed(3)} ± ${sd[j]!.toFixed(3)}   (true ${wTrue[j]})`);

await writePictures("bbvi-logistic", bbviCharts(elboSteps, mean, sd, wTrue, X, y));
