/**
 * SVGP through svi() over RxJS minibatch streams: with fixed Z and hyperparameters, one epoch of
 * steps ρ_t = 1/t with N/|B| scaling lands on the closed-form optimal q(u), whose ELBO is the
 * collapsed bound; with Adam on the hyperparameters the stream's fit approaches the batch (SGPR)
 * fit; bad batches are INVALID_BATCH naming the batch and field, and the last good state is kept.
 */
import test from "ava";
import { lastValueFrom, toArray, of, from } from "rxjs";
import { Generator, sampleNormal, squaredExponential, sparseGp, gaussianLikelihood, isVireoError, VireoError } from "@vireo/core";
import { fromArrays, svi, SvgpEngine, type SvgpSnapshot } from "@vireo/runtime";

function data(n: number, seed: number, dim = 1): { x: number[][]; flat: Float64Array; y: Float64Array } {
  const rng = new Generator(seed), x: number[][] = [], y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: dim }, () => -3 + 6 * rng.uniform());
    x.push(row);
    y[i] = Math.sin(1.5 * row[0]!) + (dim > 1 ? 0.5 * Math.cos(row[1]!) : 0) + sampleNormal(rng, 0, 0.25);
  }
  return { x, flat: Float64Array.from(x.flat()), y };
}

const Z1 = [-2.8, -2, -1.2, -0.4, 0.4, 1.2, 2, 2.8];

test("svi(sparseGp) with fixed Z and θ: one epoch with ρ_t = 1/t reaches the optimal q(u); its ELBO equals the collapsed bound", async (t) => {
  const N = 240, B = 40, { x, y } = data(N, 1, 2);
  const make = () => sparseGp({
    kernel: squaredExponential({ dim: 2, variance: 1, lengthscale: [1.1, 1.6] }), likelihood: gaussianLikelihood(0.06),
    inducing: Z1.map((v, i) => [v, ((i * 7) % 8) * 0.75 - 2.6]), learn: { kernel: false, likelihood: false },
  });
  const model = make(), ref = make();
  const snaps = await lastValueFrom(fromArrays({ x, y }, { batchSize: B }).pipe(svi(model, { totalRows: N, tau: 0, kappa: 1 }), toArray()));
  t.is(snaps.length, N / B);
  t.deepEqual(snaps.map((s) => s.rho), [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6]);
  t.true(snaps.every((s) => s.rows === B && Number.isFinite(s.elbo)));
  const X = ref.inputs(x), bound = ref.collapsedBound(X, y, new Float64Array(ref.layout.size)).elbo;
  const elbo = model.elbo(model.inputs(x), y).elbo;
  t.true(Math.abs(elbo - bound) < 1e-8, `SVGP ELBO ${elbo} vs collapsed bound ${bound}`);
  const q = model.inducingPosterior(), r = ref.inducingPosterior();
  for (let i = 0; i < q.mean.length; i++) t.true(Math.abs(q.mean[i]! - r.mean[i]!) < 1e-8);
  for (let i = 0; i < q.covariance.length; i++) t.true(Math.abs(q.covariance[i]! - r.covariance[i]!) < 1e-8);
  // The snapshot's posterior "u" is that q(u).
  const u = snaps.at(-1)!.posteriors.u!;
  t.is(u.family, "MvNormal(8)");
  for (let i = 0; i < q.mean.length; i++) t.true(Math.abs(u.mean[i]! - q.mean[i]!) < 1e-8);
});

