/**
 * BNN weights as graph variables: a dense-network likelihood node (a moment density node, local
 * reparameterisation) over layers declared with { q: meanFieldGaussian() }.
 *
 * Exact: with no hidden layer, identity output, a Gaussian prior N(0, 1/α) on the weights and known
 * noise precision β, the network is Bayesian linear regression. The graph's fitted q must be the
 * mean-field optimum in closed form (means = the posterior mean, variances = 1/Λ_ii with
 * Λ = αI + βΦᵀΦ), and its ELBO the exact log evidence minus the mean-field KL gap
 * KL(q ‖ p(w | y)) = ½ (Σ log Λ_ii − log det Λ), within 5 Monte Carlo standard errors. With a
 * learnt Gamma prior precision α (closed form beside the gradient-fitted layer) q(w) q(α) is the
 * mean-field fixed point computed by hand; an MvNormal layer (second differences over its
 * coordinates) gives the same q(w) as plated Normals.
 *
 * With hidden layers: the learnt noise sd and intervals that widen away from the data on a 1-D toy;
 * svi() / SviEngine over minibatches (N/|B| scaling) reaches the batch fit's held-out log
 * predictive density within 5 Monte Carlo standard errors; a Bernoulli-logit network learns a
 * circular class boundary that no linear classifier can.
 */
import test from "ava";
import { Normal, MvNormal, Gamma, Generator, sampleStandardNormal, meanFieldGaussian, adam, exponentialDecay, spdInverseDense, LOG_2PI } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode, denseNetworkNode } from "@vireo/nodes";
import { from, lastValueFrom } from "rxjs";
import { ModelBuilder, cavi, svi, SviEngine, bnn, bnnModel, standardiseBnnData, bnnFitFromGraph, predictBnn } from "@vireo/runtime";

/** Log evidence, posterior mean and precision of y = Φw + e, w ~ N(0, I/α), e ~ N(0, I/β). */
function conjugate(phi: Float64Array, y: Float64Array, N: number, P: number, alpha: number, beta: number) {
  const prec = new Float64Array(P * P), rhs = new Float64Array(P);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < P; i++) {
      rhs[i] += beta * phi[n * P + i]! * y[n]!;
      for (let j = 0; j < P; j++) prec[i * P + j] += beta * phi[n * P + i]! * phi[n * P + j]!;
    }
  }
  for (let i = 0; i < P; i++) prec[i * P + i] += alpha;
  const cov = spdInverseDense(prec, P);
  const mean = Float64Array.from({ length: P }, (_, i) => {
    let s = 0;
    for (let j = 0; j < P; j++) s += cov[i * P + j]! * rhs[j]!;
    return s;
  });
  // log det Λ by Cholesky.
  const L = prec.slice();
  let logDet = 0;
  for (let j = 0; j < P; j++) {
    for (let k = 0; k < j; k++) L[j * P + j] -= L[j * P + k]! ** 2;
    const d = Math.sqrt(L[j * P + j]!);
    L[j * P + j] = d;
    logDet += 2 * Math.log(d);
    for (let i = j + 1; i < P; i++) {
      for (let k = 0; k < j; k++) L[i * P + j] -= L[i * P + k]! * L[j * P + k]!;
      L[i * P + j] /= d;
    }
  }
  let sse = 0, mm = 0;
  for (let n = 0; n < N; n++) {
    let f = 0;
    for (let i = 0; i < P; i++) f += phi[n * P + i]! * mean[i]!;
    sse += (y[n]! - f) ** 2;
  }
  for (let i = 0; i < P; i++) mm += mean[i]! ** 2;
  const logEvidence = 0.5 * P * Math.log(alpha) + 0.5 * N * Math.log(beta) - 0.5 * beta * sse - 0.5 * alpha * mm - 0.5 * logDet - 0.5 * N * LOG_2PI;
  let sumLogDiag = 0;
  for (let i = 0; i < P; i++) sumLogDiag += Math.log(prec[i * P + i]!);
  return { mean, prec, logEvidence, klGap: 0.5 * (sumLogDiag - logDet) };
}

function linearData(N: number, D: number, seed: number) {
  const rng = new Generator(seed), x = new Float64Array(N * D), y = new Float64Array(N), truth = [1.2, -0.6, 0.4];
  for (let n = 0; n < N; n++) {
    let f = 0.5;
    for (let j = 0; j < D; j++) {
      // Correlated covariates, so the mean-field gap is not zero.
      x[n * D + j] = sampleStandardNormal(rng) + (j > 0 ? 0.8 * x[n * D]! : 0);
      f += truth[j]! * x[n * D + j]!;
    }
    y[n] = f + 0.5 * sampleStandardNormal(rng);
  }
  return { x, y };
}

