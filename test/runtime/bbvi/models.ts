/**
 * Test models for BBVI with their exact answers: Normal–Normal (conjugate), Bayesian linear
 * regression with known noise (conjugate), Bayesian logistic regression (synthetic data), and a
 * chain of binary latents for the Rao–Blackwellization check.
 */
import { Generator, sampleStandardNormal, sigmoid, ad, LOG_2PI, type TNode, type Tape } from "@vireo/core";
import { bbviModel, type BbviModel, type BbviLatentSpec } from "@vireo/runtime";

/** Sum of log N(x_i | mean_i, sd²) on the tape, for a vector (or broadcast scalar) mean. */
export function gaussianLogLik(t: Tape, x: Float64Array, mean: TNode, sd: number): TNode {
  const r = ad.sub(t.constant(x), mean);
  return ad.shift(ad.scale(ad.sum(ad.square(r)), -0.5 / (sd * sd)), -x.length * (0.5 * LOG_2PI + Math.log(sd)));
}

/** log N(w | 0, s0² I) on the tape. */
export function gaussianPrior(w: TNode, s0: number): TNode {
  return ad.shift(ad.scale(ad.sum(ad.square(w)), -0.5 / (s0 * s0)), -w.size * (0.5 * LOG_2PI + Math.log(s0)));
}

export interface NormalNormal {
  readonly x: Float64Array;
  readonly s0: number;
  readonly sigma: number;
  readonly postMean: number;
  readonly postSd: number;
  readonly model: (latent: Omit<BbviLatentSpec, "name">) => BbviModel;
}

/** μ ~ N(0, s0²), x_i ~ N(μ, σ²): posterior N(postMean, postSd²). */
export function normalNormal(n = 20, seed = 1): NormalNormal {
  const rng = new Generator(seed);
  const s0 = 2, sigma = 1.5, x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.8 + sigma * sampleStandardNormal(rng);
  const prec = 1 / (s0 * s0) + n / (sigma * sigma);
  let sx = 0;
  for (const v of x) sx += v;
  return {
    x, s0, sigma, postMean: sx / (sigma * sigma) / prec, postSd: Math.sqrt(1 / prec),
    model: (latent) => bbviModel({
      latents: [{ name: "mu", ...latent }],
      factors: [
        { name: "prior", vars: ["mu"], logDensity: ({ mu }) => gaussianPrior(mu!, s0) },
        { name: "lik", vars: ["mu"], logDensity: ({ mu }, t) => gaussianLogLik(t, x, mu!, sigma) },
      ],
    }),
  };
}

/** Design matrix (N×D, first column 1) and seeded coefficients. */
export function design(rng: Generator, N: number, D: number): Float64Array {
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    X[i * D] = 1;
    for (let j = 1; j < D; j++) X[i * D + j] = sampleStandardNormal(rng);
  }
  return X;
}

export interface LinearRegression {
  readonly N: number;
  readonly D: number;
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly postMean: Float64Array;
  readonly postCov: Float64Array;
  readonly model: (latent: Omit<BbviLatentSpec, "name">) => BbviModel;
}

/** y = Xw + e, e ~ N(0, σ²), w ~ N(0, s0² I): posterior N(Σ Xᵀy/σ², Σ = (XᵀX/σ² + I/s0²)⁻¹). */
export function linearRegression(N = 100, D = 3, seed = 2): LinearRegression {
  const rng = new Generator(seed);
  const sigma = 0.7, s0 = 3;
  const X = design(rng, N, D), y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += X[i * D + j]! * (j % 2 === 0 ? 1 : -0.5);
    y[i] = s + sigma * sampleStandardNormal(rng);
  }
  const A = new Float64Array(D * D), b = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    A[j * D + j] = 1 / (s0 * s0);
    for (let i = 0; i < N; i++) {
      b[j] += (X[i * D + j]! * y[i]!) / (sigma * sigma);
      for (let k = 0; k < D; k++) A[j * D + k] += (X[i * D + j]! * X[i * D + k]!) / (sigma * sigma);
    }
  }
  const cov = invert(A, D);
  const mean = new Float64Array(D);
  for (let j = 0; j < D; j++) for (let k = 0; k < D; k++) mean[j] += cov[j * D + k]! * b[k]!;
  return {
    N, D, X, y, postMean: mean, postCov: cov,
    model: (latent) => bbviModel({
      latents: [{ name: "w", ...latent }],
      factors: [
        { name: "prior", vars: ["w"], logDensity: ({ w }) => gaussianPrior(w!, s0) },
        { name: "lik", vars: ["w"], logDensity: ({ w }, t) => gaussianLogLik(t, y, ad.matmul(t.constant(X, [N, D]), w!), sigma) },
      ],
    }),
  };
}

/** Gauss–Jordan inverse of a small SPD matrix (independent of the library's Cholesky). */
export function invert(A: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(A), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const p = a[c * n + c]!;
    for (let j = 0; j < n; j++) {
      a[c * n + j] = a[c * n + j]! / p;
      inv[c * n + j] = inv[c * n + j]! / p;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c]!;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! - f * a[c * n + j]!;
        inv[r * n + j] = inv[r * n + j]! - f * inv[c * n + j]!;
      }
    }
  }
  return inv;
}

export interface Logistic {
  readonly N: number;
  readonly D: number;
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly s0: number;
  readonly model: (latent: Omit<BbviLatentSpec, "name">) => BbviModel;
}

/** y_i ~ Bernoulli(σ(x_iᵀw)), w ~ N(0, s0² I). */
export function logistic(N = 1000, D = 5, seed = 3): Logistic {
  const rng = new Generator(seed);
  const s0 = 2, X = design(rng, N, D), y = new Float64Array(N);
  const wTrue = [0.5, -1, 0.75, 0.25, -0.5];
  for (let i = 0; i < N; i++) {
    let eta = 0;
    for (let j = 0; j < D; j++) eta += X[i * D + j]! * wTrue[j % wTrue.length]!;
    y[i] = rng.uniform() < sigmoid(eta) ? 1 : 0;
  }
  return {
    N, D, X, y, s0,
    model: (latent) => bbviModel({
      latents: [{ name: "w", ...latent }],
      factors: [
        { name: "prior", vars: ["w"], logDensity: ({ w }) => gaussianPrior(w!, s0) },
        {
          name: "lik", vars: ["w"], logDensity: ({ w }, t) => {
            const eta = ad.matmul(t.constant(X, [N, D]), w!);
            return ad.sum(ad.sub(ad.mul(t.constant(y), eta), ad.softplus(eta)));
          },
        },
      ],
    }),
  };
}
