/** Monte Carlo summaries of a fitted q against a numeric log joint (fixed seed). */
import { Generator, sampleWithLogDensity, type VariationalFamily } from "@vireo/core";

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
