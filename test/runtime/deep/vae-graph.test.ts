/**
 * A VAE as a ModelBuilder graph (vaeModel): amortised z, the decoder a density node whose weights
 * are graph variables. Linear-Gaussian case against probabilistic PCA (Tipping & Bishop 1999):
 * at the optimum the ELBO equals the PPCA log-likelihood (a diagonal q is exact there) and the
 * decoder spans the top principal subspace. The noise variance is fixed at PPCA's ML value and
 * the data centred, so the decoder's ML weights are PPCA's.
 */
import test from "ava";
import { Generator, sampleStandardNormal, mlp, adam, exponentialDecay } from "@vireo/core";
import { from, lastValueFrom, toArray } from "rxjs";
import { vaeModel, cavi, svi, SviEngine, sviCheckpoint, resumeSvi, encodeCheckpoint, decodeCheckpoint, createRegistry, type GradientPosterior } from "@vireo/runtime";
import { ppca } from "./ppca.js";

function ppcaData(N: number, D: number, K: number, seed: number): Float64Array {
  const rng = new Generator(seed), W = Float64Array.from({ length: D * K }, () => sampleStandardNormal(rng));
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    const z = Array.from({ length: K }, () => sampleStandardNormal(rng));
    for (let a = 0; a < D; a++) {
      let v = 0.3 * sampleStandardNormal(rng);
      for (let k = 0; k < K; k++) v += W[a * K + k]! * z[k]!;
      X[i * D + a] = v;
    }
  }
  // Centre the columns: the decoder's bias then has its ML value at 0.
  for (let a = 0; a < D; a++) {
    let m = 0;
    for (let i = 0; i < N; i++) m += X[i * D + a]! / N;
    for (let i = 0; i < N; i++) X[i * D + a] -= m;
  }
  return X;
}

test("graph VAE, linear-Gaussian: ELBO reaches the PPCA log-likelihood and the decoder spans the principal subspace", (t) => {
  const N = 200, D = 4, K = 2, X = ppcaData(N, D, K, 11), ref = ppca(X, N, D, K);
  const decoder = mlp([K, D]);
  const model = vaeModel({ inputs: D, encoder: mlp([D, 2 * K]), decoder, likelihood: "gaussian", noise: ref.noiseVariance });
  const sweeps = 3000;
  const fit = cavi(model, { data: { x: X }, maxIterations: sweeps, tolerance: 0, seed: 3, gradient: { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, sweeps) } });
  const exact = ref.logLikelihoodPerRow * N;
  const gap = exact - fit.elboEstimate;
  t.true(gap > -5 * fit.elboStandardError, `the ELBO ${fit.elboEstimate} ± ${fit.elboStandardError} must not exceed log p(x) ${exact}`);
  t.true(gap < 5 * fit.elboStandardError, `ELBO ${fit.elboEstimate} ± ${fit.elboStandardError} vs PPCA ${exact} (gap ${gap})`);
  t.true(subspaceDistance((fit.posteriors.decoderWeights as GradientPosterior).mean(), ref.subspace, D, K) < 0.05);
});

/** Relative distance of the decoder's columns (W is K × D row-major in the dense layer) from the principal subspace. */
function subspaceDistance(w: ArrayLike<number>, subspace: Float64Array, D: number, K: number): number {
  let residual = 0, total = 0;
  for (let k = 0; k < K; k++) {
    const col = Array.from({ length: D }, (_, a) => w[k * D + a]!);
    const proj = new Float64Array(D);
    for (let c = 0; c < K; c++) {
      let dot = 0;
      for (let a = 0; a < D; a++) dot += subspace[a * K + c]! * col[a]!;
      for (let a = 0; a < D; a++) proj[a] += dot * subspace[a * K + c]!;
    }
    for (let a = 0; a < D; a++) {
      residual += (col[a]! - proj[a]!) ** 2;
      total += col[a]! ** 2;
    }
  }
  return Math.sqrt(residual / total);
}