test("no hidden layer, known noise: the graph's q is the conjugate posterior's mean-field optimum and its ELBO log evidence − KL gap", (t) => {
  const N = 50, D = 3, P = D + 1, alpha = 0.5, beta = 4;
  const { x, y } = linearData(N, D, 3);
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", Normal, { plate: m.plate("weights", P), q: meanFieldGaussian({ sd: 0.1 }) });
  m.factor(NormalNode, { out: w, mean: 0, precision: alpha }, { name: "prior" });
  const net = denseNetworkNode({ inputs: D, hidden: [], likelihood: "gaussian" });
  m.factor(net, { x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Normal, { plate: rows }), precision: m.constant("beta", beta, Gamma), layer0: w }, { name: "likelihood" });
  const sweeps = 3000;
  const fit = cavi(m.build(), {
    data: { x, y }, seed: 1, maxIterations: sweeps,
    gradient: { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 1e-3, sweeps), convergence: false, elboSamples: 4000 },
  });
  // Features [x, 1]: the layer holds W (D weights) then the bias.
  const phi = new Float64Array(N * P);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < D; j++) phi[n * P + j] = x[n * D + j]!;
    phi[n * P + D] = 1;
  }
  const exact = conjugate(phi, y, N, P, alpha, beta);
  const q = fit.posteriors.w!, mean = q.mean(), variance = q.variance();
  for (let i = 0; i < P; i++) {
    const v = 1 / exact.prec[i * P + i]!;
    t.true(Math.abs(mean[i]! - exact.mean[i]!) < 1e-3 * Math.sqrt(v), `E[w_${i}] ${mean[i]} vs exact ${exact.mean[i]}`);
    t.true(Math.abs(variance[i]! / v - 1) < 1e-3, `Var[w_${i}] ${variance[i]} vs mean-field optimum ${v}`);
  }
  t.true(exact.klGap > 0.05, `the mean-field gap (${exact.klGap}) is visible`);
  const target = exact.logEvidence - exact.klGap;
  t.log(`ELBO ${fit.elboEstimate} ± ${fit.elboStandardError}, log evidence ${exact.logEvidence}, KL gap ${exact.klGap}`);
  t.true(Math.abs(fit.elboEstimate - target) < 5 * fit.elboStandardError + 1e-6, `ELBO ${fit.elboEstimate} ± ${fit.elboStandardError} vs log evidence − KL ${target}`);
  t.true(fit.elboEstimate < exact.logEvidence, "the ELBO stays below the log evidence");
});

/** y = sin(3x) + 0.1 ε on [−1, 1]. */
function toy(N: number, seed: number) {
  const rng = new Generator(seed);
  const x = Array.from({ length: N }, () => [-1 + 2 * rng.uniform()]);
  const y = x.map(([v]) => Math.sin(3 * v!) + 0.1 * sampleStandardNormal(rng));
  return { x, y };
}

test("a hidden-layer network in the graph: learnt noise, predictive intervals widen away from the data", (t) => {
  const net = bnn({ inputs: 1, hidden: [20], likelihood: "gaussian" });
  const graph = bnnModel(net, { seed: 1 });
  const train = toy(100, 9), data = standardiseBnnData(net, train);
  const sweeps = 2000;
  const fit = cavi(graph.model, {
    data: data.binding, seed: 2, maxIterations: sweeps,
    gradient: { samples: 2, optimizer: adam({ lr: 0.02 }), schedule: exponentialDecay(0.02, 0.05, sweeps), convergence: false, elboSamples: 50 },
  });
  const bf = bnnFitFromGraph(graph, fit.posteriors, data.scales);
  const pred = predictBnn(bf, [[0], [0.5], [-2.5], [2.5]], { draws: 400, seed: 3 });
  const sd = pred.functionSd();
  t.log(`function sd at 0, 0.5, −2.5, 2.5: ${Array.from(sd).map((v) => v.toFixed(3)).join(", ")}; noise sd ${pred.noiseSd.toFixed(3)}`);
  t.true(Math.abs(pred.noiseSd - 0.1) < 0.05, `learnt noise sd ${pred.noiseSd} vs 0.1`);
  t.true(sd[2]! > 2 * Math.max(sd[0]!, sd[1]!) && sd[3]! > 2 * Math.max(sd[0]!, sd[1]!), "wider outside the data than inside");
  const held = toy(200, 10), ll = predictBnn(bf, held.x, { draws: 400, seed: 4 }).logLikelihood(held.y);
  t.true(ll.mean > 0.5, `held-out log predictive density per row ${ll.mean}`);
});

