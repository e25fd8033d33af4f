/**
 * Gradient-fitted variables and density factors: defaults and errors at the edges.
 */
import test from "ava";
import { Normal, Gamma, Categorical, MvNormal, fullRankGaussian, meanFieldGaussian, ad, VireoError } from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, cavi, GradientPosterior } from "@vireo/runtime";

const gammaLik = densityNode("ExponentialRows", { edges: { rate: "Gamma", y: "input" } }, ({ rate, y }) =>
  // Σ log(rate) − rate·y_n over rows: log Exp(y | rate).
  ad.sub(ad.scale(ad.log(rate!), y!.size), ad.mul(rate!, ad.sum(y!))));

test("a variable on a density node without q defaults to a mean-field Gaussian through its family's bijector", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const rate = m.random("rate", Gamma);
  m.factor(GammaNode, { out: rate, shape: 2, rate: 1 });
  m.factor(gammaLik, { rate, y: m.input("y", { plate: rows }) });
  const y = Float64Array.from({ length: 50 }, (_, i) => 0.5 + (i % 5) * 0.1);
  const r = cavi(m.build(), { data: { y }, maxIterations: 800, gradient: { convergence: false, averageFrom: 400 } });
  const post = r.posteriors.rate as GradientPosterior;
  t.true(post instanceof GradientPosterior);
  t.is(post.q.name, "MeanFieldGaussian(1)");
  t.is(post.bijector.name, "log");
  // Gamma(2 + 50, 1 + Σy) posterior mean, up to the log-normal family's bias and SGD noise.
  let sy = 0;
  for (const v of y) sy += v;
  const exact = 52 / (1 + sy), sd = Math.sqrt(52) / (1 + sy);
  t.true(Math.abs((post.mean()[0] as number) - exact) < 0.2 * sd, `E[rate] ${post.mean()[0]} vs ${exact}`);
});

test("errors name the variable and say how to fix it", (t) => {
  // q on a family with no support bijector.
  const e1 = t.throws(() => new ModelBuilder().random("c", Categorical(3), { q: meanFieldGaussian() }), { instanceOf: VireoError });
  t.regex(e1!.message, /'c'.*no support bijector/);

  // A plated variable with a q that does not factorise over rows.
  const m2 = new ModelBuilder();
  const r2 = m2.plate("rows");
  const th = m2.random("theta", Normal, { plate: r2, q: fullRankGaussian() });
  m2.factor(NormalNode, { out: th, mean: 0, precision: 1 });
  m2.factor(NormalNode, { out: m2.observed("y", Normal, { plate: r2 }), mean: th, precision: 1 });
  const e2 = t.throws(() => cavi(m2.build(), { data: { y: Float64Array.of(1, 2, 3) } }), { instanceOf: VireoError });
  t.regex(e2!.message, /'theta' has 3 instances.*meanFieldGaussian/);

  // A q of the wrong dimension.
  const m3 = new ModelBuilder();
  const w = m3.random("w", MvNormal(3), { q: fullRankGaussian(2) });
  m3.factor(MvNormalNode, { out: w, mean: new Float64Array(3), precision: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) });
  const e3 = t.throws(() => cavi(m3.build(), { data: {} }), { instanceOf: VireoError });
  t.regex(e3!.message, /'w'.*draws 2 values.*needs 3/);

  // A density node whose function returns neither a scalar nor one value per row.
  const bad = densityNode("Bad", { edges: { mu: "Normal", y: "input" } }, ({ mu }) => ad.add(mu!, mu!).tape.constant(Float64Array.of(1, 2)));
  const m4 = new ModelBuilder();
  const r4 = m4.plate("rows");
  const mu = m4.random("mu", Normal);
  m4.factor(NormalNode, { out: mu, mean: 0, precision: 1 });
  m4.factor(bad, { mu, y: m4.input("y", { plate: r4 }) });
  const e4 = t.throws(() => cavi(m4.build(), { data: { y: Float64Array.of(1, 2, 3) } }), { instanceOf: VireoError });
  t.regex(e4!.message, /Density node 'Bad_\d+'.*return a scalar or one value per row \(\[3\]\)/);
});

test("the estimator is chosen per variable: a score-function variable reaches the conjugate posterior", (t) => {
  const y = Float64Array.from({ length: 40 }, (_, i) => 0.3 + Math.sin(i));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal, { q: meanFieldGaussian({ sd: 0.3 }), estimator: "score" });
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.1 });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: 1 });
  const r = cavi(m.build(), { data: { y }, maxIterations: 4000, gradient: { samples: 20, convergence: false, averageFrom: 2000 } });
  const post = r.posteriors.mu as GradientPosterior;
  let s = 0;
  for (const v of y) s += v;
  const prec = 0.1 + y.length, sd = Math.sqrt(1 / prec);
  t.true(Math.abs((post.mean()[0] as number) - s / prec) < 0.1 * sd, `score-function mean ${post.mean()[0]} vs exact ${s / prec} (sd ${sd})`);
  t.true(Math.abs(Math.sqrt(post.variance()[0] as number) / sd - 1) < 0.1, `score-function sd ${Math.sqrt(post.variance()[0] as number)} vs exact ${sd}`);
});
