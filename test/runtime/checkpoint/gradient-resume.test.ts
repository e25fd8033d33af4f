/**
 * Checkpoints of models with gradient-fitted variables: q's parameters, the optimiser's state
 * (Adam's step count and moments), the step and skip counts, the latest draws and the generator
 * travel in the checkpoint, and a run resumed from it continues bit-identically:
 * - CAVI on Bayesian logistic regression (w gradient-fitted next to a conjugate prior, the
 *   likelihood a density factor) and on a Normal model whose mean is gradient-fitted while its
 *   precision stays closed-form (it reads the mean's Monte Carlo statistics);
 * - an SVI stream over the logistic model and an online stream over the Normal model: every later
 *   snapshot identical to the byte.
 * The model's functions (q, the density) do not travel: decoding takes the live model and refuses
 * one whose spec differs, and resuming refuses another optimiser.
 */
import test from "ava";
import { Generator, Normal, Gamma, sampleStandardNormal, adam, sgd, fullRankGaussian, meanFieldGaussian, lowRankGaussian, VireoError } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import {
  CaviEngine, SviEngine, OnlineEngine, online, onlineCheckpoint, resumeOnline, type OnlineSnapshot, ModelBuilder, compile, initialise, bindData, svi, createRegistry, encodeCheckpoint, decodeCheckpoint, modelToData,
  caviCheckpoint, resumeCavi, sviCheckpoint, resumeSvi, type Model, type DataBinding, type GradientOptions, type SviSnapshot,
} from "@vireo/runtime";
import { logistic } from "../bbvi/models.js";
import { logisticGraph } from "../gradient/models.js";
import { bits } from "./models.js";
import { collect, snapshotHex, from } from "./stream-helpers.js";

const GRADIENT: GradientOptions = { samples: 4, optimizer: adam({ lr: 0.05 }) };

function start(model: Model, data: DataBinding, seed: number): { engine: CaviEngine; rng: Generator } {
  const state = compile(model, bindData(model, data), undefined, GRADIENT);
  const rng = new Generator(seed);
  initialise(state, rng);
  return { engine: new CaviEngine(state), rng };
}

/** ELBO bits after each of `more` sweeps, then every variable's λ (or η) bits. */
function continueRun(engine: CaviEngine, more: number): { elbo: string[]; state: string[] } {
  const elbo: string[] = [];
  for (let i = 0; i < more; i++) elbo.push(bits(engine.sweep()));
  return { elbo, state: engine.state.random.map((v) => Array.from(v.gradient?.fit.lambda ?? v.eta, bits).join(",")) };
}

function logisticCase(): { model: Model; data: DataBinding } {
  const lg = logistic(200, 3, 4);
  return { model: logisticGraph(lg.D, lg.s0, fullRankGaussian({ sd: 0.1 })), data: { x: lg.X, y: lg.y } };
}

/** y_n ~ N(μ, τ⁻¹) with μ ~ N(0, 100) gradient-fitted (low-rank q) and τ ~ Gamma(1, 1) closed-form. */
function normalCase(): { model: Model; data: DataBinding } {
  const rng = new Generator(8), y = Float64Array.from({ length: 40 }, () => 2 + 0.5 * sampleStandardNormal(rng));
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal, { q: meanFieldGaussian() }), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: tau });
  return { model: m.build(), data: { y } };
}

for (const [title, make] of [["logistic regression (density factor)", logisticCase], ["Normal mean gradient-fitted, precision closed-form", normalCase]] as const) {
  test(`CAVI with gradient-fitted variables resumes bit-identically: ${title}`, (t) => {
    const { model, data } = make();
    const k = 5, more = 8;
    const { engine: reference, rng } = start(model, data, 21);
    const trace: number[] = [];
    for (let i = 0; i < k; i++) trace.push(reference.sweep());
    const bytes = encodeCheckpoint(caviCheckpoint(reference, { sweeps: k, elbo: trace, generator: rng }));
    const uninterrupted = continueRun(reference, more);

    const decoded = decodeCheckpoint(bytes, createRegistry(), { model });
    t.is(decoded.model, model);
    const fitted = decoded.model.order.filter((n) => decoded.model.variables[n]!.gradient);
    t.true(fitted.length === 1);
    t.false(Object.hasOwn(decoded.variational, fitted[0]!), "a gradient-fitted variable travels as its fit, not as η");
    const { engine, sweeps, elbo, generator } = resumeCavi(decoded, data, { gradient: GRADIENT });
    t.is(sweeps, k);
    t.truthy(generator);
    t.deepEqual(elbo.map(bits), trace.map(bits));
    const fit = engine.state.random.find((v) => v.gradient !== null)!.gradient!.fit;
    t.is(fit.optimizerState.step, k, "Adam's step count came back");
    t.true(fit.optimizerState.buffers.every((b) => b.some((x) => x !== 0)), "Adam's moments came back");
    const resumed = continueRun(engine, more);
    t.deepEqual(resumed.elbo, uninterrupted.elbo);
    t.deepEqual(resumed.state, uninterrupted.state);
    t.not(resumed.elbo[0], resumed.elbo[more - 1]);
  });
}

