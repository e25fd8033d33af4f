/**
 * Models whose variational family holds the exact posterior: CAVI must reproduce the closed-form
 * posterior (1e-9 relative) and its converged ELBO must equal the exact log evidence (1e-8).
 */
import test from "ava";
import {
  Normal, Gamma, Beta, Bernoulli, Poisson, Categorical, Dirichlet, MvNormal, Generator, gammaln, betaln,
  sampleStandardNormal, samplePoisson, sampleCategorical, cholesky, logDetFromCholesky, choleskySolveInPlace,
  spdInverseDense, LOG_2PI,
} from "@vireo/core";
import {
  NormalNode, ScaledNormalNode, GammaNode, BetaNode, BernoulliNode, PoissonNode, CategoricalNode, DirichletNode,
  MvNormalNode, GaussianLinearNode,
} from "@vireo/nodes";
import { ModelBuilder, cavi, type CaviResult } from "@vireo/runtime";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const last = (r: CaviResult) => r.elbo[r.elbo.length - 1]!;

function assertMonotone(t: import("ava").ExecutionContext, r: CaviResult): void {
  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-9 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  t.deepEqual(r.diagnostics, []);
  t.true(r.converged);
}

test("Normal mean with known precision: exact posterior and log evidence", (t) => {
  const rng = new Generator(1);
  const N = 50, tau = 2.5, m0 = 0.3, l0 = 0.2;
  const y = Array.from({ length: N }, () => 1.7 + sampleStandardNormal(rng) / Math.sqrt(tau));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: m0, precision: l0 });
  const obs = m.observed("y", Normal, { plate: rows });
  m.factor(NormalNode, { out: obs, mean: mu, precision: tau });
  const r = cavi(m.build(), { data: { y } });

  const sum = y.reduce((a, b) => a + b, 0);
  const lN = l0 + N * tau, mN = (l0 * m0 + tau * sum) / lN;
  const post = r.posteriors.mu!.params() as { mean: number; variance: number };
  t.true(rel(post.mean, mN) < 1e-9);
  t.true(rel(post.variance, 1 / lN) < 1e-9);
  // y ~ N(m0·1, τ⁻¹I + λ0⁻¹11ᵀ): Sherman–Morrison for the inverse and determinant.
  const logDet = -N * Math.log(tau) + Math.log(1 + (N * tau) / l0);
  let ss = 0, s1 = 0;
  for (const v of y) {
    ss += (v - m0) ** 2;
    s1 += v - m0;
  }
  const quad = tau * ss - (tau * tau * s1 * s1) / (l0 + N * tau);
  const logZ = -0.5 * N * LOG_2PI - 0.5 * logDet - 0.5 * quad;
  t.true(Math.abs(last(r) - logZ) < 1e-8 * Math.abs(logZ), `ELBO ${last(r)} vs log Z ${logZ}`);
  assertMonotone(t, r);
});

test("Beta–Bernoulli: exact posterior and log evidence", (t) => {
  const x = [1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1];
  const a = 2, b = 3;
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const p = m.random("p", Beta);
  m.factor(BetaNode, { out: p, a, b });
  m.factor(BernoulliNode, { out: m.observed("x", Bernoulli, { plate: rows }), p });
  const r = cavi(m.build(), { data: { x } });
  const s = x.reduce((u, v) => u + v, 0), N = x.length;
  const post = r.posteriors.p!.params() as { alpha: number; beta: number };
  t.true(rel(post.alpha, a + s) < 1e-9 && rel(post.beta, b + N - s) < 1e-9);
  const logZ = betaln(a + s, b + N - s) - betaln(a, b);
  t.true(Math.abs(last(r) - logZ) < 1e-8 * Math.abs(logZ));
  assertMonotone(t, r);
});

test("Gamma–Poisson: exact posterior and log evidence", (t) => {
  const rng = new Generator(7);
  const y = Array.from({ length: 40 }, () => samplePoisson(rng, 3.2));
  const a = 1.5, b = 0.5;
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const lam = m.random("lambda", Gamma);
  m.factor(GammaNode, { out: lam, shape: a, rate: b });
  m.factor(PoissonNode, { out: m.observed("y", Poisson, { plate: rows }), rate: lam });
  const r = cavi(m.build(), { data: { y } });
  const S = y.reduce((u, v) => u + v, 0), N = y.length;
  const post = r.posteriors.lambda!.params() as { shape: number; rate: number };
  t.true(rel(post.shape, a + S) < 1e-9 && rel(post.rate, b + N) < 1e-9);
  const logZ = a * Math.log(b) - gammaln(a) + gammaln(a + S) - (a + S) * Math.log(b + N) - y.reduce((u, v) => u + gammaln(v + 1), 0);
  t.true(Math.abs(last(r) - logZ) < 1e-8 * Math.abs(logZ));
  assertMonotone(t, r);
});

