/**
 * Every family at dimension 1, as a known value, a constant and a latent. A 1-dimensional
 * vector family (MvNormal(1), Wishart(1), GaussMarkovChain(1)) holds its value as a vector of
 * one number, never as a scalar: its statistics, its inline constants and its posteriors must
 * equal those of the matching scalar model (Normal, Gamma) exactly.
 */
import test from "ava";
import {
  Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Wishart, GaussMarkovChain, Generator,
  sampleStandardNormal, allocateKalmanBuffers, allocateSmootherBuffers, kalmanFilterSeries, rtsSmoother, type ExponentialFamily,
} from "@vireo/core";
import { NormalNode, GammaNode, MvNormalNode, WishartNode, ChainTransitionNode, ChainObservationNode, knownStats } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

test("known values at the smallest dimension: statistics are T(value) row by row", (t) => {
  const cases: [ExponentialFamily, number[], number[]][] = [
    [Normal, [2, -1], [2, 4, -1, 1]],
    [Gamma, [2, 0.5], [Math.log(2), 2, Math.log(0.5), 0.5]],
    [Beta, [0.25], [Math.log(0.25), Math.log(0.75)]],
    [Bernoulli, [1, 0], [1, 0]],
    [Poisson, [3], [3]],
    [MvNormal(1), [2, -3], [2, 4, -3, 9]],
    [Wishart(1), [2, 0.5], [Math.log(2), 2, Math.log(0.5), 0.5]],
    // Dirichlet and Categorical have no dimension 1 (K ≥ 2): their smallest member.
    [Dirichlet(2), [0.25, 0.75], [Math.log(0.25), Math.log(0.75)]],
    // A chain is one joint value: two steps of a 1-D state, [x, x², x·x_prev] per step.
    [GaussMarkovChain(1), [2, 3], [2, 4, 0, 3, 9, 6]],
  ];
  for (const [fam, values, expected] of cases) {
    const count = values.length / fam.valueSize;
    const stats = knownStats(fam, Float64Array.from(values), count);
    t.is(stats.length, expected.length, `${fam.key}: length`);
    expected.forEach((e, i) => t.true(Math.abs(stats[i]! - e) <= 1e-15 * Math.max(1, Math.abs(e)), `${fam.key}: statistic ${i} is ${stats[i]}, expected ${e}`));
  }
  // Categorical statistics stay implicit (the values are read directly).
  t.is(knownStats(Categorical(2), Float64Array.of(0, 1), 2).length, 0);
});

