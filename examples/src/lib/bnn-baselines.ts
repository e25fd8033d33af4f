/**
 * What the Bayesian-network examples compare against, built from the same library: Bayesian
 * linear regression (the conjugate graph: MvNormal weights, Gamma noise precision,
 * GaussianLinearNode, fitted by cavi) and Bayesian logistic regression (MvNormal weights,
 * BernoulliLogitNode, damped conjugate-computation updates), with their posterior predictives:
 * - linear: ∫ N(y; xᵀw, 1/τ) q(w) q(τ) = ∫ N(y; xᵀm, xᵀSx + 1/τ) q(τ) dτ, the τ integral by
 *   Monte Carlo over fixed draws of q(τ) (its sd is a few % of its mean at N
 *   in the hundreds, so 4000 draws make the error negligible);
 * - logistic: P(y = 1 | x) = E[σ(a)], a ~ N(xᵀm, xᵀSx), by 40-point Gauss–Hermite quadrature.
 * Inputs are standardised with the training columns (and an intercept column added), like the
 * networks do internally, so the priors mean the same thing.
 */
import { Generator, MvNormal, Gamma, Normal, Bernoulli, sampleGamma, sigmoid, erfc, LOG_2PI } from "@vireo/core";
import { MvNormalNode, GammaNode, GaussianLinearNode, BernoulliLogitNode, gaussHermite } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

/** 0..n−1 in a seeded random order (Fisher–Yates). */
export function shuffleIndex(n: number, seed: number): number[] {
  const rng = new Generator(seed), o = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    [o[i], o[j]] = [o[j]!, o[i]!];
  }
  return o;
}

/** Rows split into a training and a held-out part by a seeded shuffle. */
export function splitRows<T>(rows: readonly T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  const order = shuffleIndex(rows.length, seed), nTest = Math.round(testFraction * rows.length);
  return { train: order.slice(nTest).map((i) => rows[i]!), test: order.slice(0, nTest).map((i) => rows[i]!) };
}

/** Standardised design matrix with an intercept column, using the training columns' scales. */
function design(x: readonly (readonly number[])[], ref: readonly (readonly number[])[]): Float64Array {
  const D = ref[0]!.length, mean = new Float64Array(D), sd = new Float64Array(D);
  for (const r of ref) for (let j = 0; j < D; j++) mean[j] += r[j]! / ref.length;
  for (const r of ref) for (let j = 0; j < D; j++) sd[j] += (r[j]! - mean[j]!) ** 2 / ref.length;
  for (let j = 0; j < D; j++) sd[j] = sd[j]! > 0 ? Math.sqrt(sd[j]!) : 1;
  const out = new Float64Array(x.length * (D + 1));
  x.forEach((r, n) => {
    out[n * (D + 1)] = 1;
    for (let j = 0; j < D; j++) out[n * (D + 1) + j + 1] = (r[j]! - mean[j]!) / sd[j]!;
  });
  return out;
}

/** Predictive summaries of a baseline at held-out rows, in the response's units. */
export interface BaselinePredictive {
  readonly mean: Float64Array;
  /** Mean log predictive density of y. */
  logLikelihood(y: readonly number[]): number;
  /** Central intervals (regression only). */
  interval?(level: number): { lower: Float64Array; upper: Float64Array };
}

