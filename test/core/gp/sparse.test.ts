/**
 * Exact answers for the GP models: the collapsed bound with Z = X equals the exact log marginal
 * likelihood (value and gradient) and its predictive equals the exact GP's; gradients of the exact
 * likelihood, the collapsed bound and the SVGP ELBO against finite differences; natural-gradient
 * steps reach the closed-form optimal q, whose ELBO is the collapsed bound.
 */
import test from "ava";
import { Generator, sampleNormal, squaredExponential, sumKernel, matern32, periodic, productKernel, linear, type Kernel, exactGp, sparseGp, gaussianLikelihood, type SparseGp } from "@vireo/core";

function data1d(n: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(seed), x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = -3 + 6 * rng.uniform();
    y[i] = Math.sin(1.3 * x[i]!) + 0.3 * x[i]! + sampleNormal(rng, 0, 0.2);
  }
  return { x, y };
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / (1 + Math.abs(b));
}

const kernels: [string, () => Kernel][] = [
  ["SE", () => squaredExponential({ variance: 1.2, lengthscale: 0.3 })],
  ["SE + Matérn32", () => sumKernel(squaredExponential({ variance: 0.8, lengthscale: 1.4 }), matern32({ variance: 0.3, lengthscale: 0.5 }))],
  ["periodic × SE + linear", () => sumKernel(productKernel(periodic({ period: 2.1, lengthscale: 1.1 }), squaredExponential({ lengthscale: 2 })), linear({ variance: 0.2 }))],
];

for (const [name, make] of kernels) {
  for (const whiten of [true, false]) {
    test(`${name}, whiten=${whiten}: with Z = X the collapsed bound is the exact log marginal likelihood (value, gradient, predictive)`, (t) => {
      const { x, y } = data1d(14, 1);
      const ex = exactGp({ kernel: make(), likelihood: gaussianLikelihood(0.09), x, y });
      const sp = sparseGp({ kernel: make(), likelihood: gaussianLikelihood(0.09), inducing: x, whiten });
      const gE = new Float64Array(ex.layout.size), gS = new Float64Array(sp.layout.size);
      const lml = ex.logMarginalLikelihood(gE);
      const X = sp.inputs(x), bound = sp.collapsedBound(X, y, gS);
      t.is(bound.jitter, 0);
      t.true(Math.abs(bound.elbo - lml) < 1e-8, `bound ${bound.elbo} vs exact ${lml}`);
      // The unwhitened form works with K_ZZ⁻¹ itself, which loses digits when Z = X is tightly packed.
      const tol = whiten ? 1e-6 : 1e-5;
      for (let i = 0; i < ex.layout.size; i++) t.true(rel(gS[i]!, gE[i]!) < tol, `d/d${i}: sparse ${gS[i]} vs exact ${gE[i]}`);
      const xs = [-3.5, -1, 0.2, 2.7, 4];
      const pe = ex.predict(xs), ps = sp.predict(xs);
      for (let j = 0; j < xs.length; j++) {
        t.true(Math.abs(pe.mean[j]! - ps.mean[j]!) < 1e-8, `mean at ${xs[j]}: ${ps.mean[j]} vs ${pe.mean[j]}`);
        t.true(Math.abs(pe.variance[j]! - ps.variance[j]!) < 1e-8, `variance at ${xs[j]}: ${ps.variance[j]} vs ${pe.variance[j]}`);
        t.true(Math.abs(pe.targetVariance[j]! - ps.targetVariance[j]!) < 1e-8);
      }
    });
  }
}

/** Central finite differences of f over log θ (kernel, likelihood) and Z, in layout order. */
function finiteDifferences(sp: { layout: SparseGp["layout"] }, Z: Float64Array | null, f: () => number): Float64Array {
  const L = sp.layout, theta = new Float64Array(L.size);
  L.read(theta, Z);
  const out = new Float64Array(L.size);
  const set = (v: Float64Array): void => {
    L.kernel.setParams(v, 0);
    L.likelihood.setParams(v, L.kernelSize);
    if (Z) Z.set(v.subarray(L.kernelSize + L.likelihoodSize));
  };
  for (let p = 0; p < L.size; p++) {
    const h = 1e-6 * Math.max(1, Math.abs(theta[p]!));
    const up = Float64Array.from(theta), dn = Float64Array.from(theta);
    up[p] += h;
    dn[p] -= h;
    set(up);
    const fu = f();
    set(dn);
    const fd = f();
    set(theta);
    out[p] = (fu - fd) / (2 * h);
  }
  return out;
}

test("exact GP: log marginal likelihood gradient matches finite differences", (t) => {
  const { x, y } = data1d(20, 2);
  const ex = exactGp({ kernel: kernels[1]![1](), likelihood: gaussianLikelihood(0.05), x, y });
  const g = new Float64Array(ex.layout.size);
  ex.logMarginalLikelihood(g);
  const fd = finiteDifferences(ex, null, () => ex.logMarginalLikelihood());
  for (let i = 0; i < g.length; i++) t.true(rel(g[i]!, fd[i]!) < 1e-5, `${i}: ${g[i]} vs ${fd[i]}`);
});

