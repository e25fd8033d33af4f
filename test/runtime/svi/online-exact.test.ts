/**
 * Online updating of conjugate models: streaming the data in any partition into batches gives
 * the batch CAVI posterior (1e-9), and the batch ELBOs add up to the exact log evidence.
 */
import test from "ava";
import { Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Generator, sampleStandardNormal, samplePoisson, sampleCategorical } from "@vireo/core";
import { NormalNode, GammaNode, BetaNode, BernoulliNode, PoissonNode, CategoricalNode, DirichletNode, MvNormalNode, GaussianLinearNode } from "@vireo/nodes";
import { ModelBuilder, OnlineEngine, cavi, type Model, type DataBinding } from "@vireo/runtime";

interface Case {
  readonly title: string;
  readonly model: Model;
  readonly rows: number;
  /** Rows [from, to) of the data as a binding. */
  readonly slice: (from: number, to: number) => DataBinding;
}

const rng = new Generator(99);
const cases: Case[] = [];
{
  const y = Float64Array.from({ length: 60 }, () => 2 + sampleStandardNormal(rng));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1.5 });
  cases.push({ title: "Normal mean, known precision", model: m.build(), rows: y.length, slice: (a, b) => ({ y: y.slice(a, b) }) });
}
{
  const x = Float64Array.from({ length: 50 }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const p = m.random("p", Beta);
  m.factor(BetaNode, { out: p, a: 2, b: 2 });
  m.factor(BernoulliNode, { out: m.observed("x", Bernoulli, { plate: rows }), p });
  cases.push({ title: "Beta–Bernoulli", model: m.build(), rows: x.length, slice: (a, b) => ({ x: x.slice(a, b) }) });
}
{
  const y = Float64Array.from({ length: 45 }, () => samplePoisson(rng, 4));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const lam = m.random("lambda", Gamma);
  m.factor(GammaNode, { out: lam, shape: 2, rate: 1 });
  m.factor(PoissonNode, { out: m.observed("y", Poisson, { plate: rows }), rate: lam });
  cases.push({ title: "Gamma–Poisson", model: m.build(), rows: y.length, slice: (a, b) => ({ y: y.slice(a, b) }) });
}
{
  const x = Float64Array.from({ length: 70 }, () => sampleCategorical(rng, [0.5, 0.3, 0.2]));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const pi = m.random("pi", Dirichlet(3));
  m.factor(DirichletNode, { out: pi, alpha: [1, 1, 1] });
  m.factor(CategoricalNode, { out: m.observed("x", Categorical(3), { plate: rows }), p: pi });
  cases.push({ title: "Dirichlet–Categorical", model: m.build(), rows: x.length, slice: (a, b) => ({ x: x.slice(a, b) }) });
}
{
  const N = 40, D = 3, X = new Float64Array(N * D), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    X[n * D] = 1;
    X[n * D + 1] = sampleStandardNormal(rng);
    X[n * D + 2] = 0.8 * X[n * D + 1]! + 0.6 * sampleStandardNormal(rng);
    y[n] = 1 + 2 * X[n * D + 1]! - X[n * D + 2]! + 0.3 * sampleStandardNormal(rng);
  }
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: [0, 0, 0], precision: [0.1, 0, 0, 0, 0.1, 0, 0, 0, 0.1] });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }), precision: 10 });
  cases.push({ title: "Bayesian linear regression (joint q(w))", model: m.build(), rows: N, slice: (a, b) => ({ y: y.slice(a, b), x: X.slice(a * D, b * D) }) });
}

/** Random cut points: a partition of [0, n) into consecutive batches of random sizes. */
function partition(n: number, seed: number): number[] {
  const g = new Generator(seed), cuts = [0];
  while (cuts[cuts.length - 1]! < n) cuts.push(Math.min(n, cuts[cuts.length - 1]! + 1 + g.integer(12)));
  return cuts;
}

for (const c of cases) {
  test(`online updating equals batch CAVI for any partition: ${c.title}`, (t) => {
    const batch = cavi(c.model, { data: c.slice(0, c.rows) });
    const logZ = batch.elbo[batch.elbo.length - 1]!;
    const partitions = [partition(c.rows, 1), partition(c.rows, 2), Array.from({ length: c.rows + 1 }, (_, i) => i), [0, c.rows]];
    for (const cuts of partitions) {
      const engine = new OnlineEngine(c.model);
      let evidence = 0;
      for (let i = 0; i + 1 < cuts.length; i++) evidence += engine.step(c.slice(cuts[i]!, cuts[i + 1]!)).elbo;
      const streamed = engine.posteriors();
      for (const [name, post] of Object.entries(batch.posteriors)) {
        const a = streamed[name]!.natural, b = post.natural;
        for (let i = 0; i < b.length; i++) t.true(Math.abs(a[i]! - b[i]!) <= 1e-9 * Math.max(1, Math.abs(b[i]!)), `${name} η[${i}] with ${cuts.length - 1} batches: ${a[i]} vs ${b[i]}`);
      }
      // Chain rule of probability: Σ log p(batch_i | earlier batches) = log p(all data).
      t.true(Math.abs(evidence - logZ) <= 1e-8 * Math.abs(logZ), `Σ batch ELBOs ${evidence} vs log evidence ${logZ}`);
    }
  });
}