/** Normal–Gamma model with mean-field q(μ)q(τ), written with scalar families. */
function scalarModel() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal), tau = m.random("tau", Gamma);
  m.factor(NormalNode, { out: mu, mean: 0.5, precision: 0.1 });
  // Wishart(1) with df ν, scale V is Gamma(ν/2, rate 1/(2V)).
  m.factor(GammaNode, { out: tau, shape: 3 / 2, rate: 1 / (2 * 0.8) });
  m.factor(NormalNode, { out: m.observed("y", Normal, { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

/** The same model with 1-dimensional vector families, every prior parameter an inline constant. */
function vectorModel() {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", MvNormal(1)), tau = m.random("tau", Wishart(1));
  m.factor(MvNormalNode, { out: mu, mean: [0.5], precision: [[0.1]] });
  m.factor(WishartNode, { out: tau, df: 3, scale: [[0.8]] });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(1), { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

test("MvNormal(1) and Wishart(1) as constants, data and latents reproduce the Normal–Gamma model exactly", (t) => {
  const rng = new Generator(11);
  const y = Array.from({ length: 40 }, () => 1.3 + 0.7 * sampleStandardNormal(rng));
  const a = cavi(scalarModel(), { data: { y }, maxIterations: 200, tolerance: 1e-12 });
  const b = cavi(vectorModel(), { data: { y: y.map((v) => [v]) }, maxIterations: 200, tolerance: 1e-12 });
  t.true(a.converged && b.converged);
  const muA = a.posteriors.mu!.params() as { mean: number; variance: number };
  const muB = b.posteriors.mu!.params() as { mean: Float64Array; covariance: Float64Array };
  t.true(rel(muB.mean[0]!, muA.mean) < 1e-9, `mean ${muB.mean[0]} vs ${muA.mean}`);
  t.true(rel(muB.covariance[0]!, muA.variance) < 1e-9, `variance ${muB.covariance[0]} vs ${muA.variance}`);
  const tauA = a.posteriors.tau!.params() as { shape: number; rate: number };
  const tauB = b.posteriors.tau!.params() as { df: number; scale: Float64Array };
  t.true(rel(tauB.df / 2, tauA.shape) < 1e-9, `shape ${tauB.df / 2} vs ${tauA.shape}`);
  t.true(rel(1 / (2 * tauB.scale[0]!), tauA.rate) < 1e-9, `rate ${1 / (2 * tauB.scale[0]!)} vs ${tauA.rate}`);
  const ea = a.elbo[a.elbo.length - 1]!, eb = b.elbo[b.elbo.length - 1]!;
  t.true(rel(eb, ea) < 1e-9, `ELBO ${eb} vs ${ea}`);
});

test("a Wishart(1) constant declared directly and 1×1 data bound to MvNormal(1) are accepted and checked", (t) => {
  const m = new ModelBuilder();
  const mu = m.random("mu", MvNormal(1));
  const L = m.constant("L", [4], Wishart(1));
  m.factor(MvNormalNode, { out: mu, mean: [0], precision: L });
  m.factor(MvNormalNode, { out: m.observed("y", MvNormal(1), { plate: m.plate("rows") }), mean: mu, precision: [[1]] });
  const r = cavi(m.build(), { data: { y: Float64Array.of(1, 2, 3) } });
  // Posterior precision 4 + 3, mean 6 / 7.
  const p = r.posteriors.mu!.params() as { mean: Float64Array; covariance: Float64Array };
  t.true(rel(p.mean[0]!, 6 / 7) < 1e-12 && rel(p.covariance[0]!, 1 / 7) < 1e-12);
  const bad = new ModelBuilder();
  const mu2 = bad.random("mu", MvNormal(1));
  // An inline constant outside its family's support is refused where it is written.
  const e = t.throws(() => bad.factor(MvNormalNode, { out: mu2, mean: [0], precision: [[-1]] }));
  t.is((e as { code?: string }).code, "INVALID_DATA");
  t.regex(e!.message, /outside the support of Wishart\(1\): row 0 is -1, expected a symmetric positive-definite 1×1 matrix/);
});

test("a 1-D state chain with scalar observations builds and is the exact Kalman/RTS smoother", (t) => {
  const rng = new Generator(7);
  const T = 60, a = 0.9, q = 0.3, r = 0.5;
  const y = new Float64Array(T);
  let x = sampleStandardNormal(rng);
  for (let s = 0; s < T; s++) {
    if (s > 0) x = a * x + Math.sqrt(q) * sampleStandardNormal(rng);
    y[s] = x + Math.sqrt(r) * sampleStandardNormal(rng);
  }
  const m = new ModelBuilder();
  const time = m.plate("time");
  const xs = m.random("x", GaussMarkovChain(1), { plate: time });
  m.factor(ChainTransitionNode, { out: xs, A: [a], precision: [[1 / q]], initialMean: [0], initialPrecision: [[1]] });
  m.factor(ChainObservationNode, { out: m.observed("y", MvNormal(1), { plate: time }), state: xs, C: [1], precision: [[1 / r]] });
  const result = cavi(m.build(), { data: { y }, maxIterations: 5 });

  const par = {
    d: 1, p: 1, transition: Float64Array.of(a), transitionCovariance: Float64Array.of(q), observation: Float64Array.of(1),
    observationCovariance: Float64Array.of(r), initialMean: Float64Array.of(0), initialCovariance: Float64Array.of(1),
  };
  const filt = allocateKalmanBuffers(T, 1), smooth = allocateSmootherBuffers(T, 1);
  const logLik = kalmanFilterSeries(par, y, T, filt);
  rtsSmoother(par, T, filt, smooth);
  const mean = result.posteriors.x!.mean();
  let worst = 0;
  for (let s = 0; s < T; s++) worst = Math.max(worst, Math.abs(mean[s]! - smooth.smoothedMean[s]!) / Math.max(1, Math.abs(smooth.smoothedMean[s]!)));
  t.true(worst < 1e-9, `smoothed means differ by ${worst}`);
  const elbo = result.elbo[result.elbo.length - 1]!;
  t.true(rel(elbo, logLik) < 1e-9, `ELBO ${elbo} vs log-likelihood ${logLik}`);
});
