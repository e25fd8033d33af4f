/**
 * Engine behaviour: non-finite gradients skip the step and are reported, minibatch factors are
 * scaled by N/|B|, runs are reproducible from a seed or a saved generator state, convergence is
 * detected on the noisy ELBO, and bad models / options fail with clear typed errors.
 */
import test from "ava";
import { meanFieldGaussian, fullRankGaussian, ad, Generator, robbinsMonro, VireoError, type TNode } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi } from "@vireo/runtime";
import { normalNormal, gaussianPrior, gaussianLogLik } from "./models.js";

test("a NaN gradient skips the step, is reported with the variable, and never reaches the parameters", (t) => {
  // sqrt of a variable whose draws are all negative: NaN log-density and gradient.
  const model = bbviModel({
    latents: [{ name: "x", family: meanFieldGaussian(1, { mean: [-5], sd: 0.1 }) }],
    factors: [{ name: "bad", vars: ["x"], logDensity: ({ x }) => ad.sum(ad.sqrt(x!)) }],
  });
  const engine = createBbvi(model, { samples: 2 });
  const state = engine.init(1);
  const before = Float64Array.from(state.params);
  const adamBefore = state.optimizer.buffers.map((b) => Float64Array.from(b));
  const r = engine.step(state);
  t.false(r.applied);
  t.is(r.skip?.variable, "x");
  t.true(Number.isNaN(r.skip!.value));
  t.deepEqual([...state.params], [...before]);
  t.deepEqual(state.optimizer.buffers.map((b) => [...b]), adamBefore.map((b) => [...b]));
  t.is(state.optimizer.step, 0);
  // Every step skipped: fitBbvi refuses to hand back the initial q as a result.
  const err = t.throws(() => fitBbvi(engine, state, { maxIterations: 20, convergence: false }), { instanceOf: VireoError });
  t.is(err?.code, "NUMERICAL_FAILURE");
  t.regex(err!.message, /all 20 steps were skipped.*latent 'x'/);
  t.is(state.skipped, 21);
  t.deepEqual([...state.params], [...before]);
});

test("minibatch factors are scaled by N/|B|", (t) => {
  const nn = normalNormal(10);
  const twice = new Float64Array(20);
  twice.set(nn.x);
  twice.set(nn.x, 10);
  const latents = [{ name: "mu", family: fullRankGaussian(1) }];
  const prior = { name: "prior", vars: ["mu"], logDensity: ({ mu }: Record<string, TNode>) => gaussianPrior(mu!, nn.s0) };
  const batched = createBbvi(bbviModel<Float64Array>({
    latents,
    factors: [prior, { name: "lik", vars: ["mu"], minibatch: true, logDensity: ({ mu }, tp, x) => gaussianLogLik(tp, x!, mu!, nn.sigma) }],
  }));
  const full = createBbvi(bbviModel({
    latents,
    factors: [prior, { name: "lik", vars: ["mu"], logDensity: ({ mu }, tp) => gaussianLogLik(tp, twice, mu!, nn.sigma) }],
  }));
  const a = batched.gradient(batched.init(4, { mu: [0.2, -0.5] }), { data: nn.x, size: 10, total: 20 });
  const b = full.gradient(full.init(4, { mu: [0.2, -0.5] }));
  t.true(Math.abs(a.elbo - b.elbo) < 1e-9 * Math.abs(b.elbo), `${a.elbo} vs ${b.elbo}`);
  for (let i = 0; i < a.grad.length; i++) t.true(Math.abs(a.grad[i]! - b.grad[i]!) < 1e-9 * (1 + Math.abs(b.grad[i]!)));
  const e = t.throws(() => batched.step(batched.init(1), { data: nn.x, size: 0, total: 20 }));
  t.is((e as { code?: string }).code, "INVALID_BATCH");
});

