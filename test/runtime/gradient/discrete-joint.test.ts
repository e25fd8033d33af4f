/**
 * Discrete gradient-fitted q in the graph and the graph's joint gradient.
 * - jointGradient on a graph with a Categorical latent (categoricalQ, score function, Rao–
 *   Blackwellised by its blanket) and a Gaussian latent (reparameterised), the likelihood fed
 *   per-batch data: the mean of many estimates equals the closed-form ELBO and its gradient
 *   (central differences of the closed form) within 5 SE; a half batch at scale 2 equals the full
 *   batch exactly; the joint layout and errors.
 * - cavi on a Categorical latent with a conjugate prior node and a density likelihood: the fitted
 *   q(z) is the exact posterior (enumeration) within 5 batch-means SE of the averaged iterate.
 */
import test from "ava";
import { Bernoulli, bernoulliQ, Categorical, Normal, categoricalQ, meanFieldGaussian, oneHotIndex, Generator, LOG_2PI, ad, adam, exponentialDecay, VireoError } from "@vireo/core";
import { BernoulliNode, CategoricalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, cavi, jointGradient, GradientPosterior } from "@vireo/runtime";

const K = 3, P = [0.2, 0.5, 0.3], C = [-1, 0.5, 2], SIGMA = 0.8, S0 = 1.5;
const Y = Float64Array.of(0.3, 1.1, -0.4, 0.9, 1.6, 0.2);

/** z ~ Categorical(P), μ ~ N(0, S0²), y_i ~ N(μ + C[z], σ²); y comes in as per-batch data. */
function twoLatentGraph() {
  const m = new ModelBuilder();
  const z = m.random("z", Categorical(K), { q: categoricalQ(K) });
  const mu = m.random("mu", Normal, { q: meanFieldGaussian() });
  const logP = P.map(Math.log);
  m.factor(densityNode("ClassPrior", { edges: { z: "Categorical" }, logDensityValue: ({ z }) => logP[z![0]!]! }, undefined), { z });
  m.factor(densityNode("MuPrior", { edges: { mu: "Normal" } }, ({ mu }) => ad.shift(ad.scale(ad.square(mu!), -0.5 / (S0 * S0)), -0.5 * LOG_2PI - Math.log(S0))), { mu });
  const lik = densityNode("Lik", { edges: { z: "Categorical", mu: "Normal" }, minibatch: true }, ({ z, mu }, tape, _ctx, draw) => {
    const y = draw.data as Float64Array, c = C[z!.value[0]!]!;
    const r = ad.sub(tape.constant(y), ad.shift(mu!, c));
    return ad.shift(ad.scale(ad.sum(ad.square(r)), -0.5 / (SIGMA * SIGMA)), -y.length * (0.5 * LOG_2PI + Math.log(SIGMA)));
  });
  m.factor(lik, { z, mu });
  return m.build();
}

/** The closed-form ELBO at λ = (θ_0..θ_{K−1}, m, ρ): q(z) = softmax θ, q(μ) = N(m, e^{2ρ}). */
function exactElbo(l: Float64Array): number {
  const mx = Math.max(l[0]!, l[1]!, l[2]!);
  const lse = mx + Math.log(Math.exp(l[0]! - mx) + Math.exp(l[1]! - mx) + Math.exp(l[2]! - mx));
  const m = l[K]!, s2 = Math.exp(2 * l[K + 1]!);
  let e = -0.5 * LOG_2PI - Math.log(S0) - (m * m + s2) / (2 * S0 * S0) + 0.5 * (1 + LOG_2PI) + l[K + 1]!;
  for (let k = 0; k < K; k++) {
    const pk = Math.exp(l[k]! - lse);
    let lik = 0;
    for (const y of Y) lik += -0.5 * LOG_2PI - Math.log(SIGMA) - ((y - m - C[k]!) ** 2 + s2) / (2 * SIGMA * SIGMA);
    e += pk * (Math.log(P[k]!) + lik - (l[k]! - lse));
  }
  return e;
}