for (const whiten of [true, false]) {
  test(`collapsed bound (M < N, whiten=${whiten}): gradient in θ and Z matches finite differences`, (t) => {
    const { x, y } = data1d(40, 3);
    const sp = sparseGp({ kernel: kernels[1]![1](), likelihood: gaussianLikelihood(0.07), inducing: [-2.5, -1.2, 0.1, 1.4, 2.6], whiten, learn: { inducing: true } });
    const X = sp.inputs(x), g = new Float64Array(sp.layout.size);
    sp.collapsedBound(X, y, g);
    const fd = finiteDifferences(sp, sp.Z, () => sp.collapsedBound(X, y).elbo);
    for (let i = 0; i < g.length; i++) t.true(Math.abs(g[i]! - fd[i]!) < 1e-5 * (1 + Math.abs(fd[i]!)), `${i}: ${g[i]} vs ${fd[i]}`);
  });

  test(`SVGP ELBO at a non-optimal q (whiten=${whiten}): gradient in θ and Z matches finite differences`, (t) => {
    const { x, y } = data1d(30, 4);
    const sp = sparseGp({ kernel: kernels[2]![1](), likelihood: gaussianLikelihood(0.1), inducing: [-2, -0.5, 0.7, 2.2], whiten, learn: { inducing: true }, blockSize: 7 });
    const X = sp.inputs(x);
    // A q that is neither the prior nor the optimum: half a step on part of the data.
    sp.naturalGradientStep(sp.inputs(x.subarray(0, 10)), y.subarray(0, 10), 3, 0.6);
    const g = new Float64Array(sp.layout.size);
    const e = sp.elbo(X, y, 2.5, g).elbo;
    t.true(Number.isFinite(e));
    const fd = finiteDifferences(sp, sp.Z, () => sp.elbo(X, y, 2.5).elbo);
    for (let i = 0; i < g.length; i++) t.true(Math.abs(g[i]! - fd[i]!) < 1e-5 * (1 + Math.abs(fd[i]!)), `${i}: ${g[i]} vs ${fd[i]}`);
  });

  test(`SVGP with fixed Z and θ (whiten=${whiten}): one epoch of natural-gradient steps ρ_t = 1/t reaches the closed-form q; its ELBO is the collapsed bound`, (t) => {
    const { x, y } = data1d(60, 5);
    const make = () => sparseGp({ kernel: kernels[0]![1](), likelihood: gaussianLikelihood(0.05), inducing: [-2.7, -1.5, -0.4, 0.6, 1.8, 2.9], whiten });
    const sv = make(), ref = make();
    const X = sv.inputs(x), B = 12, K = 60 / B;
    // Minibatch steps with the N/|B| scaling: ρ_t = 1/t averages the batch targets exactly.
    for (let b = 0; b < K; b++) sv.naturalGradientStep(sv.inputs(x.subarray(b * B, (b + 1) * B)), y.subarray(b * B, (b + 1) * B), 60 / B, 1 / (b + 1));
    const bound = ref.collapsedBound(ref.inputs(x), y, new Float64Array(ref.layout.size)).elbo; // also sets ref's q to the optimum
    const elbo = sv.elbo(X, y).elbo;
    t.true(Math.abs(elbo - bound) < 1e-8, `SVGP ELBO ${elbo} vs collapsed bound ${bound}`);
    const a = sv.inducingPosterior(), r = ref.inducingPosterior();
    for (let i = 0; i < a.mean.length; i++) t.true(Math.abs(a.mean[i]! - r.mean[i]!) < 1e-8);
    for (let i = 0; i < a.covariance.length; i++) t.true(Math.abs(a.covariance[i]! - r.covariance[i]!) < 1e-8);
    // And the optimum is a maximum: a perturbed q has a lower ELBO.
    sv.naturalGradientStep(sv.inputs(x.subarray(0, 12)), y.subarray(0, 12), 5, 0.5);
    t.true(sv.elbo(X, y).elbo < bound - 1e-6);
  });
}

test("collapsed fit by Adam raises the bound and stays below the exact evidence at the learnt θ", (t) => {
  const { x, y } = data1d(80, 6);
  const sp = sparseGp({ kernel: squaredExponential({ variance: 0.5, lengthscale: 3 }), likelihood: gaussianLikelihood(1), inducing: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5] });
  const report = sp.fitCollapsed(x, y, { iterations: 150 });
  t.true(report.objective > report.trace[0]! + 10);
  const ex = exactGp({ kernel: sp.kernel, likelihood: gaussianLikelihood((sp.likelihood as ReturnType<typeof gaussianLikelihood>).variance), x, y });
  t.true(report.objective <= ex.logMarginalLikelihood() + 1e-9);
});
