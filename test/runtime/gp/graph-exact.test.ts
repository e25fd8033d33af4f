/**
 * Sparse GPs in the model graph with gradient-fitted hyperparameters (nodes/src/gp/gp-density-nodes.ts):
 * exact answers. With Z = X the collapsed GP op is the exact GP log marginal likelihood, and the
 * graph's whole ELBO at point-mass hyperparameters is that plus the log priors and the log
 * bijector's Jacobians (1e-8); the two GP tape ops' gradients (hyperparameters, inducing inputs,
 * whitened inducing values) agree with central differences.
 */
import test from "ava";
import {
  Generator, sampleNormal, squaredExponential, matern32, periodic, sumKernel, productKernel, exactGp, gaussianLikelihood, sparseGp, Gamma, Normal,
  pointMass, gpCollapsedBound, gpPointLogLikelihood, checkGradient, Tape, gammaln, MvNormal, identityTransform, adam, type Kernel,
} from "@vireo/core";
import { GammaNode, MvNormalNode, gpCollapsedNode, bernoulliLogitLikelihood, poissonLogLikelihood } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";

function data(n: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(seed), x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = -3 + (6 * i) / (n - 1) + 0.05 * sampleNormal(rng, 0, 1);
    y[i] = Math.sin(1.7 * x[i]!) + 0.2 * sampleNormal(rng, 0, 1);
  }
  return { x, y };
}

const logGamma = (x: number, a: number, b: number) => a * Math.log(b) - gammaln(a) + (a - 1) * Math.log(x) - b * x;

test("collapsed op with Z = X equals the exact GP log marginal likelihood (1e-8)", (t) => {
  const { x, y } = data(14, 1);
  const exact = exactGp({ kernel: squaredExponential({ variance: 1.3, lengthscale: 0.8 }), likelihood: gaussianLikelihood(0.05), x, y }).logMarginalLikelihood();
  const gp = sparseGp({ kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: x });
  const value = gpCollapsedBound(new Tape(), gp, gp.inputs(x), gp.targets(y, x.length), [1.3, 0.8, 0.05]).value[0]!;
  t.true(Math.abs(value - exact) < 1e-8, `op ${value} vs exact ${exact}`);
});

test("graph ELBO with Z = X and point-mass hyperparameters = exact log evidence + log priors + log Jacobians (1e-8)", (t) => {
  const { x, y } = data(14, 2);
  const ell = 0.7, sv = 1.6, noise = 0.08;
  const node = gpCollapsedNode({
    kernel: squaredExponential(), likelihood: gaussianLikelihood(), inducing: x,
    hyperparameters: { ell: "lengthscale", sv: "variance", noise: "likelihood.noiseVariance" },
  });
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const hyper = (name: string, value: number, a: number, b: number) => {
    const v = m.random(name, Gamma, { q: pointMass({ value: [Math.log(value)] }) });
    m.factor(GammaNode, { out: v, shape: a, rate: b }, { name: `${name}Prior` });
    return v;
  };
  const ellV = hyper("ell", ell, 2, 2), svV = hyper("sv", sv, 2, 1), noiseV = hyper("noise", noise, 1.5, 10);
  m.factor(node, { ell: ellV, sv: svV, noise: noiseV, x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 2 });
  initialise(state, new Generator(3));
  const engine = new CaviEngine(state);
  const graph = engine.elboEstimate(2).value;
  const exact = exactGp({ kernel: squaredExponential({ variance: sv, lengthscale: ell }), likelihood: gaussianLikelihood(noise), x, y }).logMarginalLikelihood();
  // Point masses on z = log θ: the ELBO is log p(y, θ) + log|dθ/dz| at θ.
  const expected = exact + logGamma(ell, 2, 2) + logGamma(sv, 2, 1) + logGamma(noise, 1.5, 10) + Math.log(ell * sv * noise);
  t.true(Math.abs(graph - expected) < 1e-8, `graph ELBO ${graph} vs ${expected}`);
});

