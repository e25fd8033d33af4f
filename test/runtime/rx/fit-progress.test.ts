/**
 * caviProgress / bbviProgress: the events are the fits' own sweeps and steps, the final result is
 * bit-identical to the plain call, unsubscribing stops the fit, errors travel the error channel.
 */
import test from "ava";
import { lastValueFrom, toArray, take, filter } from "rxjs";
import { VireoError, meanFieldGaussian, logTransform, ad, adam } from "@vireo/core";
import { cavi, caviProgress, bbviProgress, bbviModel, createBbvi, fitBbvi, type CaviSweepEvent, type BbviStepEvent } from "@vireo/runtime";
import { mixtureModel } from "../checkpoint/models.js";

test("caviProgress: one event per sweep of every restart, then the very result cavi() returns", async (t) => {
  const { model, data } = mixtureModel();
  const options = { data, seed: 3, restarts: 3, maxIterations: 200 };
  const plain = cavi(model, options);
  const seenByCallback: number[] = [];
  const events = await lastValueFrom(caviProgress(model, { ...options, onSweep: (_s, e) => seenByCallback.push(e) }).pipe(toArray()));
  const sweeps = events.filter((e): e is CaviSweepEvent => e.kind === "sweep");
  const done = events.at(-1)!;
  t.is(done.kind, "done");
  if (done.kind !== "done") return;
  t.deepEqual(done.result.elbo, plain.elbo);
  t.is(done.result.seed, plain.seed);
  t.deepEqual(Array.from(done.result.posteriors.mu!.natural), Array.from(plain.posteriors.mu!.natural));
  // Restarts 0, 1, 2 in order, sweeps counted up within each, `done` counting every sweep.
  t.deepEqual([...new Set(sweeps.map((e) => e.restart))], [0, 1, 2]);
  sweeps.forEach((e, i) => {
    t.is(e.done, i + 1);
    t.is(e.restarts, 3);
    t.is(e.maxIterations, 200);
  });
  // The winning restart's events are its ELBO trace; the user's own callback still sees every sweep.
  const best = sweeps.filter((e) => e.restart === plain.seed - 3).map((e) => e.elbo);
  t.deepEqual(best, plain.elbo as number[]);
  t.deepEqual(seenByCallback, sweeps.map((e) => e.elbo));
});

test("caviProgress: unsubscribing stops the fit at the next sweep; nothing runs before subscribe", async (t) => {
  const { model, data } = mixtureModel();
  let sweepsRun = 0;
  const progress$ = caviProgress(model, { data, seed: 1, restarts: 4, maxIterations: 300, tolerance: 0, onSweep: () => sweepsRun++ });
  await new Promise((ok) => setTimeout(ok, 20));
  t.is(sweepsRun, 0);
  const first = await lastValueFrom(progress$.pipe(take(5), toArray()));
  t.is(first.length, 5);
  await new Promise((ok) => setTimeout(ok, 20));
  t.is(sweepsRun, 5);
});

test("caviProgress: a bad option arrives on the error channel", async (t) => {
  const { model, data } = mixtureModel();
  const e = await t.throwsAsync(lastValueFrom(caviProgress(model, { data, restarts: 0 })), { instanceOf: VireoError });
  t.regex(e!.message, /restarts' must be a positive integer/);
});

test("bbviProgress: one event per step, and the final state equals fitBbvi's bit for bit", async (t) => {
  const model = bbviModel({
    latents: [{ name: "x", family: meanFieldGaussian(1), transform: logTransform }],
    factors: [{ name: "gamma", vars: ["x"], logDensity: ({ x }) => ad.sum(ad.sub(ad.scale(ad.log(x!), 19), ad.scale(x!, 4))) }],
  });
  const engine = createBbvi(model, { samples: 4, optimizer: adam({ lr: 0.05 }) });
  const a = engine.init(8), b = engine.init(8);
  const plain = fitBbvi(engine, a, { maxIterations: 150, convergence: false });
  const events = await lastValueFrom(bbviProgress(engine, b, { maxIterations: 150, convergence: false }).pipe(toArray()));
  const steps = events.filter((e): e is BbviStepEvent => e.kind === "step");
  t.is(steps.length, 150);
  t.deepEqual(steps.map((e) => e.step), Array.from({ length: 150 }, (_, i) => i + 1));
  const done = events.at(-1)!;
  t.is(done.kind, "done");
  if (done.kind === "done") t.is(done.result.elbo, plain.elbo);
  t.deepEqual(Array.from(b.params), Array.from(a.params));
  const partial = await lastValueFrom(bbviProgress(engine, engine.init(8), { maxIterations: 150, convergence: false }).pipe(filter((e) => e.kind === "step"), take(10), toArray()));
  t.is(partial.length, 10);
});