test("svi() over a stream of minibatches reaches the batch fit's held-out log-likelihood (5 MC standard errors)", async (t) => {
  const net = bnn({ inputs: 1, hidden: [10], likelihood: "gaussian", activation: "tanh" });
  const graph = bnnModel(net, { seed: 1 });
  const train = toy(200, 11), data = standardiseBnnData(net, train), held = toy(300, 12);
  const steps = 1500, streamSteps = 4 * steps, gradient = { samples: 2, optimizer: adam({ lr: 0.02 }), schedule: exponentialDecay(0.02, 0.05, steps) };
  const batch = cavi(graph.model, { data: data.binding, seed: 2, maxIterations: steps, gradient: { ...gradient, convergence: false, elboSamples: 50 } });
  const batchLl = predictBnn(bnnFitFromGraph(graph, batch.posteriors, data.scales), held.x, { draws: 400, seed: 4 }).logLikelihood(held.y);
  // Minibatches of 50 rows (N/|B| = 4), reshuffled every epoch: as many epochs as the batch fit's sweeps.
  const B = 50, N = data.rows, rng = new Generator(5), batches: { x: Float64Array; y: Float64Array }[] = [];
  const order = Array.from({ length: N }, (_, i) => i);
  while (batches.length < streamSteps) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let s = 0; s + B <= N && batches.length < streamSteps; s += B) {
      const rows = order.slice(s, s + B);
      batches.push({ x: Float64Array.from(rows, (r) => data.binding.x[r]!), y: Float64Array.from(rows, (r) => data.binding.y[r]!) });
    }
  }
  const engine = new SviEngine(graph.model, { totalRows: N, gradient: { ...gradient, schedule: exponentialDecay(0.02, 0.05, streamSteps) }, psis: false, seed: 2 });
  for (const b of batches) engine.step(b);
  const streamLl = predictBnn(bnnFitFromGraph(graph, engine.posteriors(), data.scales), held.x, { draws: 400, seed: 4 }).logLikelihood(held.y);
  const se = Math.hypot(batchLl.standardError, streamLl.standardError);
  t.log(`held-out log predictive density per row: batch ${batchLl.mean.toFixed(4)} ± ${batchLl.standardError.toFixed(4)}, stream ${streamLl.mean.toFixed(4)} ± ${streamLl.standardError.toFixed(4)}`);
  t.true(streamLl.mean > batchLl.mean - 5 * se, "the stream is at least as good as the batch fit within 5 SE");
  // The operator runs the same engine over an RxJS stream and emits snapshots.
  const snap = await lastValueFrom(from(batches.slice(0, 20)).pipe(svi(graph.model, { totalRows: N, gradient, psis: false, seed: 2 })));
  t.true(Number.isFinite(snap.elbo));
  t.true(snap.step === 20);
});

