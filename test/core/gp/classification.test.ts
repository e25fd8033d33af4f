/**
 * GP likelihoods beyond the Gaussian: variational expectations and their derivatives (finite
 * differences; Poisson's closed form against quadrature of its log density), and GP classification
 * on a 2-D toy set by natural-gradient (CVI) steps on q(u), compared with the Laplace approximation
 * (Rasmussen & Williams, Algorithms 3.1 and 3.2; classification-reference.ts): accuracy and a calibration table.
 */
import test from "ava";
import { squaredExponential, sparseGp, isVireoError, gammaln, type GpLikelihood } from "@vireo/core";
import { bernoulliLogitLikelihood, bernoulliProbitLikelihood, poissonLogLikelihood, gaussHermite } from "@vireo/nodes";
import { toy, laplacePredictions, calibration, accuracy } from "./classification-reference.js";

const likelihoods: [string, GpLikelihood, number[]][] = [
  ["bernoulliLogit", bernoulliLogitLikelihood(), [0, 1, 1, 0]],
  ["bernoulliProbit", bernoulliProbitLikelihood(), [1, 0, 1, 0]],
  ["poissonLog", poissonLogLikelihood(), [0, 3, 7, 1]],
];

for (const [name, lik, ys] of likelihoods) {
  test(`${name}: variational expectation derivatives match finite differences`, (t) => {
    const y = Float64Array.from(ys), mu = Float64Array.of(-1.3, 0.2, 1.1, 2.4), s = Float64Array.of(0.4, 1.7, 0.05, 0.9), n = 4;
    const dmu = new Float64Array(n), ds = new Float64Array(n), a = new Float64Array(n), b = new Float64Array(n);
    lik.expectations(y, mu, s, n, dmu, ds, 1, null, 0);
    const one = (m: number, v: number, i: number): number => lik.expectations(y.subarray(i, i + 1), Float64Array.of(m), Float64Array.of(v), 1, a, b, 1, null, 0);
    for (let i = 0; i < n; i++) {
      const h = 1e-6;
      const fm = (one(mu[i]! + h, s[i]!, i) - one(mu[i]! - h, s[i]!, i)) / (2 * h);
      const fs = (one(mu[i]!, s[i]! + h, i) - one(mu[i]!, s[i]! - h, i)) / (2 * h);
      t.true(Math.abs(fm - dmu[i]!) < 1e-6 * (1 + Math.abs(fm)), `∂/∂μ row ${i}: ${dmu[i]} vs ${fm}`);
      t.true(Math.abs(fs - ds[i]!) < 1e-6 * (1 + Math.abs(fs)), `∂/∂s row ${i}: ${ds[i]} vs ${fs}`);
    }
  });
}

test("poissonLog: the closed-form expectation equals 60-point Gauss–Hermite quadrature of log p", (t) => {
  const lik = poissonLogLikelihood(), rule = gaussHermite(60);
  for (const [y, m, v] of [[3, 0.5, 0.8], [0, -1, 2], [12, 2.2, 0.1]] as const) {
    const closed = lik.expectations(Float64Array.of(y), Float64Array.of(m), Float64Array.of(v), 1, new Float64Array(1), new Float64Array(1), 1, null, 0);
    let q = 0;
    for (let k = 0; k < 60; k++) {
      const f = m + Math.sqrt(v) * rule.points[k]!;
      q += rule.weights[k]! * (y * f - Math.exp(f) - gammaln(y + 1));
    }
    t.true(Math.abs(closed - q) < 1e-10, `${closed} vs ${q}`);
  }
});

test("bad targets are refused, naming the row", (t) => {
  const sp = sparseGp({ kernel: squaredExponential(), likelihood: bernoulliLogitLikelihood(), inducing: [0, 1] });
  const e = t.throws(() => sp.targets([0, 1, 0.5], 3));
  t.true(isVireoError(e, "INVALID_DATA") && /row 2/.test(e.message));
  const sp2 = sparseGp({ kernel: squaredExponential(), likelihood: poissonLogLikelihood(), inducing: [0, 1] });
  t.true(isVireoError(t.throws(() => sp2.targets([1, -2], 2)), "INVALID_DATA"));
});

test("GP classification (2-D toy): natural-gradient SVGP matches the Laplace approximation in accuracy and calibration", (t) => {
  const train = toy(150, 11), testSet = toy(400, 12), n = 150, m = 400;
  const kernel = () => squaredExponential({ dim: 2, variance: 6, lengthscale: 0.9 });
  // Inducing inputs at the training inputs: the same posterior family as Laplace, no sparsity error.
  const sp = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: train.x, jitter: 1e-8 });
  const X = sp.inputs(train.x), y = sp.targets(train.y, n);
  const elbos: number[] = [];
  for (let it = 0; it < 40; it++) elbos.push(sp.naturalGradientStep(X, y, 1, 0.7).elbo);
  for (let it = 5; it < elbos.length; it++) t.true(elbos[it]! >= elbos[it - 1]! - 1e-6, `ELBO fell at step ${it}: ${elbos[it - 1]} → ${elbos[it]}`);
  // Converged: one more full step leaves the ELBO where it is.
  const before = sp.elbo(X, y).elbo;
  sp.naturalGradientStep(X, y, 1, 1);
  t.true(Math.abs(sp.elbo(X, y).elbo - before) < 1e-6);
  const vi = sp.predict(testSet.x).targetMean;

  const pl = laplacePredictions(kernel(), train, n, testSet.x, m, 6);
  const accVi = accuracy(vi, testSet.y), accLap = accuracy(pl, testSet.y), accBayes = accuracy(testSet.p, testSet.y);
  const calVi = calibration(vi, testSet.y), calLap = calibration(pl, testSet.y);
  t.log(`accuracy: VI ${accVi.toFixed(3)}, Laplace ${accLap.toFixed(3)}, true probabilities ${accBayes.toFixed(3)}`);
  t.log("bin | VI: n, mean p, observed | Laplace: n, mean p, observed");
  for (let b = 0; b < 5; b++) t.log(`${(b / 5).toFixed(1)}-${((b + 1) / 5).toFixed(1)} | ${calVi[b]!.map((v) => v.toFixed(3)).join(", ")} | ${calLap[b]!.map((v) => v.toFixed(3)).join(", ")}`);
  t.true(Math.abs(accVi - accLap) <= 0.03);
  t.true(accVi >= accBayes - 0.06, `VI accuracy ${accVi} vs ${accBayes} with the true probabilities`);
  // The two approximations agree point by point (VI is the better-calibrated of the two where they differ: Laplace is overconfident).
  let mad = 0;
  for (let j = 0; j < m; j++) mad += Math.abs(vi[j]! - pl[j]!) / m;
  t.true(mad < 0.05, `mean |p_VI − p_Laplace| = ${mad}`);
  // Calibration error (weighted |mean p − observed|) of VI is no worse than Laplace's by more than 0.03.
  const ece = (c: number[][]) => c.reduce((s, [cnt, mp, ob]) => s + (cnt! ? (cnt! / m) * Math.abs(mp! - ob!) : 0), 0);
  t.log(`calibration error: VI ${ece(calVi).toFixed(4)}, Laplace ${ece(calLap).toFixed(4)}`);
  t.true(ece(calVi) <= ece(calLap) + 0.03);
});
