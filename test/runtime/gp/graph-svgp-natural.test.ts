/**
 * svgpNode's q(v) by natural-gradient steps (Hensman et al. 2013) in the graph: with a Gaussian
 * likelihood the rows' natural-parameter message is exact, so one step of size 1 on the full batch
 * is the closed-form optimal q(v) (the collapsed bound's q), and a step on a minibatch is prior +
 * N/|B| × the batch's message (core's own natural-gradient step is the reference). With q(v) at
 * its optimum before each hyperparameter step, the hyperparameters' gradient is the collapsed
 * bound's (envelope theorem), so full-batch sweeps reach the collapsed MAP.
 */
import test from "ava";
import { lastValueFrom } from "rxjs";
import {
  Generator, sampleNormal, squaredExponential, gaussianLikelihood, sparseGp, Normal, MvNormal, fullRankGaussian, adam, exponentialDecay, Tape, gpInducingLogPrior, choleskyInto,
} from "@vireo/core";
import { svgpNode, gpInducingPriorNode } from "@vireo/nodes";
import { freshLogRatios } from "../../../runtime/src/engine/mc-elbo.js";
import { ModelBuilder, compile, initialise, bindData, CaviEngine, fromArrays, svi, type Model } from "@vireo/runtime";
import { N, M, Z, names, data, whitened, graph, objective, sweepFit } from "./sine-svgp.js";


function fixedHyperModel(theta: readonly number[]): Model {
  const m = new ModelBuilder(), rows = m.plate("rows");
  const node = svgpNode({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z, hyperparameters: {} });
  m.factor(node, { v: whitened(m), x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  return m.build();
}

/** Mean and covariance of the full-rank q(v) from λ = [mean, packed lower Cholesky factor, log diagonal]. */
function qMoments(lambda: Float64Array): { mean: Float64Array; cov: Float64Array } {
  const L = new Float64Array(M * M), cov = new Float64Array(M * M);
  for (let i = 0, k = M; i < M; i++) for (let j = 0; j <= i; j++) L[i * M + j] = i === j ? Math.exp(lambda[k++]!) : lambda[k++]!;
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) for (let k = 0; k < M; k++) cov[i * M + j] += L[i * M + k]! * L[j * M + k]!;
  return { mean: lambda.slice(0, M), cov };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

test("svgpNode, Gaussian likelihood: one full-batch natural step (ρ = 1) is the closed-form optimal q(v) (1e-8), and the ELBO there is the collapsed bound", (t) => {
  const { x, y } = data(), theta = [1.5, 1.2, 0.07];
  const ref = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z });
  const bound = ref.collapsedBound(ref.inputs(x), y, new Float64Array(ref.layout.size)).elbo;
  const model = fixedHyperModel(theta);
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 4 });
  initialise(state, new Generator(2));
  const fit = state.variables.get("v")!.gradient!.fit;
  // From an arbitrary proper start, not the prior.
  fit.lambda.forEach((_, i) => (fit.lambda[i] = 0.3 * Math.sin(i + 1)));
  const engine = new CaviEngine(state);
  engine.sweep();
  const q = qMoments(fit.lambda), dm = maxDiff(q.mean, ref.qMean), dc = maxDiff(q.cov, ref.qCov);
  const est = engine.elboEstimate(200, new Generator(9));
  t.log(`max |Δ mean| ${dm.toExponential(2)}, max |Δ cov| ${dc.toExponential(2)}; graph ELBO ${est.value.toFixed(10)} ± ${est.standardError.toExponential(1)}, collapsed bound ${bound.toFixed(10)}`);
  t.true(dm < 1e-8 && dc < 1e-8, `q(v) after one step vs closed form: ${dm}, ${dc}`);
  t.is(fit.steps, 1);
  t.true(Math.abs(est.value - bound) < 5 * est.standardError, `graph ELBO ${est.value} ± ${est.standardError} vs collapsed bound ${bound}`);
  // Importance ratios evaluate log f at each draw (not E_q): the optimal q(v) is the exact posterior
  // of v here (log f is quadratic in v), so every ratio is the same number, the bound.
  const { exact, logRatios } = freshLogRatios(state, 50, new Generator(11));
  const spread = Math.max(...Array.from(logRatios, (r) => Math.abs(exact + r - bound)));
  t.log(`importance ratios: max |exact + log r − bound| ${spread.toExponential(2)}`);
  t.true(spread < 1e-6, `log ratios differ from the bound by up to ${spread}`);
});

