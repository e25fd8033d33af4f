/**
 * A GP classifier as a ModelBuilder model: gpPriorNode(u) + gpLikelihoodNode(y | u, x) with the
 * Bernoulli-logit likelihood (CVI messages to a closed-form q(u)). The node passes verifyNode for
 * every GP likelihood; cavi lands on the fixed point of core's natural-gradient SparseGp (same
 * kernel and Z, unwhitened) to 1e-6 in q(u), the ELBO and the predictions; with Z = X its accuracy
 * and calibration match the Laplace approximation as the core test's do; svi() over a stream of
 * minibatches lands near the batch optimum. The same classifier through svgpNode (whitened v with a
 * full-rank q fitted by natural-gradient CVI steps) reaches the same fixed point (1e-6).
 */
import test from "ava";
import { lastValueFrom } from "rxjs";
import { squaredExponential, sparseGp, MvNormal, Bernoulli, Poisson, Generator, fullRankGaussian, adam, exponentialDecay } from "@vireo/core";
import { gpPriorNode, gpLikelihoodNode, svgpNode, gpInducingPriorNode, MvNormalNode, verifyNode, bernoulliLogitLikelihood, bernoulliProbitLikelihood, poissonLogLikelihood } from "@vireo/nodes";
import { ModelBuilder, cavi, fromArrays, svi, compile, initialise, bindData, CaviEngine } from "@vireo/runtime";
import { toy, laplacePredictions, calibration, accuracy } from "../../core/gp/classification-reference.js";

const kernel = () => squaredExponential({ dim: 2, variance: 6, lengthscale: 0.9 });

function classifier(Z: Float64Array, damping = 0.5) {
  const M = Z.length / 2, m = new ModelBuilder(), rows = m.plate("rows");
  const u = m.random("u", MvNormal(M));
  m.factor(gpPriorNode({ kernel: kernel(), inducing: Z, jitter: 1e-8 }), { out: u }, { name: "prior" });
  m.factor(gpLikelihoodNode({ kernel: kernel(), inducing: Z, jitter: 1e-8, likelihood: bernoulliLogitLikelihood(), damping }), { out: m.observed("y", Bernoulli, { plate: rows }), u, x: m.input("x", { plate: rows, size: 2 }) }, { name: "likelihood" });
  return m.build();
}

test("GpLikelihood passes verifyNode (Bernoulli-logit, Bernoulli-probit, Poisson-log)", (t) => {
  const Z = Float64Array.of(-1, 0, 0, 1, 1, -0.5), M = 3, u = MvNormal(M);
  const eta = u.toNatural({ mean: Float64Array.of(0.4, -0.3, 0.9), covariance: Float64Array.of(0.6, 0.1, 0, 0.1, 0.5, 0.05, 0, 0.05, 0.7) });
  const x = Float64Array.of(-0.8, 0.3, 0.2, 0.9, 1.4, -1, 0, 0);
  for (const [lik, family, y] of [[bernoulliLogitLikelihood(), Bernoulli, [1, 0, 1, 1]], [bernoulliProbitLikelihood(), Bernoulli, [0, 0, 1, 0]], [poissonLogLikelihood(), Poisson, [2, 0, 5, 1]]] as const) {
    const r = verifyNode(gpLikelihoodNode({ kernel: kernel(), inducing: Z, likelihood: lik }), {
      rows: 4,
      edges: {
        out: { family, values: Float64Array.from(y), count: 4, layout: "row" },
        u: { family: u, eta },
        x: { family: null, values: x, count: 4, layout: "row" },
      },
    });
    t.true(r.passed, `${lik.name}: ${JSON.stringify(r.edges)}`);
  }
});

test("graph GP classifier: cavi reaches core's natural-gradient fixed point (q(u), ELBO, predictions to 1e-6)", (t) => {
  const train = toy(80, 3), testSet = toy(50, 4), Z = Float64Array.from(train.x.subarray(0, 2 * 20)), M = 20;
  const res = cavi(classifier(Z, 0.7), { data: { x: train.x, y: train.y }, maxIterations: 300, tolerance: 1e-14 });
  const q = res.posteriors.u!.as(MvNormal(M)).params();
  const ref = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-8 });
  const X = ref.inputs(train.x), y = ref.targets(train.y, 80);
  for (let it = 0; it < 300; it++) ref.naturalGradientStep(X, y, 1, 0.7);
  const refQ = ref.inducingPosterior(), refElbo = ref.elbo(X, y).elbo;
  let dm = 0;
  for (let i = 0; i < M; i++) dm = Math.max(dm, Math.abs(q.mean[i]! - refQ.mean[i]!));
  t.true(dm < 1e-6, `max |E[u] − reference| = ${dm}`);
  t.true(Math.abs(res.elbo.at(-1)! - refElbo) < 1e-6, `graph ELBO ${res.elbo.at(-1)} vs ${refElbo}`);
  const sp = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-8 });
  sp.setQMoments(q.mean, q.covariance);
  const a = sp.predict(testSet.x).targetMean, b = ref.predict(testSet.x).targetMean;
  for (let j = 0; j < 50; j++) t.true(Math.abs(a[j]! - b[j]!) < 1e-6);
});