test("jointGradient: discrete (score, Rao–Blackwellised) and Gaussian (reparameterised) latents, per-batch data: unbiased ELBO and gradient (5 SE)", (t) => {
  const jg = jointGradient<Float64Array>(twoLatentGraph(), { samples: 2 });
  t.deepEqual(jg.latents.map((l) => [l.name, l.offset, l.estimator]), [["z", 0, "score"], ["mu", K, "reparam"]]);
  t.is(jg.nParams, K + 2);
  const lambda = jg.init(new Float64Array(jg.nParams));
  lambda.set([0.4, -0.3, 0.1, 0.35, Math.log(0.6)]);
  const rng = new Generator(5), baselines = new Float64Array(2).fill(NaN), g = new Float64Array(jg.nParams);
  const R = 6000, sum = new Float64Array(jg.nParams + 1), sq = new Float64Array(jg.nParams + 1);
  for (let r = 0; r < R; r++) {
    const elbo = jg.estimate(lambda, g, rng, baselines, { data: Y });
    for (let i = 0; i <= jg.nParams; i++) {
      const v = i < jg.nParams ? g[i]! : elbo;
      sum[i] += v;
      sq[i] += v * v;
    }
  }
  const exact = new Float64Array(jg.nParams + 1);
  exact[jg.nParams] = exactElbo(lambda);
  for (let i = 0; i < jg.nParams; i++) {
    const a = Float64Array.from(lambda), b = Float64Array.from(lambda), h = 1e-6;
    a[i] += h;
    b[i] -= h;
    exact[i] = (exactElbo(a) - exactElbo(b)) / (2 * h);
  }
  for (let i = 0; i <= jg.nParams; i++) {
    const m = sum[i]! / R, se = Math.sqrt(Math.max(0, sq[i]! / R - m * m) / R);
    t.true(se > 0, `component ${i} must be stochastic`);
    t.true(Math.abs(m - exact[i]!) <= 5 * se, `${i === jg.nParams ? "ELBO" : `∂/∂λ[${i}]`}: ${m} ± ${se} vs closed form ${exact[i]}`);
  }
});

test("jointGradient: a minibatch density factor at scale N/|B| equals the full batch; layout and model errors", (t) => {
  const jg = jointGradient<Float64Array>(twoLatentGraph(), { samples: 3 });
  const lambda = jg.init(new Float64Array(jg.nParams));
  const half = Y.subarray(0, 3), twice = Float64Array.of(...half, ...half);
  const ga = new Float64Array(jg.nParams), gb = new Float64Array(jg.nParams);
  const a = jg.estimate(lambda, ga, new Generator(3), new Float64Array(2).fill(NaN), { data: half, scale: 2 });
  const b = jg.estimate(lambda, gb, new Generator(3), new Float64Array(2).fill(NaN), { data: twice });
  t.true(Math.abs(a - b) < 1e-9 * Math.abs(b), `${a} vs ${b}`);
  for (let i = 0; i < ga.length; i++) t.true(Math.abs(ga[i]! - gb[i]!) < 1e-9 * (1 + Math.abs(gb[i]!)), `λ[${i}]: ${ga[i]} vs ${gb[i]}`);
  t.deepEqual([...jg.view(lambda, "mu")], [...lambda.subarray(K)]);
  let e = t.throws(() => jg.estimate(new Float64Array(2), ga, new Generator(1), new Float64Array(2)), { instanceOf: VireoError });
  t.is(e!.code, "DIMENSION_MISMATCH");
  t.regex(e!.message, /5 numbers.*'z', 'mu'/);
  e = t.throws(() => jointGradient(twoLatentGraph(), { estimators: { z: "reparam" } }), { instanceOf: VireoError });
  t.regex(e!.message, /'z'.*cannot use the reparameterization estimator/);
  // A closed-form variable has no place in the joint λ.
  const m = new ModelBuilder();
  const z = m.random("z", Categorical(K));
  m.factor(CategoricalNode, { out: z, p: Float64Array.from(P) });
  e = t.throws(() => jointGradient(m.build()), { instanceOf: VireoError });
  t.is(e!.code, "INVALID_MODEL");
  t.regex(e!.message, /'z' is fitted in closed form/);
});