/** Bayesian linear regression y = wᵀ[1, x] + ε, w ~ N(0, I), τ ~ Gamma(1, 1) on standardised data. */
export function bayesLinearRegression(xTrain: number[][], yTrain: number[], xTest: number[][]): BaselinePredictive {
  const D = xTrain[0]!.length + 1, N = yTrain.length;
  const yMean = yTrain.reduce((a, b) => a + b, 0) / N;
  const ySd = Math.sqrt(yTrain.reduce((a, b) => a + (b - yMean) ** 2, 0) / N);
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: identity(D) });
  const tau = m.random("tau", Gamma);
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.factor(GaussianLinearNode, { out: m.observed("y", Normal, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }), precision: tau });
  const r = cavi(m.build(), { data: { y: yTrain.map((v) => (v - yMean) / ySd), x: design(xTrain, xTrain) }, maxIterations: 500, tolerance: 1e-10 });
  const qw = r.posteriors.w!.as(MvNormal(D)).params(), qt = r.posteriors.tau!.as(Gamma).params();
  const X = design(xTest, xTrain), T = xTest.length, mu = new Float64Array(T), fvar = new Float64Array(T);
  for (let n = 0; n < T; n++) {
    for (let i = 0; i < D; i++) {
      mu[n] += X[n * D + i]! * qw.mean[i]!;
      for (let j = 0; j < D; j++) fvar[n] += X[n * D + i]! * qw.covariance[i * D + j]! * X[n * D + j]!;
    }
  }
  const rng = new Generator(17), K = 4000, noiseVar = Float64Array.from({ length: K }, () => 1 / sampleGamma(rng, qt.shape, qt.rate));
  const sdAt = (n: number, k: number) => ySd * Math.sqrt(fvar[n]! + noiseVar[k]!);
  const cdf = (n: number, t: number) => {
    let c = 0;
    for (let k = 0; k < K; k++) c += 0.5 * erfc(-((t - yMean - ySd * mu[n]!) / sdAt(n, k)) / Math.SQRT2);
    return c / K;
  };
  return {
    mean: mu.map((v) => yMean + ySd * v),
    logLikelihood(y) {
      let total = 0;
      y.forEach((yn, n) => {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const s = sdAt(n, k), z = (yn - yMean - ySd * mu[n]!) / s;
          acc += Math.exp(-0.5 * LOG_2PI - Math.log(s) - 0.5 * z * z);
        }
        total += Math.log(acc / K);
      });
      return total / y.length;
    },
    interval(level) {
      const lower = new Float64Array(T), upper = new Float64Array(T);
      for (let n = 0; n < T; n++) {
        for (const [p, out] of [[(1 - level) / 2, lower], [(1 + level) / 2, upper]] as const) {
          let lo = yMean + ySd * mu[n]! - 10 * ySd, hi = yMean + ySd * mu[n]! + 10 * ySd;
          for (let it = 0; it < 50; it++) {
            const mid = 0.5 * (lo + hi);
            if (cdf(n, mid) < p) lo = mid;
            else hi = mid;
          }
          out[n] = 0.5 * (lo + hi);
        }
      }
      return { lower, upper };
    },
  };
}

/** Bayesian logistic regression P(y = 1) = σ(wᵀ[1, x]), w ~ N(0, I), on standardised inputs. */
export function bayesLogisticRegression(xTrain: number[][], yTrain: number[], xTest: number[][]): BaselinePredictive {
  const D = xTrain[0]!.length + 1;
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D));
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: identity(D) });
  m.factor(BernoulliLogitNode, { out: m.observed("y", Bernoulli, { plate: rows }), w, x: m.input("x", { plate: rows, size: D }) });
  const r = cavi(m.build(), { data: { y: yTrain, x: design(xTrain, xTrain) }, maxIterations: 500, tolerance: 1e-10 });
  const qw = r.posteriors.w!.as(MvNormal(D)).params();
  const X = design(xTest, xTrain), T = xTest.length, p = new Float64Array(T), gh = gaussHermite(40);
  for (let n = 0; n < T; n++) {
    let a = 0, v = 0;
    for (let i = 0; i < D; i++) {
      a += X[n * D + i]! * qw.mean[i]!;
      for (let j = 0; j < D; j++) v += X[n * D + i]! * qw.covariance[i * D + j]! * X[n * D + j]!;
    }
    for (let k = 0; k < gh.points.length; k++) p[n] += gh.weights[k]! * sigmoid(a + Math.sqrt(v) * gh.points[k]!);
  }
  return {
    mean: p,
    logLikelihood(y) {
      let total = 0;
      y.forEach((yn, n) => { total += Math.log(yn === 1 ? p[n]! : 1 - p[n]!); });
      return total / y.length;
    },
  };
}

function identity(D: number): Float64Array {
  const a = new Float64Array(D * D);
  for (let i = 0; i < D; i++) a[i * D + i] = 1;
  return a;
}