test("a learnt Gamma prior precision (closed form) and an MvNormal layer: the mean-field fixed point of Bayesian linear regression", (t) => {
  const N = 50, D = 3, P = D + 1, beta = 4, a0 = 2, b0 = 1;
  const { x, y } = linearData(N, D, 4);
  const phi = new Float64Array(N * P);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < D; j++) phi[n * P + j] = x[n * D + j]!;
    phi[n * P + D] = 1;
  }
  // The mean-field fixed point q(w) Π_i N(m_i, 1/Λ_ii) q(α) by hand: Λ = E[α] I + βΦᵀΦ, m = Λ⁻¹βΦᵀy
  // (the mean-field mean of a Gaussian target is its mean), q(α) = Gamma(a0 + P/2, b0 + ½ Σ E[w_i²]).
  let ealpha = a0 / b0, fixed = conjugate(phi, y, N, P, ealpha, beta);
  for (let it = 0; it < 500; it++) {
    let ew2 = 0;
    for (let i = 0; i < P; i++) ew2 += fixed.mean[i]! ** 2 + 1 / fixed.prec[i * P + i]!;
    ealpha = (a0 + P / 2) / (b0 + ew2 / 2);
    fixed = conjugate(phi, y, N, P, ealpha, beta);
  }
  const net = denseNetworkNode({ inputs: D, hidden: [], likelihood: "gaussian" });
  const sweeps = 3000, gradient = { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 1e-3, sweeps), convergence: false as const, elboSamples: 100 };
  // Plated Normal weights with a learnt Gamma precision.
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const alpha = m.random("alpha", Gamma);
  m.factor(GammaNode, { out: alpha, shape: a0, rate: b0 });
  const w = m.random("w", Normal, { plate: m.plate("weights", P), q: meanFieldGaussian({ sd: 0.1 }) });
  m.factor(NormalNode, { out: w, mean: 0, precision: alpha });
  m.factor(net, { x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Normal, { plate: rows }), precision: m.constant("beta", beta, Gamma), layer0: w });
  const fit = cavi(m.build(), { data: { x, y }, seed: 1, maxIterations: sweeps, gradient });
  const mean = fit.posteriors.w!.mean(), variance = fit.posteriors.w!.variance();
  for (let i = 0; i < P; i++) {
    const v = 1 / fixed.prec[i * P + i]!;
    t.true(Math.abs(mean[i]! - fixed.mean[i]!) < 1e-3 * Math.sqrt(v), `E[w_${i}] ${mean[i]} vs ${fixed.mean[i]}`);
    t.true(Math.abs(variance[i]! / v - 1) < 1e-3, `Var[w_${i}] ${variance[i]} vs ${v}`);
  }
  const qa = fit.posteriors.alpha!.mean()[0]!;
  t.true(Math.abs(qa / ealpha - 1) < 1e-3, `E[α] ${qa} vs fixed point ${ealpha}`);

  // One MvNormal(P) layer with a mean-field q and a known N(0, I/E[α]) prior: the same q(w).
  const m2 = new ModelBuilder();
  const rows2 = m2.plate("rows");
  const w2 = m2.random("w", MvNormal(P), { q: meanFieldGaussian({ sd: 0.1 }) });
  m2.factor(MvNormalNode, { out: w2, mean: new Float64Array(P), precision: Float64Array.from({ length: P * P }, (_, i) => (i % (P + 1) === 0 ? ealpha : 0)) });
  m2.factor(net, { x: m2.input("x", { plate: rows2, size: D }), y: m2.observed("y", Normal, { plate: rows2 }), precision: m2.constant("beta", beta, Gamma), layer0: w2 });
  const fit2 = cavi(m2.build(), { data: { x, y }, seed: 1, maxIterations: sweeps, gradient });
  const mean2 = fit2.posteriors.w!.mean(), variance2 = fit2.posteriors.w!.variance();
  for (let i = 0; i < P; i++) {
    const v = 1 / fixed.prec[i * P + i]!;
    t.true(Math.abs(mean2[i]! - fixed.mean[i]!) < 1e-3 * Math.sqrt(v), `MvNormal E[w_${i}] ${mean2[i]} vs ${fixed.mean[i]}`);
    t.true(Math.abs(variance2[i]! / v - 1) < 1e-3, `MvNormal Var[w_${i}] ${variance2[i]} vs ${v}`);
  }
});

test("a Bernoulli-logit network in the graph classifies a non-linear boundary (no noise variable)", (t) => {
  // Labels from a circle: y = 1 inside radius 1 (no linear classifier does better than the base rate).
  const make = (N: number, seed: number) => {
    const rng = new Generator(seed), x: number[][] = [], y: number[] = [];
    for (let n = 0; n < N; n++) {
      const a = -1.8 + 3.6 * rng.uniform(), b = -1.8 + 3.6 * rng.uniform();
      x.push([a, b]);
      y.push(a * a + b * b < 1.2 ? 1 : 0);
    }
    return { x, y };
  };
  const net = bnn({ inputs: 2, hidden: [12], activation: "tanh", likelihood: "bernoulli" });
  const graph = bnnModel(net, { seed: 3 });
  t.is(graph.noise, null);
  const train = make(300, 21), data = standardiseBnnData(net, train), held = make(300, 22);
  const sweeps = 1500;
  const fit = cavi(graph.model, { data: data.binding, seed: 1, maxIterations: sweeps, gradient: { samples: 2, optimizer: adam({ lr: 0.03 }), schedule: exponentialDecay(0.03, 0.05, sweeps), convergence: false, elboSamples: 50 } });
  const pred = predictBnn(bnnFitFromGraph(graph, fit.posteriors, data.scales), held.x, { draws: 200, seed: 2 });
  const p = pred.mean();
  let correct = 0, base = 0;
  held.y.forEach((y, n) => { correct += (p[n]! > 0.5 ? 1 : 0) === y ? 1 : 0; base += y; });
  const accuracy = correct / held.y.length, baseRate = Math.max(base, held.y.length - base) / held.y.length;
  t.log(`held-out accuracy ${accuracy.toFixed(3)} (base rate ${baseRate.toFixed(3)})`);
  t.true(accuracy > 0.9 && accuracy > baseRate + 0.2, `accuracy ${accuracy}`);
});