test("SVI stream with a gradient-fitted global: checkpoint after k batches, resume, every later snapshot identical to the byte", (t) => {
  const lg = logistic(300, 3, 5);
  const model = logisticGraph(lg.D, lg.s0, fullRankGaussian({ sd: 0.1 }));
  const batches = Array.from({ length: 12 }, (_, b) => {
    const s = (b % 6) * 50;
    return { x: lg.X.subarray(s * lg.D, (s + 50) * lg.D), y: lg.y.subarray(s, s + 50) };
  });
  const options = { totalRows: 300, seed: 3, gradient: GRADIENT };
  const K = 5;
  const reference = new SviEngine(model, options);
  let bytes: Uint8Array | null = null;
  const snapshots: SviSnapshot[] = [];
  from(batches).pipe(svi(reference)).subscribe((s) => {
    snapshots.push(s);
    if (s.step === K) bytes = encodeCheckpoint(sviCheckpoint(reference));
  });
  t.is(snapshots.length, batches.length);

  const decoded = decodeCheckpoint(bytes!, createRegistry(), { model });
  t.deepEqual(Object.keys(decoded.variational), [], "w travels as its fit");
  const resumed = resumeSvi(decoded, { gradient: GRADIENT });
  t.is(resumed.runner.gradientFit("w")!.optimizerState.step, K);
  const later = collect(from(batches.slice(K)).pipe(svi(resumed, { startAt: { batch: K } })));
  t.is(later.length, batches.length - K);
  later.forEach((s, i) => t.is(snapshotHex(s), snapshotHex(snapshots[K + i]), `snapshot of batch ${K + i}`));
  t.not(snapshotHex(snapshots[K]!.posteriors), snapshotHex(snapshots[snapshots.length - 1]!.posteriors));
  t.deepEqual(Array.from(resumed.runner.gradientFit("w")!.lambda, bits), Array.from(reference.runner.gradientFit("w")!.lambda, bits));
  t.deepEqual(resumed.runner.generatorState(), reference.runner.generatorState());
});

test("decoding needs the live model, whose spec must match; resuming needs the run's optimiser", (t) => {
  const { model, data } = logisticCase();
  const { engine, rng } = start(model, data, 2);
  const trace = [engine.sweep(), engine.sweep()];
  const bytes = encodeCheckpoint(caviCheckpoint(engine, { sweeps: 2, elbo: trace, generator: rng }));
  t.deepEqual(modelToData(model).variables.find((v) => v.name === "w")!.gradient, { q: "FullRankGaussian", bijector: "identity", estimator: "auto" });

  const bare = t.throws(() => decodeCheckpoint(bytes, createRegistry()), { instanceOf: VireoError });
  t.is(bare?.code, "INVALID_CHECKPOINT");
  t.regex(bare!.message, /'w' is fitted by gradients.*decodeCheckpoint\(bytes, registry, \{ model \}\)/);

  const lg = logistic(200, 3, 4);
  const other = logisticGraph(lg.D, lg.s0, lowRankGaussian({ rank: 1 }));
  const wrong = t.throws(() => decodeCheckpoint(bytes, createRegistry(), { model: other }), { instanceOf: VireoError });
  t.is(wrong?.code, "INVALID_CHECKPOINT");
  t.regex(wrong!.message, /checkpoint\.model\.variables\[\d\].*'w' differs/);

  const decoded = decodeCheckpoint(bytes, createRegistry(), { model });
  const optimiser = t.throws(() => resumeCavi(decoded, data, { gradient: { samples: 4, optimizer: sgd({ lr: 0.1 }) } }), { instanceOf: VireoError });
  t.is(optimiser?.code, "INVALID_CHECKPOINT");
  t.regex(optimiser!.message, /'adam' optimiser.*'sgd'/);
  const samples = t.throws(() => resumeCavi(decoded, data, { gradient: { samples: 6, optimizer: adam({ lr: 0.05 }) } }), { instanceOf: VireoError });
  t.regex(samples!.message, /draws.*expected/);

  t.throws(() => caviCheckpoint(engine, { sweeps: 2, elbo: trace }), { message: /gradient-fitted.*generator/ });
});

test("online stream with a gradient-fitted global: checkpoint after k batches, resume, every later snapshot identical to the byte", (t) => {
  const { model, data } = normalCase();
  const y = (data as { y: Float64Array }).y;
  const batches = Array.from({ length: 8 }, (_, b) => ({ y: y.subarray(b * 5, b * 5 + 5) }));
  const options = { forgetting: 0.95, maxIterations: 20, seed: 4, gradient: GRADIENT };
  const K = 3;
  const reference = new OnlineEngine(model, options);
  let bytes: Uint8Array | null = null;
  const snapshots: OnlineSnapshot[] = [];
  from(batches).pipe(online(reference)).subscribe((s) => {
    snapshots.push(s);
    if (s.step === K) bytes = encodeCheckpoint(onlineCheckpoint(reference));
  });
  t.is(snapshots.length, batches.length);
  const decoded = decodeCheckpoint(bytes!, createRegistry(), { model });
  t.deepEqual(Object.keys(decoded.variational), ["tau"]);
  const resumed = resumeOnline(decoded, { gradient: GRADIENT });
  const later = collect(from(batches.slice(K)).pipe(online(resumed, { startAt: { batch: K } })));
  t.is(later.length, batches.length - K);
  later.forEach((s, i) => t.is(snapshotHex(s), snapshotHex(snapshots[K + i]), `snapshot of batch ${K + i}`));
  t.not(snapshotHex(snapshots[K]!.posteriors), snapshotHex(snapshots[snapshots.length - 1]!.posteriors));
});
