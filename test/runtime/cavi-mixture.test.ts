/** Gaussian and Poisson mixtures under CAVI: recovery of known components, monotone ELBO. */
import test from "ava";
import { Dirichlet, Categorical, Gamma, Poisson, Generator, sampleStandardNormal, samplePoisson, sampleCategorical } from "@vireo/core";
import { DirichletNode, CategoricalNode, GammaNode, PoissonNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type CaviResult } from "@vireo/runtime";
import { gaussianMixture } from "../../examples/src/gaussian-mixture.js";

function assertMonotone(t: import("ava").ExecutionContext, r: CaviResult): void {
  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-9 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  t.deepEqual(r.diagnostics, []);
}

const gaussianMixtureModel = (K: number, d: number) => gaussianMixture(K, d, { alpha: 1, meanPrecision: 0.01, df: d + 1, scale: 1 });

test("Gaussian mixture on well-separated synthetic data recovers means and weights", (t) => {
  const rng = new Generator(2024);
  const means = [[-6, 0], [5, 5], [4, -6]], weights = [0.5, 0.3, 0.2], N = 3000, d = 2, K = 3;
  const x = new Float64Array(N * d);
  for (let n = 0; n < N; n++) {
    const k = sampleCategorical(rng, weights);
    x[n * 2] = means[k]![0]! + sampleStandardNormal(rng);
    x[n * 2 + 1] = means[k]![1]! + 0.5 * sampleStandardNormal(rng);
  }
  const r = cavi(gaussianMixtureModel(K, d), { data: { x }, seed: 3, restarts: 3, maxIterations: 300, tolerance: 1e-12 });
  const mu = r.posteriors.mu!.mean(), pi = r.posteriors.pi!.mean();
  for (let j = 0; j < K; j++) {
    // Match each true component to the nearest fitted one.
    let best = 0, bestD = Infinity;
    for (let k = 0; k < K; k++) {
      const dist = Math.hypot(mu[k * 2]! - means[j]![0]!, mu[k * 2 + 1]! - means[j]![1]!);
      if (dist < bestD) [best, bestD] = [k, dist];
    }
    t.true(bestD < 0.1, `component ${j}: fitted mean off by ${bestD}`);
    t.true(Math.abs(pi[best]! - weights[j]!) < 0.03, `component ${j}: weight ${pi[best]} vs ${weights[j]}`);
  }
  // The fitted precisions: x-variance 1, y-variance 0.25.
  const Lambda = r.posteriors.Lambda!.mean();
  for (let k = 0; k < K; k++) {
    t.true(Math.abs(1 / Lambda[k * 4]! - 1) < 0.15);
    t.true(Math.abs(1 / Lambda[k * 4 + 3]! - 0.25) < 0.05);
  }
  t.true(r.converged);
  assertMonotone(t, r);
});

test("the collapsed ELBO equals the fully evaluated one", async (t) => {
  const { CaviEngine, compile, bindData, initialise, elbo } = await import("@vireo/runtime");
  const rng = new Generator(5);
  const N = 200, x = new Float64Array(N * 2);
  for (let i = 0; i < 2 * N; i++) x[i] = sampleStandardNormal(rng) + (i < N ? 3 : -3);
  const model = gaussianMixtureModel(2, 2);
  const state = compile(model, bindData(model, { x }));
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);
  for (let s = 0; s < 5; s++) {
    const collapsed = engine.sweep();
    const full = elbo(state);
    t.true(Math.abs(collapsed - full) < 1e-9 * Math.abs(full), `sweep ${s}: ${collapsed} vs ${full}`);
  }
});

test("Poisson mixture recovers two rates", (t) => {
  const rng = new Generator(9);
  const rates = [2, 15], N = 2000, K = 2;
  const y = Array.from({ length: N }, () => samplePoisson(rng, rates[sampleCategorical(rng, [0.6, 0.4])]!));
  const m = new ModelBuilder();
  const rows = m.plate("rows"), comps = m.plate("components", K);
  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: [1, 1] });
  const lam = m.random("lambda", Gamma, { plate: comps });
  m.factor(GammaNode, { out: lam, shape: 1, rate: 0.1 });
  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi });
  m.mixture(PoissonNode, { selector: z, out: m.observed("y", Poisson, { plate: rows }), rate: lam });
  const r = cavi(m.build(), { data: { y }, seed: 1, restarts: 2 });
  const fitted = Array.from(r.posteriors.lambda!.mean()).sort((a, b) => a - b);
  t.true(Math.abs(fitted[0]! - 2) < 0.2, `rate ${fitted[0]}`);
  t.true(Math.abs(fitted[1]! - 15) < 0.6, `rate ${fitted[1]}`);
  const w = Array.from(r.posteriors.pi!.mean()).sort((a, b) => a - b);
  t.true(Math.abs(w[0]! - 0.4) < 0.04 && Math.abs(w[1]! - 0.6) < 0.04);
  assertMonotone(t, r);
});

test("row multiplicities: counted rows give the posterior and ELBO of the expanded data", (t) => {
  const K = 2;
  const build = (weighted: boolean) => {
    const m = new ModelBuilder();
    const rows = m.plate("rows", weighted ? { multiplicity: "count" } : undefined);
    if (weighted) m.input("count", { plate: rows });
    const comps = m.plate("components", K);
    const pi = m.random("pi", Dirichlet(K));
    m.factor(DirichletNode, { out: pi, alpha: [1, 1] });
    const lam = m.random("lambda", Gamma, { plate: comps });
    m.factor(GammaNode, { out: lam, shape: 1, rate: 0.1 });
    const z = m.random("z", Categorical(K), { plate: rows });
    m.factor(CategoricalNode, { out: z, p: pi });
    m.mixture(PoissonNode, { selector: z, out: m.observed("y", Poisson, { plate: rows }), rate: lam });
    return m.build();
  };
  const values = [0, 1, 2, 3, 9, 12, 15], counts = [3, 5, 2, 1, 4, 6, 2];
  const expanded = values.flatMap((v, i) => Array(counts[i]).fill(v) as number[]);
  // Same start for both: responsibilities set per distinct value (the init option, by instance).
  const initRows = (rows: number[]) => Float64Array.from(rows.flatMap((v) => (v < 6 ? [0, -2] : [-2, 0])));
  const a = cavi(build(true), { data: { y: values, count: counts }, init: { z: initRows(values) }, tolerance: 1e-14 });
  const b = cavi(build(false), { data: { y: expanded }, init: { z: initRows(expanded) }, tolerance: 1e-14 });
  const la = a.posteriors.lambda!.natural, lb = b.posteriors.lambda!.natural;
  for (let i = 0; i < la.length; i++) t.true(Math.abs(la[i]! - lb[i]!) < 1e-9 * Math.max(1, Math.abs(lb[i]!)), `lambda η[${i}]`);
  const ea = a.elbo[a.elbo.length - 1]!, eb = b.elbo[b.elbo.length - 1]!;
  t.true(Math.abs(ea - eb) < 1e-9 * Math.abs(eb), `ELBO ${ea} vs ${eb}`);
  assertMonotone(t, a);
});