test("graph VAE through svi() over a stream of minibatches (N/|B| scaling) reaches the same PPCA optimum", async (t) => {
  const N = 200, D = 4, K = 2, B = 50, X = ppcaData(N, D, K, 11), ref = ppca(X, N, D, K);
  const model = vaeModel({ inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian", noise: ref.noiseVariance });
  const epochs = 750, batches: { x: Float64Array }[] = [];
  for (let e = 0; e < epochs; e++) for (let b = 0; b < N / B; b++) batches.push({ x: X.subarray(b * B * D, (b + 1) * B * D) });
  const steps = batches.length;
  const snaps = await lastValueFrom(from(batches).pipe(svi(model, { totalRows: N, seed: 4, gradient: { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.01, steps) } }), toArray()));
  t.is(snaps.length, steps);
  // The batch estimates of the full-data ELBO over the last 100 steps (each unbiased at its q; the optimiser has all but stopped).
  const tail = snaps.slice(-100).map((s) => s.elbo);
  const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
  const se = Math.sqrt(tail.reduce((a, b) => a + (b - mean) ** 2, 0) / (tail.length - 1) / tail.length);
  const exact = ref.logLikelihoodPerRow * N;
  t.true(Math.abs(mean - exact) < 5 * se, `svi ELBO ${mean} ± ${se} vs PPCA ${exact}`);
  const w = snaps[snaps.length - 1]!.posteriors.decoderWeights!.mean;
  t.true(subspaceDistance(w, ref.subspace, D, K) < 0.05, `subspace distance ${subspaceDistance(w, ref.subspace, D, K)}`);
});

test("graph VAE under SVI: the encoder travels in the checkpoint, and a resumed run continues bit-identically", (t) => {
  const N = 200, D = 4, K = 2, B = 50, X = ppcaData(N, D, K, 12);
  const model = vaeModel({ inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian" });
  const options = { totalRows: N, seed: 5, gradient: { samples: 2, optimizer: adam({ lr: 0.05 }) } };
  const batches = Array.from({ length: 12 }, (_, b) => ({ x: X.subarray((b % 4) * B * D, ((b % 4) + 1) * B * D) }));
  const reference = new SviEngine(model, options);
  const at = 5;
  let bytes: Uint8Array | null = null;
  const elbos: number[] = [];
  batches.forEach((batch, i) => {
    elbos.push(reference.step(batch).elbo);
    if (i + 1 === at) bytes = encodeCheckpoint(sviCheckpoint(reference));
  });
  const resumed = resumeSvi(decodeCheckpoint(bytes!, createRegistry(), { model }), { gradient: options.gradient });
  // The encoder steps jointly with the decoder (engine/joint-step.ts) on every batch, the first one included (through the global update).
  t.is(resumed.runner.gradientFit("z")!.optimizerState.step, at, "the encoder's Adam state travels");
  const later = batches.slice(at).map((batch) => resumed.step(batch).elbo);
  t.deepEqual(later, elbos.slice(at));
  for (const name of ["z", "decoderWeights", "logNoise"]) {
    t.deepEqual(Array.from(resumed.runner.gradientFit(name)!.lambda), Array.from(reference.runner.gradientFit(name)!.lambda), `λ of ${name}`);
  }
});

test("graph VAE: fitLocals on held-out rows reads q from the encoder and leaves its weights alone", (t) => {
  const N = 200, D = 4, K = 2, B = 50, X = ppcaData(N, D, K, 13);
  const model = vaeModel({ inputs: D, encoder: mlp([D, 2 * K]), decoder: mlp([K, D]), likelihood: "gaussian" });
  const engine = new SviEngine(model, { totalRows: N, seed: 6, gradient: { samples: 2, optimizer: adam({ lr: 0.05 }) } });
  for (let b = 0; b < 6; b++) engine.step({ x: X.subarray((b % 3) * B * D, ((b % 3) + 1) * B * D) });
  const encoder = engine.runner.gradientFit("z")!, before = encoder.lambda.slice();
  const heldOut = X.subarray(3 * B * D, 4 * B * D);
  const q = engine.runner.fitLocals({ x: heldOut }).z!;
  t.deepEqual(Array.from(encoder.lambda), Array.from(before));
  // The encoder is linear: row i's mean is x_i W + b with W (D × 2K) and b read off λ.
  const mean = q.mean();
  for (const i of [0, 17, 49]) {
    for (let k = 0; k < K; k++) {
      let m = before[D * 2 * K + k]!;
      for (let a = 0; a < D; a++) m += heldOut[i * D + a]! * before[a * 2 * K + k]!;
      t.true(Math.abs(mean[i * K + k]! - m) < 1e-12, `row ${i}, coordinate ${k}: ${mean[i * K + k]} vs ${m}`);
    }
  }
  // Training goes on after it (the encoder binds back to the training batch).
  t.notThrows(() => engine.step({ x: X.subarray(0, B * D) }));
});
