/**
 * A starting point for a learnt observation matrix C of a state-space model. With E[C] = 0 the
 * states carry no information about the data and E[A] = 0, E[C] = 0 is a fixed point of the VB
 * updates, so a model that learns C must start q(C) elsewhere (and update the states first, e.g.
 * `schedule: ["x", …]`). The usual start is factor analysis / PCA: the d leading principal
 * directions of the observations scaled by their standard deviations (Ghahramani & Hinton 1996;
 * Beal 2003, §5.3).
 */
import { VireoError, MvNormal, Generator, sampleStandardNormal } from "@vireo/core";

/**
 * Natural parameters of an MvNormal(p·d) q(vec C) (row-major) centred on the d leading principal
 * directions of the T×p observations `y`, with a small isotropic spread `variance` (default 1e-2).
 * Pass it as `init: { C: observationMatrixStart(y, p, d) }` to cavi().
 */
export function observationMatrixStart(y: ArrayLike<number>, p: number, d: number, variance = 1e-2): Float64Array {
  const T = y.length / p;
  if (!(Number.isInteger(T) && T >= 2) || !(Number.isInteger(d) && d >= 1 && d <= p)) {
    throw new VireoError("INVALID_DATA", `observationMatrixStart: expected T×p observations (p = ${p}, at least 2 rows) and 1 ≤ d ≤ p, got ${y.length} values and d = ${d}.`, { parameter: "y" });
  }
  const mean = new Float64Array(p), S = new Float64Array(p * p);
  for (let t = 0; t < T; t++) for (let i = 0; i < p; i++) mean[i] += y[t * p + i]! / T;
  for (let t = 0; t < T; t++) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) S[i * p + j] += ((y[t * p + i]! - mean[i]!) * (y[t * p + j]! - mean[j]!)) / T;
  const C = new Float64Array(p * d), rng = new Generator(1), v = new Float64Array(p), w = new Float64Array(p);
  for (let c = 0; c < d; c++) {
    // Power iteration, deflated against the directions already found.
    for (let i = 0; i < p; i++) v[i] = sampleStandardNormal(rng);
    let lambda = 0;
    for (let it = 0; it < 300; it++) {
      for (let i = 0; i < p; i++) {
        let s = 0;
        for (let j = 0; j < p; j++) s += S[i * p + j]! * v[j]!;
        w[i] = s;
      }
      for (let b = 0; b < c; b++) {
        let dot = 0, nn = 0;
        for (let i = 0; i < p; i++) {
          dot += w[i]! * C[i * d + b]!;
          nn += C[i * d + b]! ** 2;
        }
        if (nn > 0) for (let i = 0; i < p; i++) w[i] -= (dot / nn) * C[i * d + b]!;
      }
      lambda = Math.hypot(...w);
      if (!(lambda > 0)) break;
      for (let i = 0; i < p; i++) v[i] = w[i]! / lambda;
    }
    for (let i = 0; i < p; i++) C[i * d + c] = lambda > 0 ? v[i]! * Math.sqrt(lambda) : 0;
  }
  const cov = new Float64Array(p * d * p * d);
  for (let i = 0; i < p * d; i++) cov[i * p * d + i] = variance;
  return MvNormal(p * d).toNatural({ mean: C, covariance: cov });
}
