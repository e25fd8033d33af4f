/**
 * Variational autoencoders: the linear-Gaussian VAE against probabilistic PCA's closed form
 * (Tipping & Bishop 1999: at the optimum the decoder spans the top principal subspace and the
 * ELBO equals the PPCA log-likelihood, since a diagonal q is then exact), a digits VAE whose
 * held-out ELBO rises over epochs and whose IWAE-50 bound lies above its ELBO, bit-identical
 * reruns, and a VAE trained through svi() over a stream against the batch loop.
 */
import test from "ava";
import { readFileSync } from "node:fs";
import { from, lastValueFrom, toArray } from "rxjs";
import { Generator, sampleStandardNormal, mlp, amortised, adam, stepDecay, iwaeBound } from "@vireo/core";
import { vae, svi, jointSteps, type Vae } from "@vireo/runtime";
import { ppca } from "./ppca.js";

function digits(): Float64Array {
  const lines = readFileSync(new URL("../../../examples/data/digits.csv", import.meta.url), "utf8").trim().split("\n").slice(1);
  const X = new Float64Array(lines.length * 64);
  lines.forEach((l, i) => l.split(",").slice(0, 64).forEach((v, j) => (X[i * 64 + j] = Number(v) / 16)));
  return X;
}

/** Mean and standard error of the paired differences a_i − b_i. */
function pairedDifference(a: Float64Array, b: Float64Array): { mean: number; se: number } {
  const n = a.length;
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const d = a[i]! - b[i]!; s += d; s2 += d * d; }
  const mean = s / n;
  return { mean, se: Math.sqrt(Math.max(0, s2 / n - mean * mean) / (n - 1)) };
}

test("linear-Gaussian VAE reaches probabilistic PCA: ELBO = PPCA log-likelihood within Monte Carlo error, decoder spans the top principal subspace, σ² = mean of the discarded eigenvalues", (t) => {
  const N = 300, D = 5, K = 2, rng = new Generator(7);
  const W = [[2, 0.5], [-1, 1.5], [0.3, -1], [1, 1], [0, 0.7]];
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    const z0 = sampleStandardNormal(rng), z1 = sampleStandardNormal(rng);
    for (let j = 0; j < D; j++) X[i * D + j] = 1 + W[j]![0]! * z0 + W[j]![1]! * z1 + 0.5 * sampleStandardNormal(rng);
  }
  const ref = ppca(X, N, D, K);
  const model = vae({
    encoder: amortised(mlp([D, 2 * K])), decoder: mlp([K, D]), likelihood: "gaussian",
    seed: 3, optimizer: adam({ lr: 0.03 }), schedule: stepDecay(0.03, 0.3, 800), samples: 2,
  });
  for (let s = 0; s < 3000; s++) model.step(X);
  // Per row, ELBO_i (Monte Carlo over q) against the exact PPCA log N(x_i | μ, WWᵀ + σ²I).
  const ev = model.evaluate(X, { samples: 200 });
  const d = pairedDifference(ev.rows, ref.rowLogLikelihoods);
  // The ELBO is below the log-likelihood, and at the optimum equal to it: within 5 SE plus 0.005 nats/row of optimisation slack.
  t.true(Math.abs(d.mean) < 5 * d.se + 0.005, `ELBO − PPCA = ${d.mean} ± ${d.se} per row (PPCA ${ref.logLikelihoodPerRow})`);
  t.true(Math.abs(Math.exp(model.theta[model.noiseOffset]!) / ref.noiseVariance - 1) < 0.03, `σ² ${Math.exp(model.theta[model.noiseOffset]!)} vs ${ref.noiseVariance}`);
  // Decoder weights W (K × D, x = zW + b): each row must lie in the span of the top-K eigenvectors.
  const Wd = model.theta.subarray(model.decoderOffset, model.decoderOffset + K * D);
  let residual = 0, total = 0;
  for (let k = 0; k < K; k++) {
    const w = Wd.subarray(k * D, (k + 1) * D);
    const proj = new Float64Array(D);
    for (let c = 0; c < K; c++) {
      let dot = 0;
      for (let a = 0; a < D; a++) dot += ref.subspace[a * K + c]! * w[a]!;
      for (let a = 0; a < D; a++) proj[a] += dot * ref.subspace[a * K + c]!;
    }
    for (let a = 0; a < D; a++) { residual += (w[a]! - proj[a]!) ** 2; total += w[a]! ** 2; }
  }
  t.true(Math.sqrt(residual / total) < 0.03, `relative distance of the decoder rows from the principal subspace: ${Math.sqrt(residual / total)}`);
  // The decoder bias is the data mean.
  const bias = model.theta.subarray(model.decoderOffset + K * D, model.decoderOffset + K * D + D);
  for (let a = 0; a < D; a++) t.true(Math.abs(bias[a]! - ref.mean[a]!) < 0.05, `bias ${a}`);
});

