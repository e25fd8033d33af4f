/**
 * Plated gradient-fitted variables: one q per row held as one vectorised parameter (a mean-field
 * Gaussian over all rows), and online() with a gradient-fitted global.
 *
 * - Local latents: θ_n ~ N(μ, 1) with μ closed-form (Normal prior), y_n ~ N(θ_n, 1/4); θ fitted by
 *   gradients over the whole plate. Mean-field CAVI of the same model is the exact fixed point (its
 *   q(θ_n) is Gaussian, q(μ) depends on E[θ_n] only): per-row means within 5 SE (batch means),
 *   q(μ) after one closed-form update at the averaged q(θ) within 1e-3 sd.
 * - online(): a Normal mean with a Gaussian prior, fitted by gradients, over three batches; its
 *   evidence comes from conjugate data factors, so the stream's posterior is the batch posterior.
 */
import test from "ava";
import { Normal, Generator, sampleStandardNormal, meanFieldGaussian, fullRankGaussian, adam, exponentialDecay } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, compile, initialise, bindData, CaviEngine, OnlineEngine, updateVariable, GradientPosterior } from "@vireo/runtime";
import { averagedRun } from "./models.js";

test("a plated gradient-fitted latent (one q per row, one vectorised parameter) reaches the CAVI fixed point", (t) => {
  const N = 30, rng = new Generator(5), y = new Float64Array(N);
  for (let n = 0; n < N; n++) y[n] = 1 + sampleStandardNormal(rng) + 0.5 * sampleStandardNormal(rng);
  const build = (q: boolean) => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const mu = m.random("mu", Normal);
    m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
    const theta = m.random("theta", Normal, q ? { plate: rows, q: meanFieldGaussian() } : { plate: rows });
    m.factor(NormalNode, { out: theta, mean: mu, precision: 1 });
    m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: theta, precision: 4 });
    return m.build();
  };
  const exact = cavi(build(false), { data: { y }, tolerance: 1e-14, maxIterations: 5000 });
  const model = build(true);
  const state = compile(model, bindData(model, { y }), undefined, { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 3000) });
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);
  const th = state.variables.get("theta")!;
  const fit = th.gradient!.fit;
  t.is(fit.q.dim, N, "one mean-field Gaussian over the whole plate");
  t.is(fit.lambda.length, 2 * N);
  const { value, se } = averagedRun(engine, [fit], 3000, 1500, () => [...fit.lambda.subarray(0, N), ...Array.from(fit.lambda.subarray(N), (r) => Math.exp(2 * r))]);
  const em = exact.posteriors.theta!.mean(), ev = exact.posteriors.theta!.variance();
  for (let n = 0; n < N; n++) {
    t.true(Math.abs(value[n]! - em[n]!) < 5 * se[n]!, `θ_${n} mean ${value[n]} vs CAVI ${em[n]} (5 SE = ${5 * se[n]!})`);
    t.true(Math.abs(value[N + n]! - ev[n]!) < 5 * se[N + n]!, `θ_${n} variance ${value[N + n]} vs CAVI ${ev[n]} (5 SE = ${5 * se[N + n]!})`);
  }
  // q(μ) from the exact moments of the averaged q(θ).
  for (let n = 0; n < N; n++) {
    th.stats[2 * n] = value[n]!;
    th.stats[2 * n + 1] = value[N + n]! + value[n]! ** 2;
  }
  const mu = state.variables.get("mu")!;
  updateVariable(mu);
  const muMean = exact.posteriors.mu!.mean()[0]!, muSd = Math.sqrt(exact.posteriors.mu!.variance()[0]!);
  t.true(Math.abs(mu.stats[0]! - muMean) < 1e-3 * muSd + 5 * Math.max(...se.slice(0, N)), `E[μ] ${mu.stats[0]} vs CAVI ${muMean}`);
  t.true(engine.posteriors().theta instanceof GradientPosterior);
  t.is(engine.posteriors().theta!.mean().length, N);
});

test("online() with a gradient-fitted global: three batches reach the batch posterior", (t) => {
  const rng = new Generator(8), y = Float64Array.from({ length: 60 }, () => 0.5 + sampleStandardNormal(rng));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal, { q: fullRankGaussian({ sd: 0.3 }) });
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
  const model = m.build();
  const engine = new OnlineEngine(model, { maxIterations: 1500, gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.1, 1500) } });
  for (let b = 0; b < 3; b++) engine.step({ y: y.subarray(b * 20, (b + 1) * 20) });
  const prec = 0.1 + 60;
  let s = 0;
  for (const v of y) s += v;
  const post = engine.posteriors().mu!;
  t.true(post instanceof GradientPosterior);
  const sd = Math.sqrt(1 / prec);
  t.true(Math.abs(post.mean()[0]! - s / prec) < 0.1 * sd, `online mean ${post.mean()[0]} vs exact ${s / prec} (sd ${sd})`);
  t.true(Math.abs(Math.sqrt(post.variance()[0]!) / sd - 1) < 0.1, `online sd ${Math.sqrt(post.variance()[0]!)} vs exact ${sd}`);
});