test("Dirichlet–Categorical: exact posterior and log evidence", (t) => {
  const rng = new Generator(3);
  const K = 4, alpha = [0.5, 1, 2, 3];
  const x = Array.from({ length: 60 }, () => sampleCategorical(rng, [0.1, 0.2, 0.3, 0.4]));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const pi = m.random("pi", Dirichlet(K));
  m.factor(DirichletNode, { out: pi, alpha });
  m.factor(CategoricalNode, { out: m.observed("x", Categorical(K), { plate: rows }), p: pi });
  const r = cavi(m.build(), { data: { x } });
  const counts = [0, 0, 0, 0];
  for (const v of x) counts[v]!++;
  const post = r.posteriors.pi!.params() as { alpha: Float64Array };
  for (let k = 0; k < K; k++) t.true(rel(post.alpha[k]!, alpha[k]! + counts[k]!) < 1e-9);
  const a0 = alpha.reduce((u, v) => u + v, 0);
  let logZ = gammaln(a0) - gammaln(a0 + x.length);
  for (let k = 0; k < K; k++) logZ += gammaln(alpha[k]! + counts[k]!) - gammaln(alpha[k]!);
  t.true(Math.abs(last(r) - logZ) < 1e-8 * Math.abs(logZ));
  assertMonotone(t, r);
});

/** Synthetic regression data with correlated covariates. */
function regressionData(N: number, D: number, rho: number, seed: number) {
  const rng = new Generator(seed);
  const X = new Float64Array(N * D), y = new Float64Array(N);
  const wTrue = Float64Array.from({ length: D }, (_, i) => (i % 2 ? -1 : 1) * (0.5 + i));
  for (let n = 0; n < N; n++) {
    const common = sampleStandardNormal(rng);
    let s = 0;
    for (let i = 0; i < D; i++) {
      const v = i === 0 ? 1 : Math.sqrt(1 - rho) * sampleStandardNormal(rng) + Math.sqrt(rho) * common;
      X[n * D + i] = v;
      s += v * wTrue[i]!;
    }
    y[n] = s + 0.5 * sampleStandardNormal(rng);
  }
  return { X, y };
}

function regressionModel(D: number, tau: number, prior: Float64Array, factorisation: "joint" | "mean-field") {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D), { factorisation });
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: prior });
  const x = m.input("x", { plate: rows, size: D });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x, precision: tau });
  return m.build();
}

/** Exact posterior precision, mean and log evidence of Bayesian linear regression. */
function exactRegression(X: Float64Array, y: Float64Array, N: number, D: number, tau: number, prior: Float64Array) {
  const P = prior.slice(), b = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) {
    b[i] += tau * X[n * D + i]! * y[n]!;
    for (let j = 0; j < D; j++) P[i * D + j] += tau * X[n * D + i]! * X[n * D + j]!;
  }
  const mean = choleskySolveInPlace(cholesky(P, D), D, b.slice());
  // y ~ N(0, τ⁻¹I + X S0 Xᵀ)
  const S0 = spdInverseDense(prior, D), C = new Float64Array(N * N);
  for (let a = 0; a < N; a++) for (let c = 0; c < N; c++) {
    let s = a === c ? 1 / tau : 0;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) s += X[a * D + i]! * S0[i * D + j]! * X[c * D + j]!;
    C[a * N + c] = s;
  }
  const L = cholesky(C, N);
  const alpha = choleskySolveInPlace(L, N, y.slice());
  let quad = 0;
  for (let n = 0; n < N; n++) quad += y[n]! * alpha[n]!;
  const logZ = -0.5 * N * LOG_2PI - 0.5 * logDetFromCholesky(L, N) - 0.5 * quad;
  return { precision: P, mean, covariance: spdInverseDense(P, D), logZ };
}

