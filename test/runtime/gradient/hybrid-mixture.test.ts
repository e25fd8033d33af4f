/**
 * A hybrid model fitted in one cavi(): a conjugate Gaussian mixture (mixing weights π, component
 * means μ_k, responsibilities z_n, all closed-form VMP) whose rows x_n also feed a non-conjugate
 * Bernoulli-logit density factor for labels y_n with gradient-fitted weights w (full-rank q).
 * Its ELBO estimate (exact terms + Monte Carlo terms, with its SE) must lie within 3 combined
 * standard errors of an independent estimate of the same ELBO computed here: draws from every
 * returned q (π, μ, z, w), log p(x, y, z, μ, π, w) − log q written out by hand, averaged.
 */
import test from "ava";
import {
  Normal, Dirichlet, Categorical, MvNormal, Bernoulli, Generator, sampleStandardNormal, sampleDirichlet, sampleCategorical,
  sigmoid, softplus, gammaln, fullRankGaussian, adam, exponentialDecay, ad, LOG_2PI,
} from "@vireo/core";
import { NormalNode, DirichletNode, CategoricalNode, MvNormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, cavi, GradientPosterior } from "@vireo/runtime";
import { eye } from "./models.js";

const K = 2, N = 200, S0 = 2, MU_PRECISION = 0.01, ALPHA0 = 1;

const labels = densityNode("LabelsFromRows", { edges: { w: "MvNormal", x: "Normal", y: "Bernoulli" } }, ({ w, x, y }) => {
  // η_n = w₀ + w₁ x_n for all rows at once (x is the [N] column, w₀ and w₁ broadcast).
  const lin = ad.add(ad.mul(x!, ad.slice(w!, 1, 1)), ad.slice(w!, 0, 1));
  return ad.sum(ad.sub(ad.mul(y!, lin), ad.softplus(lin)));
});

function logDirichlet(p: Float64Array, alpha: ArrayLike<number>): number {
  let s = 0, a0 = 0;
  for (let k = 0; k < p.length; k++) {
    s += (alpha[k]! - 1) * Math.log(p[k]!) - gammaln(alpha[k]!);
    a0 += alpha[k]!;
  }
  return s + gammaln(a0);
}
const logNormal = (x: number, m: number, v: number) => -0.5 * (LOG_2PI + Math.log(v) + ((x - m) * (x - m)) / v);

test("a Gaussian mixture with a Bernoulli-logit density factor on its rows: the ELBO matches an independent estimate", (t) => {
  const rng = new Generator(17), x = new Float64Array(N), y = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    x[n] = (n % 2 === 0 ? -2 : 2) + sampleStandardNormal(rng);
    y[n] = Number(rng.uniform() < sigmoid(0.3 + 1.2 * x[n]!));
  }
  const m = new ModelBuilder();
  const rows = m.plate("rows"), comps = m.plate("components", K);
  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha: new Float64Array(K).fill(ALPHA0) });
  const mu = m.random("mu", Normal, { plate: comps });
  m.factor(NormalNode, { out: mu, mean: 0, precision: MU_PRECISION });
  const z = m.random("z", Categorical(K), { plate: rows });
  m.factor(CategoricalNode, { out: z, p: pi });
  const xv = m.observed("x", Normal, { plate: rows });
  m.mixture(NormalNode, { selector: z, out: xv, mean: mu, precision: 1 });
  const w = m.random("w", MvNormal(2), { q: fullRankGaussian({ sd: 0.1 }) });
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(2), precision: eye(2, 1 / (S0 * S0)) });
  m.factor(labels, { w, x: xv, y: m.observed("y", Bernoulli, { plate: rows }) });
  const r = cavi(m.build(), {
    data: { x, y }, seed: 3, maxIterations: 1500,
    gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 1500), convergence: false, averageFrom: 750, elboSamples: 2000 },
  });
  t.true(r.elboStandardError > 0, "a stochastic fit reports a standard error");

  // The returned q's.
  const alphaQ = Float64Array.from(r.posteriors.pi!.instance(), (e) => e + 1);
  const muQ = [0, 1].map((k) => r.posteriors.mu!.params(k) as { mean: number; variance: number });
  const zQ = r.posteriors.z!.mean(); // N × K probabilities
  const wPost = r.posteriors.w as GradientPosterior;
  t.true(wPost instanceof GradientPosterior);

  const M = 4000, draws = new Float64Array(M), gen = new Generator(99);
  const p = new Float64Array(K), muS = new Float64Array(K), wz = new Float64Array(2);
  const wDraws = wPost.samples(M, 7);
  for (let s = 0; s < M; s++) {
    sampleDirichlet(gen, alphaQ, p);
    let lp = logDirichlet(p, new Float64Array(K).fill(ALPHA0)), lq = logDirichlet(p, alphaQ);
    for (let k = 0; k < K; k++) {
      muS[k] = muQ[k]!.mean + Math.sqrt(muQ[k]!.variance) * sampleStandardNormal(gen);
      lp += logNormal(muS[k]!, 0, 1 / MU_PRECISION);
      lq += logNormal(muS[k]!, muQ[k]!.mean, muQ[k]!.variance);
    }
    wz.set(wDraws.subarray(2 * s, 2 * s + 2));
    lp += logNormal(wz[0]!, 0, S0 * S0) + logNormal(wz[1]!, 0, S0 * S0);
    lq += wPost.q.logDensity(wPost.lambda, wz);
    for (let n = 0; n < N; n++) {
      const k = sampleCategorical(gen, zQ, n * K, K);
      lp += Math.log(p[k]!) + logNormal(x[n]!, muS[k]!, 1);
      lq += Math.log(zQ[n * K + k]!);
      const eta = wz[0]! + wz[1]! * x[n]!;
      lp += y[n]! * eta - softplus(eta);
    }
    draws[s] = lp - lq;
  }
  let mean = 0;
  for (const d of draws) mean += d / M;
  let ss = 0;
  for (const d of draws) ss += (d - mean) ** 2;
  const se = Math.sqrt(ss / (M - 1) / M);
  const combined = Math.sqrt(se * se + r.elboStandardError ** 2);
  t.log(`engine ELBO ${r.elboEstimate.toFixed(3)} ± ${r.elboStandardError.toFixed(3)}; independent ${mean.toFixed(3)} ± ${se.toFixed(3)}`);
  t.true(Math.abs(r.elboEstimate - mean) < 3 * combined, `engine ELBO ${r.elboEstimate} ± ${r.elboStandardError} vs independent ${mean} ± ${se}`);
  // The mixture found the two clusters and the labels' slope is positive.
  const means = muQ.map((q) => q.mean).sort((a, b) => a - b);
  t.true(Math.abs(means[0]! + 2) < 0.3 && Math.abs(means[1]! - 2) < 0.3, `component means ${means}`);
  t.true(wPost.mean()[1]! > 0.5, `slope ${wPost.mean()[1]}`);
});
