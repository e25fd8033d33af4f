/**
 * The Autoregressive AR(p) node in the graph.
 *  - Known innovation precision: q(a) is the exact Gaussian posterior of the Bayesian linear
 *    regression of y_t on its lags (written out in the test), and the ELBO is the exact log evidence.
 *  - Learnt precision: a simulated AR(3) is recovered (coefficients and noise) with a monotone ELBO.
 */
import test from "ava";
import { MvNormal, Gamma, Normal, Generator, sampleStandardNormal, spdInverseDense, spdLogDetDense } from "@vireo/core";
import { AutoregressiveNode, MvNormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";
import { worstDrop } from "./models.js";

const eye = (n: number, s = 1) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? s : 0));

function simulateAr(seed: number, a: number[], sd: number, T: number): Float64Array {
  const rng = new Generator(seed), y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let k = 0; k < a.length; k++) if (t - 1 - k >= 0) s += a[k]! * y[t - 1 - k]!;
    y[t] = s + sd * sampleStandardNormal(rng);
  }
  return y;
}

function arModel(p: number, priorPrecision: number, tau: number | "learn") {
  const m = new ModelBuilder(), time = m.plate("time");
  const a = m.random("a", MvNormal(p));
  m.factor(MvNormalNode, { out: a, mean: new Float64Array(p), precision: eye(p, priorPrecision) });
  let precision;
  if (tau === "learn") {
    precision = m.random("tau", Gamma);
    m.factor(GammaNode, { out: precision, shape: 1, rate: 1 });
  } else precision = m.constant("tau", tau, Gamma);
  m.factor(AutoregressiveNode, { out: m.observed("y", Normal, { plate: time }), coefficients: a, precision }, { name: "ar" });
  return m.build();
}

test("known precision: q(a) is the exact regression posterior and the ELBO the exact log evidence", (t) => {
  const p = 2, tau = 4, alpha = 0.5, y = simulateAr(1, [0.6, -0.3], 0.5, 200), T = y.length;
  const r = cavi(arModel(p, alpha, tau), { data: { y }, maxIterations: 5 });
  // Reference: y_t = aᵀ z_t + ε, z_t = (y_{t−1}, y_{t−2}), prior a ~ N(0, α⁻¹ I):
  // Λ = α I + τ Σ z zᵀ, μ = Λ⁻¹ τ Σ z y;  log p(y_{p:}) = log N(y; 0, τ⁻¹ I + α⁻¹ Z Zᵀ) via the identity
  // log p = −(n/2) log 2π + (n/2) log τ + (p/2) log α − ½ log|Λ| − ½ τ Σ y² + ½ μᵀ Λ μ.
  const L = eye(p, alpha), b = new Float64Array(p);
  let yy = 0;
  for (let s = p; s < T; s++) {
    yy += y[s]! ** 2;
    for (let k = 0; k < p; k++) {
      b[k] += tau * y[s]! * y[s - 1 - k]!;
      for (let l = 0; l < p; l++) L[k * p + l] += tau * y[s - 1 - k]! * y[s - 1 - l]!;
    }
  }
  const cov = spdInverseDense(L, p), mu = [0, 1].map((k) => cov[k * p]! * b[0]! + cov[k * p + 1]! * b[1]!);
  const n = T - p;
  const logEvidence = -0.5 * n * Math.log(2 * Math.PI) + 0.5 * n * Math.log(tau) + 0.5 * p * Math.log(alpha) - 0.5 * spdLogDetDense(L, p) - 0.5 * tau * yy + 0.5 * (mu[0]! * b[0]! + mu[1]! * b[1]!);
  const q = r.posteriors.a!;
  const got = MvNormal(p).fromNatural(q.natural);
  for (let k = 0; k < p; k++) t.true(Math.abs(got.mean[k]! - mu[k]!) < 1e-12, `mean ${k}`);
  for (let i = 0; i < p * p; i++) t.true(Math.abs(got.covariance[i]! - cov[i]!) < 1e-12, `covariance ${i}`);
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - logEvidence) < 1e-9 * Math.abs(logEvidence), `ELBO ${elbo} vs log evidence ${logEvidence}`);
});

test("a simulated AR(3) is recovered with a learnt innovation precision, ELBO monotone", (t) => {
  const a = [0.5, -0.2, 0.3], sd = 0.7, y = simulateAr(2, a, sd, 5000);
  const r = cavi(arModel(3, 0.01, "learn"), { data: { y }, maxIterations: 100, tolerance: 1e-12 });
  t.deepEqual(r.diagnostics, []);
  t.true(worstDrop(r.elbo) <= 1e-11, `worst drop ${worstDrop(r.elbo)}`);
  const Ea = r.posteriors.a!.mean(), sdA = Array.from(r.posteriors.a!.variance(), Math.sqrt);
  for (let k = 0; k < 3; k++) t.true(Math.abs(Ea[k]! - a[k]!) < 5 * sdA[k]!, `a_${k + 1} = ${Ea[k]} ± ${sdA[k]} vs ${a[k]}`);
  const g = Gamma.fromNatural(r.posteriors.tau!.natural);
  t.true(Math.abs(Math.sqrt(g.rate / g.shape) - sd) / sd < 0.03, `innovation sd ${Math.sqrt(g.rate / g.shape)} vs ${sd}`);
});

test("too short a series for the order is a clear error", (t) => {
  const e = t.throws(() => cavi(arModel(3, 1, 1), { data: { y: Float64Array.of(1, 2, 3) } }));
  t.regex(e!.message, /AR\(3\) model needs more than 3 steps, got 3/);
});
