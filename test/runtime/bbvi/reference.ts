/**
 * High-accuracy posterior reference for Bayesian logistic regression: the Laplace approximation
 * (Newton's method to the MAP, Hessian at the MAP) used as an importance-sampling proposal, with
 * self-normalised weights over many draws. Plain loops, independent of the tape.
 */
import { Generator, sampleStandardNormal, sigmoid } from "@vireo/core";
import { invert } from "./models.js";

export interface Reference {
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  /** Effective sample size of the importance weights. */
  readonly ess: number;
}

function logJoint(X: Float64Array, y: Float64Array, N: number, D: number, s0: number, w: Float64Array): number {
  let s = 0;
  for (let j = 0; j < D; j++) s -= (0.5 * w[j]! * w[j]!) / (s0 * s0);
  for (let i = 0; i < N; i++) {
    let eta = 0;
    for (let j = 0; j < D; j++) eta += X[i * D + j]! * w[j]!;
    s += y[i]! * eta - (eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta)));
  }
  return s;
}

export function laplaceImportance(X: Float64Array, y: Float64Array, N: number, D: number, s0: number, draws: number, seed: number): Reference {
  // Newton's method for the MAP.
  const w = new Float64Array(D);
  let H = new Float64Array(D * D);
  for (let it = 0; it < 50; it++) {
    const g = new Float64Array(D);
    H = new Float64Array(D * D);
    for (let j = 0; j < D; j++) {
      g[j] = -w[j]! / (s0 * s0);
      H[j * D + j] = 1 / (s0 * s0);
    }
    for (let i = 0; i < N; i++) {
      let eta = 0;
      for (let j = 0; j < D; j++) eta += X[i * D + j]! * w[j]!;
      const p = sigmoid(eta), r = y[i]! - p, c = p * (1 - p);
      for (let j = 0; j < D; j++) {
        g[j] += r * X[i * D + j]!;
        for (let k = 0; k < D; k++) H[j * D + k] += c * X[i * D + j]! * X[i * D + k]!;
      }
    }
    const Hinv = invert(H, D);
    let step = 0;
    for (let j = 0; j < D; j++) {
      let d = 0;
      for (let k = 0; k < D; k++) d += Hinv[j * D + k]! * g[k]!;
      w[j] += d;
      step = Math.max(step, Math.abs(d));
    }
    if (step < 1e-12) break;
  }
  // Proposal N(MAP, 1.2² H⁻¹): slightly wider than the Laplace fit so the weights have light tails.
  const cov = invert(H, D);
  const L = new Float64Array(D * D);
  for (let j = 0; j < D; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 1.44 * cov[j * D + k]!;
      for (let m = 0; m < k; m++) s -= L[j * D + m]! * L[k * D + m]!;
      L[j * D + k] = j === k ? Math.sqrt(s) : s / L[k * D + k]!;
    }
  }
  const rng = new Generator(seed);
  const logw = new Float64Array(draws), samples = new Float64Array(draws * D);
  const z = new Float64Array(D), th = new Float64Array(D);
  let maxLw = -Infinity;
  for (let n = 0; n < draws; n++) {
    let lq = 0;
    for (let j = 0; j < D; j++) {
      z[j] = sampleStandardNormal(rng);
      lq -= 0.5 * z[j]! * z[j]!;
    }
    for (let j = 0; j < D; j++) {
      let s = w[j]!;
      for (let k = 0; k <= j; k++) s += L[j * D + k]! * z[k]!;
      th[j] = s;
      samples[n * D + j] = s;
    }
    logw[n] = logJoint(X, y, N, D, s0, th) - lq;
    if (logw[n]! > maxLw) maxLw = logw[n]!;
  }
  let sw = 0, sw2 = 0;
  const m1 = new Float64Array(D), m2 = new Float64Array(D);
  for (let n = 0; n < draws; n++) {
    const wt = Math.exp(logw[n]! - maxLw);
    sw += wt;
    sw2 += wt * wt;
    for (let j = 0; j < D; j++) {
      const v = samples[n * D + j]!;
      m1[j] += wt * v;
      m2[j] += wt * v * v;
    }
  }
  const mean = m1.map((v) => v / sw), sd = m2.map((v, j) => Math.sqrt(v / sw - mean[j]! * mean[j]!));
  return { mean, sd, ess: (sw * sw) / sw2 };
}