const X = digits(), TRAIN = 600, TEST = 200;
const train = X.slice(0, TRAIN * 64), heldOut = X.slice(TRAIN * 64, (TRAIN + TEST) * 64);
const digitsVae = (seed: number): Vae => vae({ inputs: 64, latent: 2, hidden: [32], likelihood: "bernoulli", seed, optimizer: adam({ lr: 3e-3 }) });

test("digits VAE: held-out ELBO rises epoch by epoch, IWAE-50 lies above the ELBO, equal seeds give bit-identical runs", (t) => {
  const runs = [digitsVae(5), digitsVae(5)];
  const curves = runs.map((m) => {
    const curve: number[] = [];
    for (let e = 0; e < 4; e++) {
      m.fit(train, { epochs: 1, batchSize: 50, shuffleSeed: 100 + e });
      curve.push(m.evaluate(heldOut, { seed: 1 }).mean);
    }
    return curve;
  });
  const [a, b] = runs as [Vae, Vae];
  t.deepEqual(a.theta, b.theta);
  t.deepEqual(curves[0], curves[1]);
  const c = curves[0]!;
  for (let e = 1; e < c.length; e++) t.true(c[e]! > c[e - 1]!, `held-out ELBO per row by epoch: ${c.join(", ")}`);
  const elbo = a.evaluate(heldOut, { seed: 2 }), iwae = a.evaluate(heldOut, { bound: iwaeBound(50), seed: 3 });
  const d = pairedDifference(iwae.rows, elbo.rows);
  t.true(d.mean > 5 * d.se, `IWAE-50 − ELBO = ${d.mean} ± ${d.se}`);
  // Training with the IWAE objective also runs and gives a finite bound.
  const w = vae({ inputs: 64, latent: 2, hidden: [32], likelihood: "bernoulli", seed: 1, bound: iwaeBound(5) });
  t.true(Number.isFinite(w.step({ x: train.subarray(0, 64 * 50) }).elbo));
});