const kernels: [string, () => Kernel][] = [
  ["SE", () => squaredExponential({ variance: 1.2, lengthscale: 0.9 })],
  ["Matérn 3/2 + periodic × SE", () => sumKernel(matern32({ variance: 0.7, lengthscale: 1.1 }), productKernel(periodic({ period: 2.1, lengthscale: 0.8 }), squaredExponential({ lengthscale: 2.5 })))],
];

for (const [name, kernel] of kernels) {
  test(`collapsed op (${name}): gradients in the hyperparameters and Z match central differences`, (t) => {
    const { x, y } = data(25, 4);
    const gp = sparseGp({ kernel: kernel(), likelihood: gaussianLikelihood(), inducing: [-2.5, -1.2, -0.3, 0.6, 1.4, 2.7], learn: { inducing: true } });
    const X = gp.inputs(x), Y = gp.targets(y, x.length);
    const theta = new Float64Array(gp.layout.kernelSize + 1);
    gp.kernel.getParams(theta, 0);
    theta[gp.layout.kernelSize] = 0.1;
    const inputs = [...Array.from(theta, (v) => ({ value: Float64Array.of(v), shape: [] })), { value: Float64Array.from(gp.Z) }];
    const r = checkGradient((tape, p) => gpCollapsedBound(tape, gp, X, Y, p.slice(0, theta.length), p[theta.length]!), inputs, { h: 1e-6 });
    t.true(r.maxError < 1e-5, `max error ${r.maxError} at ${JSON.stringify(r.worst)}`);
  });
}

for (const [lname, lik, ys] of [["gaussian", () => gaussianLikelihood(0.3), (f: number) => f], ["bernoulliLogit", () => bernoulliLogitLikelihood(), (f: number) => (f > 0 ? 1 : 0)], ["poissonLog", () => poissonLogLikelihood(), (f: number) => Math.round(Math.exp(f))]] as const) {
  test(`point log-likelihood op (${lname}): gradients in θ, Z and v match central differences`, (t) => {
    const { x, y: f } = data(20, 5);
    const y = Float64Array.from(f, ys);
    const gp = sparseGp({ kernel: squaredExponential({ variance: 1.1, lengthscale: 0.9 }), likelihood: lik(), inducing: [-2, -0.7, 0.5, 1.8], learn: { inducing: true } });
    const X = gp.inputs(x), Y = gp.targets(y, x.length);
    const theta = new Float64Array(gp.layout.kernelSize + gp.layout.likelihoodSize);
    gp.kernel.getParams(theta, 0);
    gp.likelihood.getParams(theta, gp.layout.kernelSize);
    const v = Float64Array.of(0.4, -0.9, 1.2, 0.1);
    const inputs = [...Array.from(theta, (val) => ({ value: Float64Array.of(val), shape: [] })), { value: Float64Array.from(gp.Z) }, { value: v }];
    const k = theta.length;
    const r = checkGradient((_tape, p) => gpPointLogLikelihood(gp, X, Y, p[k + 1]!, p.slice(0, k), p[k]!), inputs, { h: 1e-6 });
    t.true(r.maxError < 1e-5, `max error ${r.maxError} at ${JSON.stringify(r.worst)}`);
  });
}