test("svgpNode through svi(): a minibatch step of size ρ is (1 − ρ) η + ρ (prior + N/|B| × the batch's message), as core's SVGP step", async (t) => {
  const { x, y } = data(), theta = [1.5, 1.2, 0.07], B = 50;
  const rows = Array.from(x, (v) => [v]);
  const model = fixedHyperModel(theta);
  // Two batches: ρ₁ = 1, ρ₂ = 2^−0.7 (tau 0, kappa 0.7).
  const last = await lastValueFrom(
    fromArrays({ x: rows.slice(0, 2 * B), y: Array.from(y.subarray(0, 2 * B)) }, { batchSize: B }).pipe(svi(model, { totalRows: N, tau: 0, kappa: 0.7, seed: 3 })),
  );
  const ref = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z, whiten: true });
  for (let b = 0; b < 2; b++) {
    const X = ref.inputs(x.subarray(b * B, (b + 1) * B));
    ref.naturalGradientStep(X, y.subarray(b * B, (b + 1) * B), N / B, Math.pow(b + 1, -0.7));
  }
  const post = last.posteriors.v!;
  const dm = maxDiff(Float64Array.from(post.mean), ref.qMean), dv = maxDiff(Float64Array.from(post.variance), Float64Array.from({ length: M }, (_, i) => ref.qCov[i * (M + 1)]!));
  t.log(`max |Δ mean| ${dm.toExponential(2)}, max |Δ variance| ${dv.toExponential(2)}`);
  t.true(dm < 1e-8 && dv < 1e-8, `q(v) after two svi batches vs core's natural steps: mean ${dm}, variance ${dv}`);
});

test("svgpNode, full-batch sweeps: natural steps on q(v) + Adam on the hyperparameters reach the collapsed-bound MAP", (t) => {
  const { x, y } = data(), target = sweepFit("collapsed", x, y, 1200), got = sweepFit("svgp", x, y, 1200);
  const best = objective(x, y, target), reached = objective(x, y, got);
  t.log(`collapsed MAP log θ ${target.map((z) => z.toFixed(5)).join(", ")}; svgp ${got.map((z) => z.toFixed(5)).join(", ")}; objective ${best.toFixed(6)} vs ${reached.toFixed(6)}`);
  // Both climb the same objective with the same optimiser (the svgp gradient is the bound's, by the
  // envelope theorem); 1e-3 in log θ is 0.1% in θ, well inside what separates neighbouring Adam iterates.
  names.forEach((n, k) => t.true(Math.abs(got[k]! - target[k]!) < 1e-3, `log ${n}: ${got[k]} vs ${target[k]}`));
  t.true(Math.abs(reached - best) < 1e-4, `objective ${reached} vs ${best}`);
});

test("gpInducingLogPrior: log N(u | 0, K_ZZ) at a point and under q(u) against a direct evaluation (1e-10), gradients against central differences", (t) => {
  const theta = [1.3, 0.9], gp = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(), inducing: Z, whiten: false, jitter: 1e-10 });
  const rng = new Generator(5), u = Float64Array.from({ length: M }, () => sampleNormal(rng, 0, 1));
  const S = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) S[i * M + j] = (i === j ? 0.5 : 0) + 0.05 * Math.cos(i - j);
  const direct = (sv: number, ell: number, cov: Float64Array | null): number => {
    const K = new Float64Array(M * M);
    squaredExponential({ variance: sv, lengthscale: ell }).matrix(Z, M, Z, M, true, K);
    for (let i = 0; i < M; i++) K[i * M + i] += gp.jitter;
    const L = choleskyInto(K, M, new Float64Array(M * M));
    // E[uᵀK⁻¹u] = mᵀK⁻¹m + tr(K⁻¹S): solve column by column.
    const solve = (b: Float64Array): Float64Array => {
      const z = Float64Array.from(b);
      for (let i = 0; i < M; i++) { for (let k = 0; k < i; k++) z[i] -= L[i * M + k]! * z[k]!; z[i] /= L[i * M + i]!; }
      for (let i = M - 1; i >= 0; i--) { for (let k = i + 1; k < M; k++) z[i] -= L[k * M + i]! * z[k]!; z[i] /= L[i * M + i]!; }
      return z;
    };
    let quad = 0, logDet = 0;
    const ku = solve(u);
    for (let i = 0; i < M; i++) { quad += u[i]! * ku[i]!; logDet += 2 * Math.log(L[i * M + i]!); }
    if (cov) for (let j = 0; j < M; j++) quad += solve(cov.subarray(j * M, (j + 1) * M) as Float64Array)[j]!;
    return -0.5 * (M * Math.log(2 * Math.PI) + logDet + quad);
  };
  for (const cov of [null, S]) {
    const tape = new Tape(), hyper = theta.map((v) => tape.param(Float64Array.of(v))), uNode = tape.param(u);
    const out = gpInducingLogPrior(tape, gp, cov === null ? uNode : { mean: u, covariance: cov }, [...hyper, 1]);
    tape.backward(out);
    const value = direct(theta[0]!, theta[1]!, cov);
    t.true(Math.abs(out.value[0]! - value) < 1e-10 * Math.max(1, Math.abs(value)), `value ${out.value[0]} vs ${value}`);
    const h = 1e-6;
    const fd = [(direct(theta[0]! + h, theta[1]!, cov) - direct(theta[0]! - h, theta[1]!, cov)) / (2 * h), (direct(theta[0]!, theta[1]! + h, cov) - direct(theta[0]!, theta[1]! - h, cov)) / (2 * h)];
    hyper.forEach((node, k) => t.true(Math.abs(node.grad[0]! - fd[k]!) < 1e-5 * Math.max(1, Math.abs(fd[k]!)), `d/dθ${k}: ${node.grad[0]} vs ${fd[k]}`));
    if (cov === null) {
      // d/du = −K⁻¹u: check one coordinate by differences.
      const bump = (d: number) => { u[2] += d; const v = direct(theta[0]!, theta[1]!, null); u[2] -= d; return v; };
      const fdU = (bump(h) - bump(-h)) / (2 * h);
      t.true(Math.abs(uNode.grad[2]! - fdU) < 1e-5 * Math.max(1, Math.abs(fdU)), `d/du₂: ${uNode.grad[2]} vs ${fdU}`);
    }
  }
});

