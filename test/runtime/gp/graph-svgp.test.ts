/**
 * The uncollapsed graph SVGP (svgpNode): whitened inducing values v ~ N(0, I) with a full-rank
 * Gaussian q fitted by reparameterised gradients, Gaussian likelihood. For a Gaussian likelihood
 * the SVGP ELBO's maximum over q(v) is the collapsed bound, reached at a known q: at that q the
 * graph's Monte Carlo ELBO must equal the bound within 5 standard errors, and cavi's steps from the
 * prior must climb to it (these two with naturalGradient: false). With point-mass hyperparameters
 * and natural-gradient q(v), svi() over a stream must recover most of the collapsed MAP's gain (the
 * MAP found by the graph's collapsed node, which graph-learn.test.ts ties to core's optimiser) and
 * the noise variance; the unwhitened form reaches the MAP itself (graph-svgp-natural.test.ts).
 */
import test from "ava";
import { lastValueFrom } from "rxjs";
import {
  Generator, squaredExponential, gaussianLikelihood, sparseGp, Normal, adam, exponentialDecay, choleskyInto,
} from "@vireo/core";
import { svgpNode } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine, fromArrays, svi, type Model } from "@vireo/runtime";
import { N, M, Z, names, data, whitened, graph, objective, sweepFit } from "./sine-svgp.js";


/** The collapsed objective's MAP in z = log θ, by the graph's collapsed node (deterministic). */
const collapsedMap = (x: Float64Array, y: Float64Array): number[] => sweepFit("collapsed", x, y, 1200);

function fixedHyperModel(theta: readonly number[]): Model {
  const m = new ModelBuilder(), rows = m.plate("rows");
  const v = whitened(m);
  // Reparameterised gradient steps on q(v) (the natural-gradient path: graph-svgp-natural.test.ts).
  const node = svgpNode({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z, hyperparameters: {}, naturalGradient: false });
  m.factor(node, { v, x: m.input("x", { plate: rows }), y: m.observed("y", Normal, { plate: rows }) }, { name: "gp" });
  return m.build();
}

test("graph SVGP, fixed hyperparameters: at the closed-form optimal q(v) the graph's Monte Carlo ELBO is the collapsed bound (5 standard errors)", (t) => {
  const { x, y } = data(), theta = [1.5, 1.2, 0.07];
  const ref = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z });
  const bound = ref.collapsedBound(ref.inputs(x), y, new Float64Array(ref.layout.size)).elbo;
  const model = fixedHyperModel(theta);
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 8 });
  initialise(state, new Generator(2));
  const engine = new CaviEngine(state);
  // λ of the full-rank q: [mean, packed lower Cholesky factor row by row with log diagonal].
  const fit = state.variables.get("v")!.gradient!.fit, L = new Float64Array(M * M);
  choleskyInto(ref.qCov, M, L, "test");
  fit.lambda.set(ref.qMean);
  for (let i = 0, k = M; i < M; i++) for (let j = 0; j <= i; j++) fit.lambda[k++] = i === j ? Math.log(L[i * M + i]!) : L[i * M + j]!;
  // At the optimal q the SVGP ELBO is the collapsed bound; the graph estimates its data term by draws of v.
  const est = engine.elboEstimate(4000, new Generator(9));
  t.log(`graph ELBO ${est.value.toFixed(4)} ± ${est.standardError.toFixed(4)}, collapsed bound ${bound.toFixed(4)}`);
  t.true(Math.abs(est.value - bound) < 5 * est.standardError && est.standardError < 0.1, `graph ELBO ${est.value} ± ${est.standardError} vs collapsed bound ${bound}`);
});

test("graph SVGP (cavi), fixed hyperparameters: reparameterised steps on the full-rank q(v) climb to the collapsed bound", (t) => {
  const { x, y } = data(), theta = [1.5, 1.2, 0.07];
  const ref = sparseGp({ kernel: squaredExponential({ variance: theta[0]!, lengthscale: theta[1]! }), likelihood: gaussianLikelihood(theta[2]!), inducing: Z });
  const bound = ref.collapsedBound(ref.inputs(x), y, new Float64Array(ref.layout.size)).elbo;
  const model = fixedHyperModel(theta);
  const state = compile(model, bindData(model, { x, y }), undefined, { samples: 4, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 1000) });
  initialise(state, new Generator(2));
  const engine = new CaviEngine(state);
  const start = engine.elboEstimate(2000, new Generator(8)).value;
  for (let it = 0; it < 1000; it++) engine.sweep();
  const est = engine.elboEstimate(4000, new Generator(9));
  t.log(`ELBO: start ${start.toFixed(2)}, after 1000 sweeps ${est.value.toFixed(3)} ± ${est.standardError.toFixed(3)}, collapsed bound (its maximum) ${bound.toFixed(3)}`);
  t.true(est.value < bound + 5 * est.standardError, "never above the bound");
  t.true(est.value > bound - 0.005 * (bound - start), `ELBO ${est.value} closes 99.5% of the gap from ${start} to ${bound}`);
});

test("graph SVGP through svi() over a stream of minibatches learns the hyperparameters: most of the collapsed MAP gain, its noise variance", async (t) => {
  const { x, y } = data(), target = collapsedMap(x, y);
  const rows = Array.from(x, (v) => [v]);
  const last = await lastValueFrom(
    fromArrays({ x: rows, y: Array.from(y) }, { batchSize: 40, shuffle: true, seed: 4, epochs: 60 }).pipe(
      svi(graph("svgp"), { totalRows: N, gradient: { samples: 4, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.05, 300) }, seed: 5 }),
    ),
  );
  const got = names.map((n) => Math.log(last.posteriors[n]!.mean[0]!));
  t.log(`collapsed MAP θ ${target.map((z) => Math.exp(z).toFixed(4)).join(", ")}; svi graph SVGP θ ${got.map((z) => Math.exp(z).toFixed(4)).join(", ")}; objective ${objective(x, y, target).toFixed(3)} vs ${objective(x, y, got).toFixed(3)}`);
  // The collapsed objective along the way: from the start (1, 1, 0.5) the stream must gain most of
  // what the MAP gains. q(v) takes natural-gradient steps of size ρ_t (graph-svgp-natural.test.ts);
  // as ρ_t decays the whitened q(v) lags the hyperparameters, so the variance/lengthscale ridge is
  // climbed slowly over small minibatches (see docs/gp.md); full batches reach the MAP.
  const start = objective(x, y, [0, 0, Math.log(0.5)]), reached = objective(x, y, got), best = objective(x, y, target);
  t.log(`objective: start ${start.toFixed(3)}, svi ${reached.toFixed(3)}, MAP ${best.toFixed(3)}: ${(100 * (reached - start) / (best - start)).toFixed(1)}% of the gain`);
  t.true(reached > start + 0.95 * (best - start), `objective: start ${start}, svi ${reached}, MAP ${best}`);
  t.true(Math.abs(got[2]! - target[2]!) < 0.05, `log noise variance ${got[2]} vs ${target[2]}`);
});
