/**
 * Amortised latents in the ModelBuilder graph: `q: amortised(encoder, { from: "x" })` on a
 * plate-local variable, its encoder learnt by the graph's own gradient steps.
 *
 * Exact reference: z_i ~ N(0, 1), x_i | z_i ~ N(z_i, s²) (two conjugate Normal nodes). The exact
 * posterior N(x_i/(1+s²), s²/(1+s²)) is affine in x_i, so a linear encoder [1 → 2] can reach it,
 * where the ELBO equals log p(x) = Σ_i log N(x_i; 0, 1 + s²) and the log weights have zero variance.
 */
import test from "ava";
import { Normal, Generator, sampleStandardNormal, amortised, mlp, adam, exponentialDecay } from "@vireo/core";
import { NormalNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type GradientPosterior } from "@vireo/runtime";

const s2 = 0.5;

function data(N: number, seed: number): Float64Array {
  const rng = new Generator(seed);
  return Float64Array.from({ length: N }, () => sampleStandardNormal(rng) * Math.sqrt(1 + s2));
}

function model(encoderSeed = 0) {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const x = m.observed("x", Normal, { plate: rows });
  const z = m.random("z", Normal, { plate: rows, q: amortised(mlp([1, 2]), { from: "x", seed: encoderSeed }) });
  m.factor(NormalNode, { out: z, mean: 0, precision: 1 }, { name: "prior" });
  m.factor(NormalNode, { out: x, mean: z, precision: 1 / s2 }, { name: "likelihood" });
  return m.build();
}

test("an amortised latent with conjugate neighbours reaches the exact posterior and log evidence", (t) => {
  const N = 50, x = data(N, 3);
  let logEvidence = 0;
  for (const v of x) logEvidence += -0.5 * Math.log(2 * Math.PI * (1 + s2)) - (v * v) / (2 * (1 + s2));
  const fit = cavi(model(), { data: { x }, maxIterations: 3000, tolerance: 0, seed: 1, gradient: { samples: 4, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.01, 3000) } });
  const post = fit.posteriors.z as GradientPosterior;
  const mean = post.mean(), variance = post.variance();
  for (let i = 0; i < N; i++) {
    // Tolerances of a stochastic optimiser's end point (Adam with decaying steps), far below the posterior sd 0.58.
    t.true(Math.abs(mean[i]! - x[i]! / (1 + s2)) < 0.03, `row ${i}: E[z] ${mean[i]} vs exact ${x[i]! / (1 + s2)}`);
    t.true(Math.abs(variance[i]! / (s2 / (1 + s2)) - 1) < 0.03, `row ${i}: Var[z] ${variance[i]} vs exact ${s2 / (1 + s2)}`);
  }
  t.true(Math.abs(fit.elboEstimate - logEvidence) < 5 * fit.elboStandardError, `ELBO ${fit.elboEstimate} ± ${fit.elboStandardError} vs log p(x) ${logEvidence}`);
});

test("the encoder is shared by the plate: held-out rows get their q from it, and equal seeds give bit-identical encoders", (t) => {
  const x = data(40, 4), options = { data: { x }, maxIterations: 200, tolerance: 0, seed: 2, gradient: { samples: 2, optimizer: adam({ lr: 0.05 }) } };
  const a = cavi(model(), options), b = cavi(model(), options);
  const qa = a.posteriors.z as GradientPosterior, qb = b.posteriors.z as GradientPosterior;
  t.deepEqual(Array.from(qa.mean()), Array.from(qb.mean()));
  t.is(qa.mean().length, 40, "one q per row");
  t.not(qa.mean()[0], qa.mean()[1], "each row's q depends on its own x");
});

test("reliability: amortised q on a latent that is not plate-local, or with mismatched encoder sizes, names the variable", (t) => {
  const global = new ModelBuilder();
  global.plate("rows");
  const xg = global.observed("x", Normal, { plate: "rows" });
  const w = global.random("w", Normal, { q: amortised(mlp([1, 2]), { from: "x" }) });
  global.factor(NormalNode, { out: w, mean: 0, precision: 1 });
  global.factor(NormalNode, { out: xg, mean: w, precision: 1 });
  const e1 = t.throws(() => global.build());
  t.is((e1 as { code?: string }).code, "INVALID_MODEL");
  t.regex(e1!.message, /Variable 'w'.*plate-local/);

  const build = (encoder: number[], from: string | undefined) => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const x = m.observed("x", Normal, { plate: rows });
    const z = m.random("z", Normal, { plate: rows, q: amortised(mlp(encoder), from === undefined ? {} : { from }) });
    m.factor(NormalNode, { out: z, mean: 0, precision: 1 });
    m.factor(NormalNode, { out: x, mean: z, precision: 1 });
    return m.build();
  };
  const e2 = t.throws(() => build([1, 4], "x"));
  t.is((e2 as { code?: string }).code, "DIMENSION_MISMATCH");
  t.regex(e2!.message, /Variable 'z'.*outputs 4 values per row.*'z' \(Normal\) has 1 values per row.*must output 2/);
  const e3 = t.throws(() => build([3, 2], "x"));
  t.is((e3 as { code?: string }).code, "DIMENSION_MISMATCH");
  t.regex(e3!.message, /Variable 'z'.*takes 3 inputs per row.*give 1/);
  const e4 = t.throws(() => build([1, 2], undefined));
  t.regex(e4!.message, /Variable 'z'.*from: "x"/);
  const e5 = t.throws(() => build([1, 2], "nope"));
  t.regex(e5!.message, /Variable 'z'.*reads 'nope', which is not declared/);
});
