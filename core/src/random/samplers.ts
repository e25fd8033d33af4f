/**
 * Samplers for the standard distributions. Each takes the generator explicitly; none keeps hidden
 * state. Matrix arguments are dense row-major Float64Arrays.
 */
import type { Generator } from "./generator.js";
import { VireoError, fmt } from "../errors.js";
import { cholesky, backSubstituteTransposed } from "../linalg/dense.js";

/** A standard normal deviate (Marsaglia's polar method; the pair's second value is cached in the generator). */
export function sampleStandardNormal(rng: Generator): number {
  if (rng.spareNormal !== null) {
    const s = rng.spareNormal;
    rng.spareNormal = null;
    return s;
  }
  let u: number, v: number, s: number;
  do {
    u = 2 * rng.uniform() - 1;
    v = 2 * rng.uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s === 0);
  const f = Math.sqrt((-2 * Math.log(s)) / s);
  rng.spareNormal = v * f;
  return u * f;
}

/** N(mean, sd²). */
export function sampleNormal(rng: Generator, mean: number, sd: number): number {
  return mean + sd * sampleStandardNormal(rng);
}

/**
 * Gamma(shape, rate) by Marsaglia & Tsang (2000). For shape < 1 it samples Gamma(shape + 1) and
 * multiplies by U^(1/shape), done in log space so tiny shapes do not lose the tail.
 */
export function sampleGamma(rng: Generator, shape: number, rate = 1): number {
  if (!(shape > 0) || !(rate > 0) || !Number.isFinite(shape) || !Number.isFinite(rate)) {
    throw new VireoError("INVALID_PARAMETER", `sampleGamma: shape and rate must be finite and > 0, got shape=${fmt(shape)}, rate=${fmt(rate)}.`);
  }
  if (shape < 1) {
    const g = sampleGamma(rng, shape + 1, 1);
    return Math.exp(Math.log(g) + Math.log(rng.uniformOpen()) / shape) / rate;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = sampleStandardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniformOpen();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return (d * v) / rate;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

/** Beta(a, b) as X/(X+Y) of two gammas. */
export function sampleBeta(rng: Generator, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** Dirichlet(alpha) into `out`. */
export function sampleDirichlet(rng: Generator, alpha: ArrayLike<number>, out = new Float64Array(alpha.length)): Float64Array {
  let s = 0;
  for (let k = 0; k < alpha.length; k++) {
    out[k] = sampleGamma(rng, alpha[k]!);
    s += out[k]!;
  }
  for (let k = 0; k < alpha.length; k++) out[k] = out[k]! / s;
  return out;
}

/** An index drawn with probabilities proportional to the non-negative `weights`. */
export function sampleCategorical(rng: Generator, weights: ArrayLike<number>, offset = 0, n = weights.length - offset): number {
  let total = 0;
  for (let k = 0; k < n; k++) total += weights[offset + k]!;
  let u = rng.uniform() * total;
  for (let k = 0; k < n - 1; k++) {
    u -= weights[offset + k]!;
    if (u < 0) return k;
  }
  return n - 1;
}

/** Bernoulli(p) as 0 or 1. */
export function sampleBernoulli(rng: Generator, p: number): number {
  return rng.uniform() < p ? 1 : 0;
}

/**
 * Poisson(λ): multiplication of uniforms for λ < 10, Hörmann's PTRS transformed rejection above
 * (W. Hörmann 1993, "The transformed rejection method for generating Poisson random variables").
 */
export function samplePoisson(rng: Generator, lambda: number): number {
  if (lambda < 10) {
    const L = Math.exp(-lambda);
    let k = 0, p = rng.uniform();
    while (p > L) {
      k++;
      p *= rng.uniform();
    }
    return k;
  }
  const slam = Math.sqrt(lambda), loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b, invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = rng.uniform() - 0.5, V = rng.uniformOpen();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - lgammaInt(k + 1)) return k;
  }
}

function lgammaInt(n: number): number {
  // log((n-1)!) via Stirling with correction; exact summation for small n.
  if (n < 20) {
    let s = 0;
    for (let i = 2; i < n; i++) s += Math.log(i);
    return s;
  }
  const x = n;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** N(mean, Σ) from a d×d covariance: x = μ + L z with Σ = L Lᵀ. */
export function sampleMvNormalCov(rng: Generator, mean: ArrayLike<number>, cov: Float64Array, out = new Float64Array(mean.length)): Float64Array {
  const d = mean.length;
  const L = cholesky(cov, d, "covariance");
  return mvFromCholesky(rng, mean, L, d, out, false);
}

/** N(mean, Λ⁻¹) from a d×d precision: x = μ + L⁻ᵀ z with Λ = L Lᵀ. */
export function sampleMvNormalPrecision(rng: Generator, mean: ArrayLike<number>, precision: Float64Array, out = new Float64Array(mean.length)): Float64Array {
  const d = mean.length;
  const L = cholesky(precision, d, "precision");
  return mvFromCholesky(rng, mean, L, d, out, true);
}

/** x = μ + L z (or μ + L⁻ᵀ z when `precisionFactor`) for a given lower Cholesky factor. */
export function mvFromCholesky(rng: Generator, mean: ArrayLike<number>, L: Float64Array, d: number, out: Float64Array, precisionFactor: boolean): Float64Array {
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) z[i] = sampleStandardNormal(rng);
  if (precisionFactor) {
    backSubstituteTransposed(L, d, z);
    for (let i = 0; i < d; i++) out[i] = mean[i]! + z[i]!;
  } else {
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += L[i * d + k]! * z[k]!;
      out[i] = mean[i]! + s;
    }
  }
  return out;
}

/**
 * Wishart(df, scale) by the Bartlett decomposition: X = L A Aᵀ Lᵀ with scale = L Lᵀ, A lower
 * triangular, A_ii = sqrt(χ²(df - i)), A_ij ~ N(0, 1) below the diagonal. Needs df > d - 1.
 */
export function sampleWishart(rng: Generator, df: number, scale: Float64Array, d: number, out = new Float64Array(d * d)): Float64Array {
  if (!(df > d - 1)) {
    throw new VireoError("INVALID_PARAMETER", `sampleWishart: degrees of freedom must exceed d - 1 = ${d - 1}, got ${fmt(df)}.`, { parameter: "df" });
  }
  const L = cholesky(scale, d, "Wishart scale");
  const A = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    A[i * d + i] = Math.sqrt(2 * sampleGamma(rng, (df - i) / 2));
    for (let j = 0; j < i; j++) A[i * d + j] = sampleStandardNormal(rng);
  }
  // M = L A (lower triangular), X = M Mᵀ.
  const M = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = j; k <= i; k++) s += L[i * d + k]! * A[k * d + j]!;
    M[i * d + j] = s;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k <= j; k++) s += M[i * d + k]! * M[j * d + k]!;
    out[i * d + j] = s;
    out[j * d + i] = s;
  }
  return out;
}

