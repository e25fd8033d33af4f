/**
 * Poisson-log regression at realistic counts: q(w) starts from the Laplace approximation at the
 * maximum-likelihood coefficients (IRLS), so fits at mean counts ≈ 1100 and ≈ 55 converge in a few
 * sweeps (they used to fail on the first sweep, or need 475 of 500), to the same fixed point as a
 * hand-given start next to the answer. A damped update that still fails says which start to give.
 */
import test from "ava";
import { MvNormal, Poisson, Generator, samplePoisson, sampleStandardNormal, VireoError } from "@vireo/core";
import { MvNormalNode, PoissonLogNode, type NodeType } from "@vireo/nodes";
import { ModelBuilder, cavi, type Model } from "@vireo/runtime";

/** s · I as a flat d × d matrix. */
const eye = (d: number, s: number) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));

function poissonRegression(meanCount: number, seed: number): { model: Model; x: Float64Array; y: Float64Array; truth: number[] } {
  const g = new Generator(seed), N = 400, D = 2, truth = [Math.log(meanCount), 0.3];
  const x = new Float64Array(N * D), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const u = 2 * g.uniform() - 1;
    x[2 * n] = 1;
    x[2 * n + 1] = u;
    y[n] = samplePoisson(g, Math.exp(truth[0]! + truth[1]! * u));
  }
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: [0, 0], precision: [0.01, 0, 0, 0.01] });
  m.factor(PoissonLogNode, { out: m.observed("y", Poisson, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }) }, { name: "counts" });
  return { model: m.build(), x, y, truth };
}

for (const meanCount of [1100, 55]) {
  test(`Poisson-log regression at mean count ≈ ${meanCount}: the data-driven start converges in a few sweeps, to the fixed point of a start at the answer`, (t) => {
    const { model, x, y, truth } = poissonRegression(meanCount, 7);
    const r = cavi(model, { data: { x, y } });
    t.true(r.converged);
    t.true(r.iterations <= 20, `${r.iterations} sweeps`);
    for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-9 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
    const mean = r.posteriors.w!.mean(), sd = r.posteriors.w!.variance().map(Math.sqrt);
    for (let j = 0; j < 2; j++) t.true(Math.abs(mean[j]! - truth[j]!) < 5 * sd[j]!, `w${j}: ${mean[j]} ± ${sd[j]} vs ${truth[j]}`);
    // The same fixed point from a hand-given start at the answer (the old workaround).
    const init = { w: MvNormal(2).toNatural({ mean: Float64Array.from(mean), covariance: eye(2, 1e-4) }) };
    const ref = cavi(model, { data: { x, y }, init });
    const refMean = ref.posteriors.w!.mean();
    for (let j = 0; j < 2; j++) t.true(Math.abs(refMean[j]! - mean[j]!) < 1e-3 * sd[j]!, `w${j}: ${mean[j]} vs ${refMean[j]}`);
    t.true(Math.abs(ref.elbo[ref.elbo.length - 1]! - r.elbo[r.elbo.length - 1]!) < 1e-6 * Math.abs(r.elbo[r.elbo.length - 1]!));
  });
}

test("a damped update that fails names the variable and says which start to give", (t) => {
  // The old default (the message at a blank q, i.e. the Laplace step from w = 0) on counts up to
  // several hundred: the first damped step overshoots by about the mean count and cannot recover.
  const D = 3, wTrue = [3, 1, -0.5], N = 300, rng = new Generator(5);
  const x = new Float64Array(N * D), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let a = 0;
    for (let j = 0; j < D; j++) a += wTrue[j]! * (x[n * D + j] = j === 0 ? 1 : sampleStandardNormal(rng));
    y[n] = samplePoisson(rng, Math.exp(a));
  }
  const withoutStart: NodeType = { ...PoissonLogNode, startMessages: undefined };
  const build = (node: NodeType) => {
    const m = new ModelBuilder();
    const rows = m.plate("rows");
    const w = m.random("w", MvNormal(D));
    m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: eye(D, 0.01) });
    m.factor(node, { out: m.observed("y", Poisson, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }) });
    return m.build();
  };
  const err = t.throws(() => cavi(build(withoutStart), { data: { x, y } }), { instanceOf: VireoError });
  t.is(err?.code, "NUMERICAL_FAILURE");
  t.regex(err!.message, /'w'/);
  t.regex(err!.message, /init: \{ w: MvNormal\(3\)\.toNatural\(\{ mean, covariance \}\) \}/);
  t.regex(err!.message, /log of the mean count/);
  // The shipped node starts from IRLS and fits the same data.
  const r = cavi(build(PoissonLogNode), { data: { x, y } });
  t.true(r.converged);
  const mean = r.posteriors.w!.mean(), sd = r.posteriors.w!.variance().map(Math.sqrt);
  for (let j = 0; j < D; j++) t.true(Math.abs(mean[j]! - wTrue[j]!) < 5 * sd[j]!, `w${j}: ${mean[j]} ± ${sd[j]} vs ${wTrue[j]}`);
});
