/**
 * High-accuracy references for Bayesian GLMs (logistic, Poisson-log) with a N(0, s0² I) prior:
 * Newton's method to the MAP, then importance sampling from N(MAP, 1.2² H⁻¹) (the Laplace fit,
 * slightly widened so the weights have light tails). Returns posterior means and sds, and the log
 * evidence log p(y) = log E_proposal[p(y, w)/r(w)] with every normalising constant included.
 * Plain loops, independent of the graph engine (adapted from test/runtime/bbvi/reference.ts).
 */
import { Generator, sampleStandardNormal, sigmoid, softplus, gammaln, cholesky, choleskySolveInPlace, spdInverseDense, LOG_2PI } from "@vireo/core";

export type Glm = "logistic" | "poisson";

export interface GlmReference {
  readonly map: Float64Array;
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly logEvidence: number;
  /** Effective sample size of the importance weights. */
  readonly ess: number;
}

/** Row n's log-likelihood, its derivative and minus its second derivative in the predictor a. */
function rowTerms(glm: Glm, y: number, a: number): [number, number, number] {
  if (glm === "logistic") {
    const p = sigmoid(a);
    return [y * a - softplus(a), y - p, p * (1 - p)];
  }
  const r = Math.exp(a);
  return [y * a - r - gammaln(y + 1), y - r, r];
}

/** log p(y, w); the hot loop of the reference (10⁵ draws × N rows), so plain inline arithmetic. */
function logJoint(glm: Glm, X: Float64Array, y: Float64Array, D: number, s0: number, w: Float64Array, logFact: Float64Array): number {
  let s = -0.5 * D * (LOG_2PI + 2 * Math.log(s0));
  for (let j = 0; j < D; j++) s -= (0.5 * w[j]! * w[j]!) / (s0 * s0);
  const logistic = glm === "logistic";
  for (let n = 0, o = 0; n < y.length; n++, o += D) {
    let a = 0;
    for (let j = 0; j < D; j++) a += X[o + j]! * w[j]!;
    s += y[n]! * a - (logistic ? (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a))) : Math.exp(a) + logFact[n]!);
  }
  return s;
}

export function glmReference(glm: Glm, X: Float64Array, y: Float64Array, D: number, s0: number, draws: number, seed: number): GlmReference {
  const N = y.length, w = new Float64Array(D);
  let H = new Float64Array(D * D);
  for (let it = 0; it < 100; it++) {
    const g = new Float64Array(D);
    H = new Float64Array(D * D);
    for (let j = 0; j < D; j++) {
      g[j] = -w[j]! / (s0 * s0);
      H[j * D + j] = 1 / (s0 * s0);
    }
    for (let n = 0; n < N; n++) {
      let a = 0;
      for (let j = 0; j < D; j++) a += X[n * D + j]! * w[j]!;
      const [, d1, c] = rowTerms(glm, y[n]!, a);
      for (let j = 0; j < D; j++) {
        g[j] += d1 * X[n * D + j]!;
        for (let k = 0; k < D; k++) H[j * D + k] += c * X[n * D + j]! * X[n * D + k]!;
      }
    }
    const step = choleskySolveInPlace(cholesky(H, D), D, g);
    let size = 0;
    for (let j = 0; j < D; j++) {
      w[j] += step[j]!;
      size = Math.max(size, Math.abs(step[j]!));
    }
    if (size < 1e-12) break;
  }
  const cov = spdInverseDense(H, D).map((v) => 1.44 * v);
  const L = cholesky(cov, D);
  let logDetL = 0;
  for (let j = 0; j < D; j++) logDetL += Math.log(L[j * D + j]!);
  const rng = new Generator(seed);
  const logFact = y.map((v) => gammaln(v + 1));
  const logw = new Float64Array(draws), samples = new Float64Array(draws * D), z = new Float64Array(D), th = new Float64Array(D);
  let maxLw = -Infinity;
  for (let s = 0; s < draws; s++) {
    let lr = -0.5 * D * LOG_2PI - logDetL;
    for (let j = 0; j < D; j++) {
      z[j] = sampleStandardNormal(rng);
      lr -= 0.5 * z[j]! * z[j]!;
    }
    for (let j = 0; j < D; j++) {
      let v = w[j]!;
      for (let k = 0; k <= j; k++) v += L[j * D + k]! * z[k]!;
      th[j] = samples[s * D + j] = v;
    }
    logw[s] = logJoint(glm, X, y, D, s0, th, logFact) - lr;
    maxLw = Math.max(maxLw, logw[s]!);
  }
  let sw = 0, sw2 = 0;
  const m1 = new Float64Array(D), m2 = new Float64Array(D);
  for (let s = 0; s < draws; s++) {
    const wt = Math.exp(logw[s]! - maxLw);
    sw += wt;
    sw2 += wt * wt;
    for (let j = 0; j < D; j++) {
      m1[j] += wt * samples[s * D + j]!;
      m2[j] += wt * samples[s * D + j]! ** 2;
    }
  }
  const mean = m1.map((v) => v / sw);
  return {
    map: w, mean, sd: m2.map((v, j) => Math.sqrt(v / sw - mean[j]! ** 2)),
    logEvidence: maxLw + Math.log(sw / draws), ess: (sw * sw) / sw2,
  };
}