test("cavi: a Categorical latent with a discrete q next to a conjugate prior node reaches the exact posterior (KL by enumeration)", (t) => {
  // z ~ Categorical(P) (conjugate node), y_i ~ N(C[z], σ²) (density node over the observed y).
  const y2 = Float64Array.of(0.9, 1.4), sigma = 1.2;
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const z = m.random("z", Categorical(K), { q: categoricalQ(K) });
  m.factor(CategoricalNode, { out: z, p: Float64Array.from(P) });
  const lik = densityNode("ClassLik", { edges: { z: "Categorical", y: "Normal" } }, ({ z, y }) =>
    ad.shift(ad.scale(ad.sum(ad.square(ad.shift(y!, -C[z!.value[0]!]!))), -0.5 / (sigma * sigma)), -y2.length * (0.5 * LOG_2PI + Math.log(sigma))));
  m.factor(lik, { z, y: m.observed("y", Normal, { plate: rows }) });
  const r = cavi(m.build(), {
    data: { y: y2 }, seed: 4, maxIterations: 3000,
    gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 3000), convergence: false, averageFrom: 1500 },
  });
  const post = r.posteriors.z!;
  t.true(post instanceof GradientPosterior);
  // Exact posterior and log evidence by enumeration; KL(q ‖ p(z | y)) = log p(y) − ELBO(q), exactly.
  const logJoint = P.map((p, k) => Math.log(p) + y2.reduce((s, y) => s - 0.5 * LOG_2PI - Math.log(sigma) - ((y - C[k]!) ** 2) / (2 * sigma * sigma), 0));
  const mx = Math.max(...logJoint), logEvidence = mx + Math.log(logJoint.reduce((s, v) => s + Math.exp(v - mx), 0));
  const lam = (post as GradientPosterior).lambda, lmx = Math.max(...lam);
  const lse = lmx + Math.log(Array.from(lam).reduce((s, v) => s + Math.exp(v - lmx), 0));
  let elbo = 0;
  for (let k = 0; k < K; k++) {
    const lq = lam[k]! - lse;
    elbo += Math.exp(lq) * (logJoint[k]! - lq);
    t.log(`q(z=${k}) ${Math.exp(lq).toFixed(4)} vs exact ${Math.exp(logJoint[k]! - logEvidence).toFixed(4)}`);
  }
  const kl = logEvidence - elbo;
  t.true(kl >= 0 && kl < 1e-3, `KL(q ‖ posterior) = ${kl}`);
  t.true(Math.abs(r.elboEstimate - logEvidence) < 5 * r.elboStandardError + 1e-3, `ELBO estimate ${r.elboEstimate} ± ${r.elboStandardError} vs log p(y) ${logEvidence}`);
});

test("oneHotIndex reads the class off one-hot draws (and back); it pairs only with a discrete q", (t) => {
  const b = oneHotIndex(3), x = new Float64Array(2), z = new Float64Array(6);
  t.is(b.forwardValue(Float64Array.of(0, 0, 1, 0, 1, 0), x), 0);
  t.deepEqual([...x], [2, 1]);
  b.inverseValue!(x, z);
  t.deepEqual([...z], [0, 0, 1, 0, 1, 0]);
  t.is(b.inputSize!(2), 6);
  t.is(b.outputSize(6), 2);
  const m = new ModelBuilder();
  const z2 = m.random("z", Categorical(3), { q: meanFieldGaussian(), bijector: b });
  m.factor(CategoricalNode, { out: z2, p: Float64Array.from(P) });
  const e = t.throws(() => cavi(m.build(), { data: {} }), { instanceOf: VireoError });
  t.regex(e!.message, /'z'.*oneHotIndex\(3\).*discrete q.*continuous/);
});

test("cavi: a Bernoulli latent with bernoulliQ (identity: the draw is the value) reaches the exact posterior (KL by enumeration)", (t) => {
  // b ~ Bernoulli(0.3) (conjugate node), y_i ~ N(2b − 1, 1) (density node).
  const y3 = Float64Array.of(0.4, -0.2, 0.9), p = 0.3;
  const m = new ModelBuilder();
  const b = m.random("b", Bernoulli, { q: bernoulliQ() });
  m.factor(BernoulliNode, { out: b, p });
  const lik = densityNode("SignLik", { edges: { b: "Bernoulli", y: "Normal" } }, ({ b, y }) =>
    ad.shift(ad.scale(ad.sum(ad.square(ad.shift(y!, 1 - 2 * b!.value[0]!))), -0.5), -y3.length * 0.5 * LOG_2PI));
  m.factor(lik, { b, y: m.observed("y", Normal, { plate: m.plate("rows") }) });
  const r = cavi(m.build(), {
    data: { y: y3 }, seed: 6, maxIterations: 3000,
    gradient: { samples: 10, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 3000), convergence: false, averageFrom: 1500 },
  });
  const logJoint = [0, 1].map((v) => Math.log(v === 1 ? p : 1 - p) + y3.reduce((s, y) => s - 0.5 * LOG_2PI - 0.5 * (y - (2 * v - 1)) ** 2, 0));
  const mx = Math.max(...logJoint), logEvidence = mx + Math.log(logJoint.reduce((s, v) => s + Math.exp(v - mx), 0));
  const q1 = 1 / (1 + Math.exp(-(r.posteriors.b as GradientPosterior).lambda[0]!)), q = [1 - q1, q1];
  const elbo = q.reduce((s, qv, v) => s + qv * (logJoint[v]! - Math.log(qv)), 0), kl = logEvidence - elbo;
  t.log(`q(b=1) ${q1.toFixed(4)} vs exact ${Math.exp(logJoint[1]! - logEvidence).toFixed(4)}`);
  t.true(kl >= 0 && kl < 1e-3, `KL(q ‖ posterior) = ${kl}`);
});