test("unwhitened q(u) (svgpNode whiten: false + gpInducingPriorNode): one full-batch natural step is the collapsed bound's q(u) (1e-8)", (t) => {
  const { x, y } = data(), theta = [1.5, 1.2, 0.07];
  const ref = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z, whiten: false });
  ref.collapsedBound(ref.inputs(x), y, new Float64Array(ref.layout.size));
  const want = ref.inducingPosterior();
  const m = new ModelBuilder(), rows = m.plate("rows");
  const u = m.random("u", MvNormal(M), { q: fullRankGaussian() });
  m.factor(gpInducingPriorNode({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), inducing: Z, hyperparameters: {} }), { u }, { name: "inducingPrior" });
  m.factor(svgpNode({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z, hyperparameters: {}, whiten: false }), { v: u, x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  const model = m.build(), state = compile(model, bindData(model, { x, y }), undefined, { samples: 2 });
  initialise(state, new Generator(2));
  new CaviEngine(state).sweep();
  const q = qMoments(state.variables.get("u")!.gradient!.fit.lambda), dm = maxDiff(q.mean, want.mean), dc = maxDiff(q.cov, want.covariance);
  t.log(`max |Δ mean| ${dm.toExponential(2)}, max |Δ cov| ${dc.toExponential(2)}`);
  t.true(dm < 1e-8 && dc < 1e-8, `q(u) after one step vs closed form: ${dm}, ${dc}`);
});

test("unwhitened graph SVGP through svi() over a stream of minibatches: natural-gradient q(u) + Adam on the hyperparameters reach the collapsed-bound MAP", async (t) => {
  const { x, y } = data(), target = sweepFit("collapsed", x, y, 1200);
  const rows = Array.from(x, (v) => [v]);
  const last = await lastValueFrom(
    fromArrays({ x: rows, y: Array.from(y) }, { batchSize: 40, shuffle: true, seed: 4, epochs: 60 }).pipe(
      svi(graph("unwhitened"), { totalRows: N, gradient: { samples: 2, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.05, 300) }, seed: 5 }),
    ),
  );
  const got = names.map((n) => Math.log(last.posteriors[n]!.mean[0]!));
  const best = objective(x, y, target), reached = objective(x, y, got), start = objective(x, y, [0, 0, Math.log(0.5)]);
  t.log(`collapsed MAP θ ${target.map((z) => Math.exp(z).toFixed(4)).join(", ")}; svi θ ${got.map((z) => Math.exp(z).toFixed(4)).join(", ")}; objective start ${start.toFixed(3)}, svi ${reached.toFixed(5)}, MAP ${best.toFixed(5)}`);
  // No Monte Carlo error is left (point masses, E_q[log f] in closed form): what separates the stream
  // from the MAP is minibatch noise, of the order of the last Adam steps (0.005 in log θ). 0.02 in
  // log θ (2% in θ, inside the 5% of the issue) and 0.01 nats are four such steps.
  names.forEach((n, k) => t.true(Math.abs(got[k]! - target[k]!) < 0.02, `log ${n}: ${got[k]} vs ${target[k]}`));
  t.true(reached > best - 0.01 && reached <= best + 1e-9, `objective ${reached} vs MAP ${best}`);
});