test("VAE through svi(): the same minibatches as the batch loop give bit-identical weights, and a stream in another order reaches the batch loop's held-out ELBO within Monte Carlo error", async (t) => {
  const epochs = 4, B = 50;
  const loop = digitsVae(9);
  const order: Float64Array[] = [];
  // The batch loop, recording its minibatches.
  for (let e = 0; e < epochs; e++) {
    const g = new Generator(200 + e), idx = Array.from({ length: TRAIN }, (_, i) => i);
    for (let i = TRAIN - 1; i > 0; i--) { const j = Math.floor(g.uniform() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
    for (let s = 0; s < TRAIN; s += B) {
      const batch = new Float64Array(B * 64);
      for (let r = 0; r < B; r++) batch.set(train.subarray(idx[s + r]! * 64, (idx[s + r]! + 1) * 64), r * 64);
      order.push(batch);
      loop.step({ x: batch });
    }
  }
  const streamed = digitsVae(9);
  const snaps = await lastValueFrom(from(order.map((x) => ({ x }))).pipe(svi(streamed), toArray()));
  t.is(snaps.length, order.length);
  t.is(snaps.at(-1)!.step, order.length);
  t.deepEqual(streamed.theta, loop.theta);
  // Another seed, the data as a stream of [50, 64] rows in file order, N = 600 for the totals.
  const other = vae({ inputs: 64, latent: 2, hidden: [32], likelihood: "bernoulli", seed: 10, optimizer: adam({ lr: 3e-3 }), totalRows: TRAIN });
  const stream = Array.from({ length: epochs * (TRAIN / B) }, (_, k) => ({ x: train.slice(((k % (TRAIN / B)) * B) * 64, ((k % (TRAIN / B)) * B + B) * 64) }));
  const last = await lastValueFrom(from(stream).pipe(svi(other)));
  t.is(last.rows, B);
  t.true(last.elbo < 0 && last.elbo > TRAIN * -200, `total ${last.elbo}`);
  const a = loop.evaluate(heldOut, { samples: 10 }), b = other.evaluate(heldOut, { samples: 10 });
  t.true(Math.abs(a.mean - b.mean) < 5 * Math.hypot(a.standardError, b.standardError), `batch loop ${a.mean} ± ${a.standardError}, stream ${b.mean} ± ${b.standardError}`);
});

test("Gaussian decoder with a full-covariance amortised q trains and its IWAE bound lies above its ELBO", (t) => {
  const model = vae({ inputs: 64, latent: 3, hidden: [24], likelihood: "gaussian", covariance: "full", seed: 4, optimizer: adam({ lr: 3e-3 }) });
  t.is(model.q.covariance, "full");
  const before = model.evaluate(heldOut, { seed: 1 }).mean;
  model.fit(train, { epochs: 3, batchSize: 50 });
  const after = model.evaluate(heldOut, { seed: 1 });
  t.true(after.mean > before, `${before} → ${after.mean}`);
  const iwae = model.evaluate(heldOut, { bound: iwaeBound(20), seed: 2 });
  const d = pairedDifference(iwae.rows, model.evaluate(heldOut, { seed: 2 }).rows);
  t.true(d.mean > 0, `IWAE − ELBO ${d.mean} ± ${d.se}`);
  const { mean, variance } = model.encode(heldOut.subarray(0, 64 * 3));
  t.is(mean.length, 9);
  t.true(variance.every((v) => v > 0));
  const img = model.samplePrior(4, new Generator(1));
  t.is(img.length, 4 * 64);
  t.is(model.reconstruct(heldOut.subarray(0, 64 * 2)).length, 128);
});

test("Gaussian decoder weights: KL(q(w) ‖ p(w)) matches the closed form, training improves the held-out bound, equal seeds are bit-identical", (t) => {
  const make = () => vae({ inputs: 64, latent: 2, hidden: [16], likelihood: "bernoulli", decoderWeights: "gaussian", weightPriorSd: 0.5, seed: 6, optimizer: adam({ lr: 3e-3 }) });
  const model = make(), again = make();
  t.is(model.theta.length, model.weightLogSdOffset + model.decoder.nParams);
  const before = model.evaluate(heldOut, { seed: 1 }).mean;
  model.fit(train, { epochs: 3, batchSize: 50 });
  again.fit(train, { epochs: 3, batchSize: 50 });
  t.deepEqual(model.theta, again.theta);
  const after = model.evaluate(heldOut, { seed: 1 }).mean;
  t.true(after > before, `${before} → ${after}`);
  // KL(N(m, σ²) ‖ N(0, s²)) = Σ log(s/σ) + (σ² + m²)/(2s²) − ½, by hand from θ.
  const P = model.decoder.nParams, s = 0.5;
  let kl = 0;
  for (let j = 0; j < P; j++) {
    const m = model.theta[model.decoderOffset + j]!, sd = Math.exp(model.theta[model.weightLogSdOffset + j]!);
    kl += Math.log(s / sd) + (sd * sd + m * m) / (2 * s * s) - 0.5;
  }
  t.true(Math.abs(model.weightKl() - kl) < 1e-9 * Math.abs(kl), `${model.weightKl()} vs ${kl}`);
  t.is(vae({ inputs: 64, latent: 2, likelihood: "bernoulli" }).weightKl(), 0);
});

test("IWAE training: the kit takes the graph's per-row IWAE-K joint step, its step reports the batch's IWAE per row (against evaluate at the same θ), training raises the held-out IWAE, equal seeds are bit-identical", (t) => {
  const make = () => vae({ inputs: 64, latent: 2, hidden: [32], likelihood: "bernoulli", seed: 2, optimizer: adam({ lr: 3e-3 }), bound: iwaeBound(5) });
  const m = make(), again = make();
  const batch = train.subarray(0, 64 * 100);
  const ev = m.evaluate(batch, { bound: iwaeBound(5), seed: 4 });
  const r = m.step(batch);
  t.truthy(jointSteps(m.engine.runner.current!)[0]!.iwae, "the group steps the per-row IWAE bound");
  t.true(Math.abs(r.elbo - ev.mean) < 5 * Math.SQRT2 * ev.standardError, `step's IWAE-5 ${r.elbo} vs evaluate ${ev.mean} ± ${ev.standardError}`);
  t.is(r.total, r.elbo * 100);
  const before = m.evaluate(heldOut, { bound: iwaeBound(5), seed: 1 }).mean;
  m.fit(train, { epochs: 3, batchSize: 50 });
  const after = m.evaluate(heldOut, { bound: iwaeBound(5), seed: 1 }).mean;
  t.true(after > before, `held-out IWAE-5 ${before} → ${after}`);
  again.step(batch);
  again.fit(train, { epochs: 3, batchSize: 50 });
  t.deepEqual(again.theta, m.theta);
});

test("ELBO training: the step's reported bound is the batch's ELBO per row (against evaluate at the same θ); steps, skipped and the learning rate read the graph's fits", (t) => {
  const m = digitsVae(3), batch = train.subarray(0, 64 * 100);
  const ev = m.evaluate(batch, { seed: 4 });
  const r = m.step(batch);
  t.true(Math.abs(r.elbo - ev.mean) < 5 * Math.SQRT2 * ev.standardError, `step's ELBO ${r.elbo} vs evaluate ${ev.mean} ± ${ev.standardError}`);
  t.is(m.steps, 1);
  t.is(m.skipped, 0);
  t.true(r.applied);
  t.is(m.learningRate, 3e-3);
});
