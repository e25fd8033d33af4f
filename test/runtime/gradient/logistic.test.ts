/**
 * Bayesian logistic regression (N = 1000, D = 5, fixed seed) as a graph model: a conjugate
 * MvNormal prior node and a density factor, w fitted by gradients with a full-rank q.
 * - Against createBbvi (sugar over the graph: joint optimiser steps on the graph's joint
 *   gradient): from the same generator stream, the same optimiser and schedule, the sweep's
 *   per-variable step and the joint step compute the same estimator for this one-latent model, so
 *   the posteriors agree to round-off (1e-6), not merely within Monte Carlo error.
 * - Against the hybrid CVI node BernoulliLogitNode (deterministic quadrature, the optimum of the
 *   same Gaussian family): means and sds within 5 standard errors of the stochastic fit, the SE of
 *   the averaged iterate estimated by batch means over the averaging window of the island run
 *   (which is the graph run, by the first check).
 */
import test from "ava";
import { MvNormal, Bernoulli, fullRankGaussian, adam, exponentialDecay, sampleStandardNormal } from "@vireo/core";
import { MvNormalNode, BernoulliLogitNode } from "@vireo/nodes";
import { ModelBuilder, cavi, createBbvi, GradientPosterior } from "@vireo/runtime";
import { logistic } from "../bbvi/models.js";
import { logisticGraph, eye } from "./models.js";

const SWEEPS = 1200, AVERAGE_FROM = 600, S = 10, BATCHES = 10;
const schedule = () => exponentialDecay(0.05, 0.02, 3000);

test("logistic regression in the graph: same posterior as the BBVI island (bit-level) and as BernoulliLogitNode (5 SE)", (t) => {
  const lg = logistic();
  const { D, N, X, y, s0 } = lg;

  // The graph.
  const r = cavi(logisticGraph(D, s0, fullRankGaussian({ sd: 0.1 })), {
    data: { x: X, y }, seed: 21, maxIterations: SWEEPS,
    gradient: { samples: S, optimizer: adam({ lr: 0.05 }), schedule: schedule(), convergence: false, averageFrom: AVERAGE_FROM },
  });
  const post = r.posteriors.w!;
  t.true(post instanceof GradientPosterior);
  t.is(r.iterations, SWEEPS);
  const gm = post.mean(), gv = post.variance();

  // The island, on the same generator stream: the graph's first act is one set of S draws from q.
  const engine = createBbvi(lg.model({ family: fullRankGaussian(D, { sd: 0.1 }) }), { samples: S, optimizer: adam({ lr: 0.05 }), schedule: schedule() });
  const state = engine.init(21);
  for (let i = 0; i < S * D; i++) sampleStandardNormal(state.rng);
  const avg = new Float64Array(state.params.length);
  const batchMeans: Float64Array[] = [];
  let averaged = 0, batch = new Float64Array(D), inBatch = 0;
  const per = (SWEEPS - AVERAGE_FROM) / BATCHES;
  for (let step = 0; step < SWEEPS; step++) {
    engine.step(state);
    if (step < AVERAGE_FROM) continue;
    averaged++;
    for (let i = 0; i < avg.length; i++) avg[i] += (state.params[i]! - avg[i]!) / averaged;
    for (let j = 0; j < D; j++) batch[j] += state.params[j]! / per;
    if (++inBatch === per) {
      batchMeans.push(batch);
      batch = new Float64Array(D);
      inBatch = 0;
    }
  }
  state.params.set(avg);
  const im = engine.mean(state, "w"), iv = engine.variance(state, "w");
  for (let j = 0; j < D; j++) {
    t.true(Math.abs(gm[j]! - im[j]!) < 1e-6, `w[${j}] mean: graph ${gm[j]} vs island ${im[j]}`);
    t.true(Math.abs(gv[j]! / iv[j]! - 1) < 1e-6, `w[${j}] variance: graph ${gv[j]} vs island ${iv[j]}`);
  }

  // The hybrid CVI node on the same data and prior.
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: eye(D, 1 / (s0 * s0)) });
  m.factor(BernoulliLogitNode, { out: m.observed("y", Bernoulli, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }) });
  const cvi = cavi(m.build(), { data: { x: X, y }, maxIterations: 500, tolerance: 1e-12 });
  const cm = cvi.posteriors.w!.mean(), cv = cvi.posteriors.w!.variance();
  for (let j = 0; j < D; j++) {
    // SE of the averaged mean: batch means of the iterates (BATCHES batches of the window).
    let mb = 0;
    for (const b of batchMeans) mb += b[j]! / BATCHES;
    let ss = 0;
    for (const b of batchMeans) ss += (b[j]! - mb) ** 2;
    const se = Math.sqrt(ss / (BATCHES - 1) / BATCHES);
    t.true(se > 0 && se < 0.1 * Math.sqrt(cv[j]!), `w[${j}]: SE ${se} of the stochastic mean`);
    t.true(Math.abs(gm[j]! - cm[j]!) < 5 * se, `w[${j}] mean: graph ${gm[j]} vs CVI ${cm[j]} (5 SE = ${5 * se})`);
    t.true(Math.abs(Math.sqrt(gv[j]! / cv[j]!) - 1) < 0.05, `w[${j}] sd: graph ${Math.sqrt(gv[j]!)} vs CVI ${Math.sqrt(cv[j]!)}`);
  }
  t.true(Number.isFinite(r.elboEstimate) && r.elboStandardError > 0 && r.elboStandardError < 0.5, `ELBO ${r.elboEstimate} ± ${r.elboStandardError}`);
  t.true(Math.abs(r.elboEstimate - cvi.elboEstimate) < 5 * r.elboStandardError + 0.05, `ELBO graph ${r.elboEstimate} ± ${r.elboStandardError} vs CVI ${cvi.elboEstimate}`);
  void N;
});
