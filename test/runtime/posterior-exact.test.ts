/**
 * Ergonomics with exact answers: quantiles of posterior marginals by CDF inversion, checked against
 * closed forms computed here (Φ⁻¹ at known points; the Gamma CDF for integer shape as a Poisson sum;
 * the Beta CDF for integer α, β as a binomial sum); `result.posterior(ref)` typed by the family the
 * reference was declared with; `model.summary()`.
 */
import test from "ava";
import { Normal, Gamma, Beta, Dirichlet, MvNormal, Wishart, Generator, VireoError, pointMass } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, describeModel, Posterior } from "@vireo/runtime";

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** P(X ≤ x) for X ~ Gamma(a, b) with integer a: 1 − e^{−bx} Σ_{k<a} (bx)^k / k!. */
function gammaCdfInteger(a: number, b: number, x: number): number {
  let term = 1, sum = 0;
  for (let k = 0; k < a; k++) { if (k > 0) term *= (b * x) / k; sum += term; }
  return 1 - Math.exp(-b * x) * sum;
}

/** P(X ≤ x) for X ~ Beta(a, b) with integers: P(Binomial(a + b − 1, x) ≥ a). */
function betaCdfInteger(a: number, b: number, x: number): number {
  const n = a + b - 1;
  let s = 0, c = 1;
  for (let j = 0; j <= n; j++) {
    if (j > 0) c = (c * (n - j + 1)) / j;
    if (j >= a) s += c * x ** j * (1 - x) ** (n - j);
  }
  return s;
}

const ps = [0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999];

test("exact quantiles: Normal and MvNormal marginals at known points of Φ⁻¹", (t) => {
  const post = new Posterior("mu", Normal, 1, Normal.toNatural({ mean: 3, variance: 4 }));
  const [lo, mid, hi] = post.quantiles([0.025, 0.5, 0.975]);
  t.true(close(lo![0]!, 3 - 2 * 1.959963984540054) && close(mid![0]!, 3) && close(hi![0]!, 3 + 2 * 1.959963984540054), `${lo} ${mid} ${hi}`);
  const mv = new Posterior("w", MvNormal(2), 1, MvNormal(2).toNatural({ mean: new Float64Array([1, -2]), covariance: new Float64Array([4, 1, 1, 9]) }));
  const [q] = mv.quantiles([0.975]);
  t.true(close(q![0]!, 1 + 2 * 1.959963984540054, 1e-11) && close(q![1]!, -2 + 3 * 1.959963984540054, 1e-11), `${q}`);
  const [a, b] = post.interval(undefined, 0.95);
  t.true(close(a![0]!, lo![0]!) && close(b![0]!, hi![0]!));
});

test("exact quantiles: Gamma, Beta and Dirichlet marginals invert closed-form CDFs to 1e-12", (t) => {
  const g = new Posterior("tau", Gamma, 1, Gamma.toNatural({ shape: 4, rate: 2.5 }));
  g.quantiles(ps).forEach((q, k) => t.true(close(gammaCdfInteger(4, 2.5, q[0]!), ps[k]!), `Gamma p = ${ps[k]}: F(q) = ${gammaCdfInteger(4, 2.5, q[0]!)}`));
  const b = new Posterior("p", Beta, 1, Beta.toNatural({ alpha: 3, beta: 5 }));
  b.quantiles(ps).forEach((q, k) => t.true(close(betaCdfInteger(3, 5, q[0]!), ps[k]!), `Beta p = ${ps[k]}`));
  const d = new Posterior("pi", Dirichlet(3), 1, Dirichlet(3).toNatural({ alpha: new Float64Array([2, 3, 4]) }));
  const alpha = [2, 3, 4];
  d.quantiles(ps).forEach((q, k) => alpha.forEach((a, j) => t.true(close(betaCdfInteger(a, 9 - a, q[j]!), ps[k]!), `Dirichlet component ${j}, p = ${ps[k]}`)));
  // A shape below 1 (density unbounded at 0) and a large one: monotone and consistent with the mean.
  const small = new Posterior("s", Gamma, 1, Gamma.toNatural({ shape: 0.3, rate: 1 })).quantiles([0.1, 0.5, 0.9]).map((q) => q[0]!);
  t.true(small[0]! > 0 && small[0]! < small[1]! && small[1]! < small[2]!);
});

test("quantiles agree with draws (5 SE) and a family without exact quantiles asks for a generator", (t) => {
  const g = new Posterior("tau", Gamma, 1, Gamma.toNatural({ shape: 2.7, rate: 1.3 }));
  const exact = g.quantiles([0.5])[0]![0]!;
  const mc = g.quantiles([0.5], new Generator(3), { draws: 40_000 });
  t.is(mc[0]![0]!, exact, "with a generator, exact quantiles are still exact");
  let below = 0;
  const rng = new Generator(4), n = 40_000;
  for (let i = 0; i < n; i++) if (g.sample(rng) <= exact) below++;
  t.true(Math.abs(below / n - 0.5) < 5 * Math.sqrt(0.25 / n), `fraction of draws below the median ${below / n}`);
  const w = new Posterior("L", Wishart(2), 1, Wishart(2).toNatural({ df: 5, scale: new Float64Array([1, 0, 0, 1]) }));
  t.throws(() => w.quantiles([0.5]), { instanceOf: VireoError, message: /'L': Wishart\(2\) has no exact marginal quantiles; pass a generator/ });
  t.is(w.quantiles([0.5], new Generator(1), { draws: 200 })[0]!.length, 4);
});

test("result.posterior(ref) is typed by the declared family; model.summary() prints the model", (t) => {
  const m = new ModelBuilder();
  const mu = m.random("mu", Normal);
  const tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: m.plate("rows") }), mean: mu, precision: tau });
  const model = m.build();
  const result = cavi(model, { data: { y: [4.9, 5.3, 6.1, 5.0] } });
  const mean: number = result.posterior(mu).params().mean;
  const shape: number = result.posterior(tau).params().shape;
  t.is(mean, result.posteriors.mu!.as(Normal).params().mean);
  t.is(shape, result.posteriors.tau!.as(Gamma).params().shape);
  t.is(result.posterior("mu"), result.posteriors.mu);
  t.false(Object.keys(result).includes("posterior"), "the accessor is not data");
  t.is(model.summary(), describeModel(model));
  t.false(Object.keys(model).includes("summary"));
  t.regex(model.summary(), /mu +random ~ q Normal/);
  const m2 = new ModelBuilder();
  const w = m2.random("w", Normal, { q: pointMass() });
  m2.factor(NormalNode, { out: w, mean: 0, precision: 1 });
  t.regex(m2.build().summary(), /w +random ~ q Normal, fitted by gradients with q = PointMass/);
});