test("graph GP classifier (Z = X): accuracy and calibration match the Laplace approximation", (t) => {
  const train = toy(150, 11), testSet = toy(400, 12), n = 150, m = 400;
  const res = cavi(classifier(train.x, 0.7), { data: { x: train.x, y: train.y }, maxIterations: 60, tolerance: 1e-8 });
  const q = res.posteriors.u!.as(MvNormal(n)).params();
  const sp = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: train.x, whiten: false, jitter: 1e-8 });
  sp.setQMoments(q.mean, q.covariance);
  const vi = sp.predict(testSet.x).targetMean;
  const pl = laplacePredictions(kernel(), train, n, testSet.x, m, 6);
  const accVi = accuracy(vi, testSet.y), accLap = accuracy(pl, testSet.y), accBayes = accuracy(testSet.p, testSet.y);
  const ece = (c: number[][]) => c.reduce((s, [cnt, mp, ob]) => s + (cnt! ? (cnt! / m) * Math.abs(mp! - ob!) : 0), 0);
  t.log(`accuracy: graph VI ${accVi.toFixed(3)}, Laplace ${accLap.toFixed(3)}, true probabilities ${accBayes.toFixed(3)}; calibration error: graph VI ${ece(calibration(vi, testSet.y)).toFixed(4)}, Laplace ${ece(calibration(pl, testSet.y)).toFixed(4)}`);
  t.true(Math.abs(accVi - accLap) <= 0.03);
  t.true(accVi >= accBayes - 0.06);
  let mad = 0;
  for (let j = 0; j < m; j++) mad += Math.abs(vi[j]! - pl[j]!) / m;
  t.true(mad < 0.05, `mean |p_VI − p_Laplace| = ${mad}`);
  t.true(ece(calibration(vi, testSet.y)) <= ece(calibration(pl, testSet.y)) + 0.03);
});

test("graph GP classifier through svi() over a stream of minibatches: q(u) and predicted classes close to the batch fit", async (t) => {
  const train = toy(400, 21), testSet = toy(200, 22), Z = Float64Array.from(train.x.subarray(0, 2 * 25)), M = 25;
  const batch = cavi(classifier(Z), { data: { x: train.x, y: train.y }, maxIterations: 300, tolerance: 1e-10 });
  const rows = Array.from({ length: 400 }, (_, i) => [train.x[2 * i]!, train.x[2 * i + 1]!]);
  const last = await lastValueFrom(fromArrays({ x: rows, y: Array.from(train.y) }, { batchSize: 50, shuffle: true, seed: 2, epochs: 20 }).pipe(svi(classifier(Z), { totalRows: 400 })));
  const ms = Float64Array.from(last.posteriors.u!.mean), qb = batch.posteriors.u!.as(MvNormal(M)).params();
  let du = 0, scale = 0;
  for (let i = 0; i < M; i++) {
    du = Math.max(du, Math.abs(ms[i]! - qb.mean[i]!));
    scale = Math.max(scale, Math.abs(qb.mean[i]!));
  }
  t.log(`max |E_svi[u] − E_batch[u]| = ${du.toFixed(4)} (max |E[u]| ${scale.toFixed(2)})`);
  t.true(du < 0.05 * scale, `max |E_svi[u] − E_batch[u]| = ${du}`);
  // Latent means at the test inputs: a*ᵀE[u] with a* = K_ZZ⁻¹k_Z(x*), through a model's predict at q = (E[u], tiny covariance).
  const latent = (mean: Float64Array) => {
    const sp = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-8 });
    sp.setQMoments(mean, Float64Array.from({ length: M * M }, (_, i) => (i % (M + 1) === 0 ? 1e-6 : 0)));
    return sp.predict(testSet.x).mean;
  };
  const fs = latent(ms), fb = latent(qb.mean);
  let agree = 0;
  for (let j = 0; j < 200; j++) agree += Math.sign(fs[j]!) === Math.sign(fb[j]!) ? 1 : 0;
  t.true(agree >= 194, `predicted classes agree on ${agree} of 200 test inputs`);
});

