/**
 * @vireo/runtime/conjugate: the closed-form engine without the gradient and thread parts. It must
 * give the same numbers as `cavi` from '@vireo/runtime' (the same code runs; only the optional
 * parts differ), and refuse what needs those parts with a message naming the variable or option.
 */
import test from "ava";
import { Generator, MvNormal, sampleStandardNormal, sampleCategorical, meanFieldGaussian } from "@vireo/core";
import { MvNormalNode } from "@vireo/nodes";
import * as full from "@vireo/runtime";
import * as lean from "@vireo/runtime/conjugate";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";
import { readmeModel } from "../../examples/src/readme-model.js";

const normalGamma = readmeModel;

test("the conjugate entry's cavi gives the full engine's ELBO trace and posteriors on Normal–Gamma", (t) => {
  const data = { y: [4.9, 5.3, 6.1, 5.0, 4.4, 5.8] };
  const a = lean.cavi(normalGamma(lean.ModelBuilder), { data });
  const b = full.cavi(normalGamma(full.ModelBuilder), { data });
  t.deepEqual(a.elbo, b.elbo);
  t.deepEqual(a.posteriors.mu!.params(), b.posteriors.mu!.params());
  t.deepEqual(a.posteriors.tau!.params(), b.posteriors.tau!.params());
  t.true(a.converged);
});

test("the conjugate entry's cavi gives the full engine's answer on a seeded Gaussian mixture (fused pass, restarts)", (t) => {
  const rng = new Generator(3), N = 2000, x = new Float64Array(N * 2);
  const centres = [[-4, 0], [4, 1], [0, 5]];
  for (let n = 0; n < N; n++) {
    const k = sampleCategorical(rng, [0.4, 0.3, 0.3]);
    for (let i = 0; i < 2; i++) x[n * 2 + i] = centres[k]![i]! + sampleStandardNormal(rng);
  }
  const model = gaussianMixture(3, 2, { alpha: 1, meanPrecision: 0.01, df: 3, scale: 1 });
  const opts = { data: { x }, restarts: 2, seed: 7, maxIterations: 200 };
  const a = lean.cavi(model, opts), b = full.cavi(model, opts);
  t.deepEqual(a.elbo, b.elbo);
  t.is(a.seed, b.seed);
  for (const name of Object.keys(b.posteriors)) t.deepEqual(a.posteriors[name]!.params(), b.posteriors[name]!.params(), name);
});

test("the conjugate entry refuses a gradient-fitted variable, naming it and the entry to use", (t) => {
  const m = new lean.ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("weights", MvNormal(2), { q: meanFieldGaussian() });
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [[1, 0], [0, 1]] });
  const y = m.observed("y", MvNormal(2), { plate: rows });
  m.factor(MvNormalNode, { out: y, mean: w, precision: [[1, 0], [0, 1]] });
  const e = t.throws(() => lean.cavi(m.build(), { data: { y: [[1, 2], [0, 1]] } }));
  t.is((e as { code?: string }).code, "INVALID_MODEL");
  t.regex(e!.message, /'weights'/);
  t.regex(e!.message, /@vireo\/runtime'/);
  // The full engine fits the same model.
  t.notThrows(() => full.cavi(m.build(), { data: { y: [[1, 2], [0, 1]] }, maxIterations: 20, gradient: { checkDraws: 0, elboSamples: 20 } }));
});

test("the conjugate entry refuses worker threads, naming the option", (t) => {
  const e = t.throws(() => lean.cavi(normalGamma(lean.ModelBuilder), { data: { y: [1, 2] }, threads: 2 }));
  t.is((e as { code?: string }).code, "INVALID_OPTION");
  t.regex(e!.message, /threads/);
});