test("svi(sparseGp) with Adam on the hyperparameters approaches the batch collapsed fit", async (t) => {
  const N = 2000, { flat, y } = data(N, 2);
  const start = () => ({ kernel: squaredExponential({ variance: 0.3, lengthscale: 2.5 }), likelihood: gaussianLikelihood(0.5), inducing: Z1 });
  const batch = sparseGp(start());
  batch.fitCollapsed(flat, y, { iterations: 300 });
  const target = batch.collapsedBound(batch.inputs(flat), y).elbo;

  const model = sparseGp(start());
  const X = model.inputs(flat), before = model.collapsedBound(X, y).elbo;
  const snaps: SvgpSnapshot[] = await lastValueFrom(
    fromArrays({ x: flat, y }, { batchSize: 100, shuffle: true, seed: 3, epochs: 15 }).pipe(svi(model, { totalRows: N, optimizer: undefined, summaries: "none" }), toArray()),
  );
  t.is(snaps.length, 300);
  const after = model.elbo(X, y).elbo, collapsedAfter = model.collapsedBound(X, y).elbo;
  t.log(`collapsed bound: start ${before.toFixed(2)}, batch fit ${target.toFixed(2)}; SVGP ELBO after the stream ${after.toFixed(2)} (its collapsed bound ${collapsedAfter.toFixed(2)})`);
  t.log(`hyperparameters: stream ${JSON.stringify(snaps.at(-1)!.hyperparameters)}`);
  t.true(after > before + 0.9 * (target - before), "the stream recovers at least 90% of the batch fit's gain");
  t.true(after <= collapsedAfter + 1e-6, "the SVGP ELBO never exceeds the collapsed bound at the same θ");
  const noise = snaps.at(-1)!.hyperparameters["likelihood.noiseVariance"]!;
  t.true(Math.abs(noise - 0.0625) < 0.02, `noise variance ${noise} vs the true 0.0625`);
});

test("svi(sparseGp): a batch with a NaN input or the wrong width is INVALID_BATCH naming batch and field; skip keeps the last good state", async (t) => {
  const model = sparseGp({ kernel: squaredExponential({ dim: 2 }), inducing: [[0, 0], [1, 1]] });
  const good = { x: [[0.1, 0.2], [0.3, -0.5]], y: [0.5, -0.1] };
  const bad = { x: [[0.1, NaN], [0.3, -0.5]], y: [0.5, -0.1] };
  const e = await t.throwsAsync(lastValueFrom(of(bad).pipe(svi(model, { totalRows: 10 }))));
  t.true(isVireoError(e, "INVALID_BATCH") && e.context.batch === 0 && e.context.field === "x" && /row 0, column 1/.test(e.message), e.message);
  const wide = { x: [[0.1, 0.2, 0.3]], y: [1] };
  const e2 = await t.throwsAsync(lastValueFrom(of(wide).pipe(svi(model, { totalRows: 10 }))));
  t.true(isVireoError(e2, "INVALID_BATCH") && /2/.test(e2.message) && e2.context.field === "x", e2.message);
  const e3 = await t.throwsAsync(lastValueFrom(of({ x: good.x, y: [1, Infinity] }).pipe(svi(model, { totalRows: 10 }))));
  t.true(isVireoError(e3, "INVALID_BATCH") && e3.context.field === "y", e3.message);

  const engine = new SvgpEngine(model, { totalRows: 10 });
  engine.stepBatch(good);
  const mean = model.qMean.slice(), hyper = engine.hyperparameters();
  const skipped: VireoError[] = [];
  await lastValueFrom(from([bad]).pipe(svi(engine, { onInvalid: "skip", skipped: (s) => skipped.push(s.error) })), { defaultValue: null }).catch(() => null);
  t.is(skipped.length, 1);
  t.deepEqual(Array.from(model.qMean), Array.from(mean));
  t.deepEqual(engine.hyperparameters(), hyper);
  t.is(engine.step, 1);
});

test("svi(sparseGp): options are checked when the operator is made", (t) => {
  const model = sparseGp({ kernel: squaredExponential(), inducing: [0, 1] });
  t.true(isVireoError(t.throws(() => svi(model, { totalRows: 0 })), "INVALID_OPTION"));
  t.true(isVireoError(t.throws(() => svi(model, { totalRows: 10, kappa: 0.3 })), "INVALID_OPTION"));
  t.true(isVireoError(t.throws(() => svi(model, { size: 10, batch: 3 } as never)), "INVALID_OPTION"));
});