test("same seed, same run; a restored generator state continues bit-identically", (t) => {
  const nn = normalNormal();
  const engine = createBbvi(nn.model({ family: fullRankGaussian(1) }), { samples: 3 });
  const a = engine.init(9), b = engine.init(9);
  fitBbvi(engine, a, { maxIterations: 50, convergence: false });
  fitBbvi(engine, b, { maxIterations: 50, convergence: false });
  t.deepEqual([...a.params], [...b.params]);
  const saved = { params: Float64Array.from(a.params), rng: a.rng.getState(), m: a.optimizer.buffers.map((x) => Float64Array.from(x)), step: a.optimizer.step };
  fitBbvi(engine, a, { maxIterations: 30, convergence: false });
  const c = engine.init(0);
  c.params.set(saved.params);
  c.rng.setState(saved.rng);
  saved.m.forEach((x, i) => c.optimizer.buffers[i]!.set(x));
  c.optimizer.step = saved.step;
  fitBbvi(engine, c, { maxIterations: 30, convergence: false });
  t.deepEqual([...c.params], [...a.params]);
  t.notDeepEqual([...engine.init(10).rng.getState().words], [...new Generator(9).getState().words]);
});

test("fitBbvi stops on the windowed relative change of the noisy ELBO", (t) => {
  const nn = normalNormal();
  const engine = createBbvi(nn.model({ family: meanFieldGaussian(1) }), { samples: 5, schedule: robbinsMonro(0.05, 200, 0.7) });
  const state = engine.init(2);
  const r = fitBbvi(engine, state, { maxIterations: 20000, convergence: { window: 200, tolerance: 1e-4, patience: 2 } });
  t.true(r.converged);
  t.true(r.steps < 20000 && r.steps % 200 === 0, `steps ${r.steps}`);
  const dev = Math.abs(engine.mean(state, "mu")[0]! - nn.postMean) / nn.postSd;
  t.log(`converged after ${r.steps} steps, mean off by ${dev.toFixed(3)} sd`);
  t.true(dev < 0.1, `mean off by ${dev} posterior sd`);
  const capped = fitBbvi(engine, engine.init(2), { maxIterations: 150, convergence: { window: 100, tolerance: 1e-12 } });
  t.false(capped.converged);
  t.is(capped.steps, 150);
});

test("model and option errors are typed and say how to fix them", (t) => {
  const fam = meanFieldGaussian(1);
  const code = (f: () => unknown) => (t.throws(f) as { code?: string; message: string });
  let e = code(() => bbviModel({ latents: [{ name: "a", family: fam }, { name: "a", family: fam }], factors: [] }));
  t.is(e.code, "DUPLICATE_NAME");
  e = code(() => bbviModel({ latents: [{ name: "a", family: fam }], factors: [{ name: "f", vars: ["b"], logDensity: ({ a }) => a! }] }));
  t.is(e.code, "UNKNOWN_NAME");
  t.regex(e.message, /'b'.*latents are: a/);
  e = code(() => bbviModel({ latents: [{ name: "a", family: fam }, { name: "c", family: fam }], factors: [{ name: "f", vars: ["a"], logDensity: ({ a }) => ad.sum(a!) }] }));
  t.is(e.code, "INVALID_MODEL");
  t.regex(e.message, /'c' is touched by no factor/);
  e = code(() => createBbvi(bbviModel({ latents: [{ name: "a", family: fam }], factors: [{ name: "f", vars: ["a"], logDensityValue: () => 0 }] })));
  t.is(e.code, "INVALID_MODEL");
  t.regex(e.message, /factor 'f' touches reparameterised 'a'.*logDensity on the tape/);
  const vec = createBbvi(bbviModel({ latents: [{ name: "a", family: meanFieldGaussian(2) }], factors: [{ name: "f", vars: ["a"], logDensity: ({ a }) => a! }] }));
  e = code(() => vec.step(vec.init(0)));
  t.is(e.code, "INVALID_MODEL");
  t.regex(e.message, /factor 'f'.*scalar.*shape \[2\]/);
  e = code(() => createBbvi(bbviModel({ latents: [{ name: "a", family: fam }], factors: [{ name: "f", vars: ["a"], logDensity: ({ a }) => ad.sum(a!) }] }), { samples: 0 }));
  t.is(e.code, "INVALID_OPTION");
  e = code(() => vec.init(0, { a: [1, 2] }));
  t.is(e.code, "DIMENSION_MISMATCH");
});
