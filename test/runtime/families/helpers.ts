/** Monte Carlo summaries of a fitted q against a numeric log joint (fixed seed). */
import { Generator, LOG_2PI, sampleWithLogDensity, type VariationalFamily } from "@vireo/core";

export interface QSummary {
  /** ELBO estimate and its Monte Carlo standard error. */
  readonly elbo: number;
  readonly se: number;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

export function summarise(family: VariationalFamily, lambda: Float64Array, logJoint: (z: Float64Array) => number, n = 20000, seed = 99): QSummary {
  const rng = new Generator(seed), d = family.dim, z = new Float64Array(d);
  const mean = new Float64Array(d), m2 = new Float64Array(d);
  let s = 0, s2 = 0;
  for (let i = 1; i <= n; i++) {
    const lq = sampleWithLogDensity(family, lambda, rng, z);
    const ell = logJoint(z) - lq;
    s += ell;
    s2 += ell * ell;
    for (let k = 0; k < d; k++) {
      const delta = z[k]! - mean[k]!;
      mean[k] += delta / i;
      m2[k] += delta * (z[k]! - mean[k]!);
    }
  }
  const elbo = s / n;
  return { elbo, se: Math.sqrt(Math.max(0, s2 / n - elbo * elbo) / n), mean, variance: m2.map((v) => v / (n - 1)) };
}

/** log p(x) of the Normal–Normal model: x ~ N(0, σ²I + s₀²11ᵀ), by the determinant lemma and Sherman–Morrison. */
export function normalNormalLogEvidence(x: Float64Array, sigma: number, s0: number): number {
  const n = x.length, s2 = sigma * sigma, t2 = s0 * s0;
  let sx = 0, sxx = 0;
  for (const v of x) {
    sx += v;
    sxx += v * v;
  }
  const quad = (sxx - (t2 / (s2 + n * t2)) * sx * sx) / s2;
  return -0.5 * (n * LOG_2PI + n * Math.log(s2) + Math.log(1 + (n * t2) / s2) + quad);
}