test("svgpNode with the Bernoulli-logit likelihood (natural-gradient CVI q(v)) reaches the closed-form graph classifier's posterior", (t) => {
  const train = toy(80, 3), testSet = toy(100, 4), Z = Float64Array.from(train.x.subarray(0, 2 * 20)), M = 20;
  // Reference: the CVI fixed point of gpPriorNode + gpLikelihoodNode (tested above against core to 1e-6).
  const ref = cavi(classifier(Z, 0.7), { data: { x: train.x, y: train.y }, maxIterations: 300, tolerance: 1e-12 });
  const qu = ref.posteriors.u!.as(MvNormal(M)).params();
  const reader = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-8 });
  reader.setQMoments(qu.mean, qu.covariance);
  const pRef = reader.predict(testSet.x).targetMean;
  // The same model with whitened v through svgpNode: q(v) takes damped CVI steps (Gauss–Hermite
  // expectations), whose fixed point is the ELBO's maximum over Gaussian q, the reference's too.
  const node = svgpNode({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, jitter: 1e-8, hyperparameters: {} });
  const m = new ModelBuilder(), rows = m.plate("rows");
  const v = m.random("v", MvNormal(M), { q: fullRankGaussian() });
  m.factor(MvNormalNode, { out: v, mean: new Float64Array(M), precision: Float64Array.from({ length: M * M }, (_, i) => (i % (M + 1) === 0 ? 1 : 0)) }, { name: "whitenedPrior" });
  m.factor(node, { v, x: m.input("x", { plate: rows, size: 2 }), y: m.observed("y", Bernoulli, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x: train.x, y: train.y }), undefined, { samples: 4, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 1000) });
  initialise(state, new Generator(6));
  const engine = new CaviEngine(state);
  for (let it = 0; it < 150; it++) engine.sweep();
  const post = state.variables.get("v")!.gradient!.fit;
  const p = node.predict(testSet.x, { hyperparameters: {}, v: { q: post.q, lambda: post.lambda } }).targetMean;
  let mad = 0, worst = 0;
  for (let j = 0; j < 100; j++) {
    mad += Math.abs(p[j]! - pRef[j]!) / 100;
    worst = Math.max(worst, Math.abs(p[j]! - pRef[j]!));
  }
  // The ELBOs: the graph's Monte Carlo estimate against core's exact ELBO at the CVI fixed point (its maximum over Gaussian q).
  const est = engine.elboEstimate(4000, new Generator(9)), best = reader.elbo(reader.inputs(train.x), train.y).elbo;
  t.log(`predictive probabilities: mean |Δp| ${mad.toFixed(4)}, max ${worst.toFixed(4)}; ELBO ${est.value.toFixed(3)} ± ${est.standardError.toFixed(3)} vs the fixed point's ${best.toFixed(3)}`);
  t.log(`max |Δp| ${worst.toExponential(2)}`);
  t.true(worst < 1e-6, `mean |Δp| ${mad}, max ${worst}`);
  t.true(Math.abs(est.value - best) < 5 * est.standardError, `ELBO ${est.value} ± ${est.standardError} vs ${best}`);
});

test("unwhitened svgpNode + gpInducingPriorNode with the Bernoulli-logit likelihood: natural CVI steps reach the closed-form classifier's q(u) (1e-6)", (t) => {
  const train = toy(80, 3), Z = Float64Array.from(train.x.subarray(0, 2 * 20)), M = 20;
  const ref = cavi(classifier(Z, 0.7), { data: { x: train.x, y: train.y }, maxIterations: 2000, tolerance: 1e-14 });
  const qu = ref.posteriors.u!.as(MvNormal(M)).params();
  const m = new ModelBuilder(), rows = m.plate("rows");
  const u = m.random("u", MvNormal(M), { q: fullRankGaussian() });
  m.factor(gpInducingPriorNode({ kernel: kernel(), inducing: Z, jitter: 1e-8, hyperparameters: {} }), { u }, { name: "inducingPrior" });
  m.factor(svgpNode({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, jitter: 1e-8, hyperparameters: {}, whiten: false }), { v: u, x: m.input("x", { plate: rows, size: 2 }), y: m.observed("y", Bernoulli, { plate: rows }) }, { name: "gp" });
  const model = m.build();
  const state = compile(model, bindData(model, { x: train.x, y: train.y }), undefined, { samples: 2 });
  initialise(state, new Generator(6));
  const engine = new CaviEngine(state);
  for (let it = 0; it < 300; it++) engine.sweep();
  const post = state.variables.get("u")!.gradient!.fit;
  const got = svgpNode({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, jitter: 1e-8, hyperparameters: {}, whiten: false });
  // Predictions at Z itself read q(u) back (mean of f at the inducing inputs is E[u] up to jitter).
  const p = got.predict(Z, { hyperparameters: {}, v: { q: post.q, lambda: post.lambda } });
  const reader = sparseGp({ kernel: kernel(), likelihood: bernoulliLogitLikelihood(), inducing: Z, whiten: false, jitter: 1e-8 });
  reader.setQMoments(qu.mean, qu.covariance);
  const r = reader.predict(Z);
  let worst = 0;
  for (let j = 0; j < M; j++) worst = Math.max(worst, Math.abs(p.mean[j]! - r.mean[j]!), Math.abs(p.variance[j]! - r.variance[j]!));
  t.log(`max |Δ| of the latent mean and variance at Z: ${worst.toExponential(2)}`);
  t.true(worst < 1e-6, `q(u) vs the closed-form classifier's: ${worst}`);
});
