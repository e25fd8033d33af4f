/**
 * GaussianEmission (switching): y_t | z_t = k ~ N(μ_k, τ_k⁻¹) for scalar y, with mean-field
 * q(μ_k) Normal and q(τ_k) Gamma per state. With γ_tk = q(z_t = k),
 *   E[log N(y; μ_k, τ_k⁻¹)] = ½ E[log τ_k] − ½ log 2π − ½ E[τ_k] (y² − 2y E[μ_k] + E[μ_k²]),
 * and the messages are that expression's gradients in each edge's expected statistics:
 *   to μ_k (Normal η = [·x, ·x²]): [E[τ_k] Σ γ y, −½ E[τ_k] Σ γ];
 *   to τ_k (Gamma η = [·log τ, ·τ]): [½ Σ γ, −½ Σ γ (y² − 2y E[μ_k] + E[μ_k²])].
 *   edges: out (Normal, observed y_t), in (Categorical(K), z_t), mean (K × Normal), precision (K × Gamma).
 */
import { LOG_2PI, VireoError } from "@vireo/core";

/** Per-state expectations: E[μ], E[μ²], E[τ], E[log τ] (each length K). */
export interface StateGaussianExpectations {
  readonly mean: Float64Array;
  readonly meanSq: Float64Array;
  readonly precision: Float64Array;
  readonly logPrecision: Float64Array;
}

export const GaussianEmission = {
  name: "GaussianEmission",
  edges: [
    { name: "out", family: "Normal", doc: "the observation y_t" },
    { name: "in", family: "Categorical", doc: "the state z_t" },
    { name: "mean", family: "Normal", doc: "per-state means μ_k" },
    { name: "precision", family: "Gamma", doc: "per-state precisions τ_k" },
  ],
  /** The message to the states: E[log N(y_t; μ_k, τ_k⁻¹)] into `out` (T×K). */
  logEmissions(y: ArrayLike<number>, e: StateGaussianExpectations, K: number, out: Float64Array): void {
    for (let t = 0; t < y.length; t++) {
      const v = y[t]!;
      for (let k = 0; k < K; k++) {
        out[t * K + k] = 0.5 * e.logPrecision[k]! - 0.5 * LOG_2PI - 0.5 * e.precision[k]! * (v * v - 2 * v * e.mean[k]! + e.meanSq[k]!);
      }
    }
  },
  /** Adds the messages to q(μ_k) (K×2 Normal natural parameters). */
  meanMessage(y: ArrayLike<number>, marginals: Float64Array, e: StateGaussianExpectations, K: number, out: Float64Array): void {
    for (let k = 0; k < K; k++) {
      let n = 0, sy = 0;
      for (let t = 0; t < y.length; t++) {
        n += marginals[t * K + k]!;
        sy += marginals[t * K + k]! * y[t]!;
      }
      out[2 * k] = out[2 * k]! + e.precision[k]! * sy;
      out[2 * k + 1] = out[2 * k + 1]! - 0.5 * e.precision[k]! * n;
    }
  },
  /** Adds the messages to q(τ_k) (K×2 Gamma natural parameters). */
  precisionMessage(y: ArrayLike<number>, marginals: Float64Array, e: StateGaussianExpectations, K: number, out: Float64Array): void {
    for (let k = 0; k < K; k++) {
      let n = 0, sq = 0;
      for (let t = 0; t < y.length; t++) {
        const g = marginals[t * K + k]!, v = y[t]!;
        n += g;
        sq += g * (v * v - 2 * v * e.mean[k]! + e.meanSq[k]!);
      }
      out[2 * k] = out[2 * k]! + 0.5 * n;
      out[2 * k + 1] = out[2 * k + 1]! - 0.5 * sq;
    }
  },
  /**
   * Per-state expectations from the edges' expected statistics: `meanStats` K×2 Normal [E μ_k, E μ_k²],
   * `precisionStats` K×2 Gamma [E log τ_k, E τ_k].
   */
  expectationsFromStats(meanStats: ArrayLike<number>, precisionStats: ArrayLike<number>, K: number): StateGaussianExpectations {
    if (meanStats.length !== 2 * K || precisionStats.length !== 2 * K) {
      throw new VireoError("DIMENSION_MISMATCH", `GaussianEmission.expectationsFromStats: expected K×2 = ${2 * K} mean and precision statistics, got ${meanStats.length} and ${precisionStats.length}.`, { node: "GaussianEmission" });
    }
    const mean = new Float64Array(K), meanSq = new Float64Array(K), precision = new Float64Array(K), logPrecision = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      mean[k] = meanStats[2 * k]!;
      meanSq[k] = meanStats[2 * k + 1]!;
      logPrecision[k] = precisionStats[2 * k]!;
      precision[k] = precisionStats[2 * k + 1]!;
    }
    return { mean, meanSq, precision, logPrecision };
  },
  /**
   * Σ_t Σ_k γ_tk E[log N(y_t; μ_k, τ_k⁻¹)] computed from the expectations themselves (the energy
   * whose gradients are logEmissions, meanMessage and precisionMessage).
   */
  expectedLogFactorFrom(y: ArrayLike<number>, marginals: Float64Array, e: StateGaussianExpectations, K: number): number {
    let s = 0;
    for (let t = 0; t < y.length; t++) {
      const v = y[t]!;
      for (let k = 0; k < K; k++) {
        const g = marginals[t * K + k]!;
        if (g !== 0) s += g * (0.5 * e.logPrecision[k]! - 0.5 * LOG_2PI - 0.5 * e.precision[k]! * (v * v - 2 * v * e.mean[k]! + e.meanSq[k]!));
      }
    }
    return s;
  },
  /** Σ_t Σ_k γ_tk E[log N(y_t; μ_k, τ_k⁻¹)], given the log emissions already computed into `logEmit`. */
  expectedLogFactor(marginals: Float64Array, logEmit: Float64Array, T: number, K: number): number {
    let s = 0;
    for (let i = 0; i < T * K; i++) s += marginals[i]! * logEmit[i]!;
    return s;
  },
} as const;