test("Bayesian linear regression, structured q(w): exact posterior and log evidence", (t) => {
  const N = 40, D = 3, tau = 4;
  const prior = Float64Array.of(0.5, 0.1, 0, 0.1, 0.5, 0, 0, 0, 0.5);
  const { X, y } = regressionData(N, D, 0.3, 11);
  const r = cavi(regressionModel(D, tau, prior, "joint"), { data: { x: X, y } });
  const exact = exactRegression(X, y, N, D, tau, prior);
  const post = r.posteriors.w!.params() as { mean: Float64Array; covariance: Float64Array };
  for (let i = 0; i < D; i++) t.true(rel(post.mean[i]!, exact.mean[i]!) < 1e-9, `mean ${i}`);
  for (let i = 0; i < D * D; i++) t.true(Math.abs(post.covariance[i]! - exact.covariance[i]!) < 1e-9 * Math.abs(exact.covariance[0]!), `cov ${i}`);
  t.true(Math.abs(last(r) - exact.logZ) < 1e-8 * Math.abs(exact.logZ), `ELBO ${last(r)} vs ${exact.logZ}`);
  assertMonotone(t, r);
});

test("correlated inputs: structured q(w) is exact, mean-field underestimates marginal variances", (t) => {
  const N = 60, D = 4, tau = 1;
  const prior = Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 0.1 : 0));
  const { X, y } = regressionData(N, D, 0.9, 5);
  const exact = exactRegression(X, y, N, D, tau, prior);
  const joint = cavi(regressionModel(D, tau, prior, "joint"), { data: { x: X, y } });
  const mf = cavi(regressionModel(D, tau, prior, "mean-field"), { data: { x: X, y } });
  const vJoint = joint.posteriors.w!.variance(), vMf = mf.posteriors.w!.variance(), mMf = mf.posteriors.w!.mean();
  for (let i = 0; i < D; i++) {
    const vExact = exact.covariance[i * D + i]!;
    t.true(rel(vJoint[i]!, vExact) < 1e-9, `structured variance ${i}`);
    // The mean-field optimum: same means, variances 1/Λ_ii < (Λ⁻¹)_ii when inputs correlate.
    t.true(rel(vMf[i]!, 1 / exact.precision[i * D + i]!) < 1e-9, `mean-field variance ${i} is 1/Λ_ii`);
    t.true(vMf[i]! < vExact * (1 - 1e-6), `mean-field variance ${i} = ${vMf[i]} underestimates ${vExact}`);
    // The covariates other than the intercept correlate at ρ = 0.9: the shortfall is large.
    if (i > 0) t.true(vMf[i]! < 0.5 * vExact, `mean-field variance ${i} is under half the exact one`);
    t.true(rel(mMf[i]!, exact.mean[i]!) < 1e-9, `mean-field mean ${i}`);
  }
  // Mean-field is a smaller family: its ELBO is strictly below the exact log evidence.
  t.true(mf.elbo[mf.elbo.length - 1]! < exact.logZ - 1e-3);
  assertMonotone(t, joint);
  assertMonotone(t, mf);
});

test("Normal with unknown mean and precision, mean-field: the PRML §10.1.3 fixed point", (t) => {
  const rng = new Generator(42);
  const N = 30, mu0 = 0.5, l0 = 2, a0 = 3, b0 = 2;
  const x = Array.from({ length: N }, () => 1 + 0.7 * sampleStandardNormal(rng));
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const tau = m.random("tau", Gamma);
  const mu = m.random("mu", Normal);
  m.factor(GammaNode, { out: tau, shape: a0, rate: b0 });
  m.factor(ScaledNormalNode, { out: mu, mean: mu0, precision: tau, scale: l0 });
  m.factor(NormalNode, { out: m.observed("x", Normal, { plate: rows }), mean: mu, precision: tau });
  const r = cavi(m.build(), { data: { x }, tolerance: 1e-15, maxIterations: 1000 });

  // Iterate Bishop's (10.26)–(10.30) to their fixed point in plain arithmetic.
  const xbar = x.reduce((u, v) => u + v, 0) / N, sx2 = x.reduce((u, v) => u + v * v, 0);
  const muN = (l0 * mu0 + N * xbar) / (l0 + N), aN = a0 + (N + 1) / 2;
  let Etau = a0 / b0, bN = b0, lN = 0;
  for (let it = 0; it < 500; it++) {
    lN = (l0 + N) * Etau;
    const Emu2 = muN * muN + 1 / lN;
    bN = b0 + 0.5 * (sx2 - 2 * N * xbar * muN + N * Emu2 + l0 * (Emu2 - 2 * mu0 * muN + mu0 * mu0));
    Etau = aN / bN;
  }
  const qmu = r.posteriors.mu!.params() as { mean: number; variance: number };
  const qtau = r.posteriors.tau!.params() as { shape: number; rate: number };
  t.true(rel(qmu.mean, muN) < 1e-8);
  t.true(rel(1 / qmu.variance, lN) < 1e-8);
  t.true(rel(qtau.shape, aN) < 1e-8);
  t.true(rel(qtau.rate, bN) < 1e-8);
  assertMonotone(t, r);
});
