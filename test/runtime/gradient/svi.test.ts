/**
 * svi() and the SviEngine with a gradient-fitted global: Bayesian logistic regression (N = 1000,
 * D = 5) streamed in minibatches of 100; the density factor is scaled by N/|B| and w takes one
 * Adam step per batch. After 60 epochs the posterior is near the batch answer (the hybrid CVI
 * node's, deterministic): means within 0.25 posterior sd, sds within 25%.
 */
import test from "ava";
import { from, lastValueFrom } from "rxjs";
import { MvNormal, Bernoulli, fullRankGaussian, adam, exponentialDecay } from "@vireo/core";
import { MvNormalNode, BernoulliLogitNode } from "@vireo/nodes";
import { ModelBuilder, cavi, svi, SviEngine, GradientPosterior } from "@vireo/runtime";
import { logistic } from "../bbvi/models.js";
import { logisticGraph, eye } from "./models.js";

function batches(X: Float64Array, y: Float64Array, N: number, D: number, B: number, epochs: number) {
  const out: { x: Float64Array; y: Float64Array }[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < N; s += B) out.push({ x: X.subarray(s * D, (s + B) * D), y: y.subarray(s, s + B) });
  }
  return out;
}

test("svi with a gradient-fitted global converges near the batch answer", async (t) => {
  const { D, N, X, y, s0 } = logistic();
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: eye(D, 1 / (s0 * s0)) });
  m.factor(BernoulliLogitNode, { out: m.observed("y", Bernoulli, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }) });
  const batch = cavi(m.build(), { data: { x: X, y }, tolerance: 1e-12 });
  const bm = batch.posteriors.w!.mean(), bv = batch.posteriors.w!.variance();

  const model = logisticGraph(D, s0, fullRankGaussian({ sd: 0.1 }));
  const options = { totalRows: N, gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, 600) } };
  const engine = new SviEngine(model, options);
  const stream = batches(X, y, N, D, 100, 60);
  let last = 0;
  for (const b of stream) last = engine.step(b).elbo;
  t.true(Number.isFinite(last));
  const post = engine.posteriors().w!;
  t.true(post instanceof GradientPosterior);
  const mean = post.mean(), v = post.variance();
  for (let j = 0; j < D; j++) {
    const sd = Math.sqrt(bv[j]!);
    t.true(Math.abs(mean[j]! - bm[j]!) < 0.25 * sd, `w[${j}]: SVI ${mean[j]} vs batch ${bm[j]} (sd ${sd})`);
    t.true(Math.abs(Math.sqrt(v[j]!) / sd - 1) < 0.25, `w[${j}] sd: SVI ${Math.sqrt(v[j]!)} vs batch ${sd}`);
  }

  // The operator runs the same engine over a stream and emits snapshots.
  const snap = await lastValueFrom(from(stream.slice(0, 20)).pipe(svi(model, options)));
  t.true(Number.isFinite(snap.elbo));
});