test("point log-likelihood under a Gaussian q(v) is the SVGP ELBO's data term exactly (sigma points, Gaussian likelihood)", (t) => {
  const { x, y } = data(30, 6);
  const gp = sparseGp({ kernel: squaredExponential({ variance: 1.1, lengthscale: 0.9 }), likelihood: gaussianLikelihood(0.2), inducing: [-2, -0.7, 0.5, 1.8] });
  const X = gp.inputs(x), Y = gp.targets(y, x.length), M = 4;
  const mean = Float64Array.of(0.3, -0.5, 0.8, 0.2), C = Float64Array.of(0.5, 0, 0, 0, 0.1, 0.4, 0, 0, -0.2, 0.1, 0.3, 0, 0.05, 0.2, -0.1, 0.6);
  const S = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) for (let k = 0; k < M; k++) S[i * M + j] += C[i * M + k]! * C[j * M + k]!;
  // The data term is quadratic in v: the 2M sigma points m ± √M C_j average it exactly.
  let dataTerm = 0;
  const v = new Float64Array(M), tape = new Tape();
  for (let j = 0; j < M; j++) {
    for (const sign of [1, -1]) {
      for (let i = 0; i < M; i++) v[i] = mean[i]! + sign * Math.sqrt(M) * C[i * M + j]!;
      tape.reset();
      dataTerm += gpPointLogLikelihood(gp, X, Y, tape.constant(v), [1.1, 0.9, 0.2]).value[0]! / (2 * M);
    }
  }
  // −KL(N(m, S) ‖ N(0, I)).
  let tr = 0, mm = 0, logDet = 0;
  for (let i = 0; i < M; i++) {
    tr += S[i * M + i]!;
    mm += mean[i]! ** 2;
    logDet += 2 * Math.log(Math.abs(C[i * M + i]!));
  }
  const negKl = -0.5 * (tr + mm - M - logDet);
  gp.setQMoments(mean, S);
  const elbo = gp.elbo(X, Y).elbo;
  t.true(Math.abs(dataTerm + negKl - elbo) < 1e-9, `E_q[data] − KL = ${dataTerm + negKl} vs SVGP ELBO ${elbo}`);
});

test("learnt inducing inputs in the graph: the ELBO at a point-mass Z is the collapsed bound at Z plus its prior (1e-8), and sweeps raise the bound", (t) => {
  const { x, y } = data(40, 7), Z0 = Float64Array.of(-2.2, -1.1, 0.3, 1.2, 2.4), M = 5, s0 = 3;
  const node = gpCollapsedNode({ kernel: squaredExponential({ variance: 1.2, lengthscale: 0.9 }), likelihood: gaussianLikelihood(0.05), inducing: Z0, hyperparameters: {}, learnInducing: true });
  const m = new ModelBuilder(), rows = m.plate("rows");
  const Zv = m.random("Z", MvNormal(M), { q: pointMass({ value: Z0 }), bijector: identityTransform });
  m.factor(MvNormalNode, { out: Zv, mean: new Float64Array(M), precision: Float64Array.from({ length: M * M }, (_, i) => (i % (M + 1) === 0 ? 1 / (s0 * s0) : 0)) }, { name: "zPrior" });
  m.factor(node, { inducing: Zv, x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 2, optimizer: adam({ lr: 0.02 }) });
  initialise(state, new Generator(3));
  const engine = new CaviEngine(state);
  const bound = (Z: Float64Array) => {
    const gp = sparseGp({ kernel: squaredExponential({ variance: 1.2, lengthscale: 0.9 }), likelihood: gaussianLikelihood(0.05), inducing: Z });
    return gp.collapsedBound(gp.inputs(x), y).elbo;
  };
  const logPrior = (Z: Float64Array) => Z.reduce((a, z) => a - 0.5 * Math.log(2 * Math.PI * s0 * s0) - (z * z) / (2 * s0 * s0), 0);
  const before = engine.elboEstimate(2).value;
  t.true(Math.abs(before - (bound(Z0) + logPrior(Z0))) < 1e-8, `graph ELBO ${before} vs ${bound(Z0) + logPrior(Z0)}`);
  for (let it = 0; it < 150; it++) engine.sweep();
  const Z1 = Float64Array.from(state.variables.get("Z")!.gradient!.fit.lambda);
  t.log(`collapsed bound: Z0 ${bound(Z0).toFixed(3)} → learnt Z ${bound(Z1).toFixed(3)} (Z = ${Array.from(Z1, (z) => z.toFixed(2)).join(", ")})`);
  t.true(bound(Z1) + logPrior(Z1) > bound(Z0) + logPrior(Z0) + 0.1);
  const after = engine.elboEstimate(2, new Generator(5)).value; // fresh draws: at the returned Z
  t.true(Math.abs(after - (bound(Z1) + logPrior(Z1))) < 1e-8, `graph ELBO ${after} vs ${bound(Z1) + logPrior(Z1)}`);
});
