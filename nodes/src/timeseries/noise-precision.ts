/**
 * Facts about the precision of a Gaussian noise term shared by the linear Gaussian timeseries nodes:
 * either isotropic, Λ = λ I with λ ~ Gamma, or a full matrix Λ ~ Wishart. The nodes reduce the chain
 * to an expected scatter S = Σ_t E[(v_t)(v_t)ᵀ] over `count` residuals v_t of dimension n, and
 *   Σ_t E[log N(v_t; 0, Λ⁻¹)] = count (½ E[log|Λ|] − n/2 log 2π) − ½ tr(E[Λ] S),
 * whose gradient in Λ's expected statistics is the conjugate message added by `addPrecisionMessage`.
 */
import { Gamma, Wishart, LOG_2PI, cholesky, inverseFromCholesky, logDetFromCholesky, VireoError } from "@vireo/core";

export type NoisePrecisionKind = "Gamma" | "Wishart";

/** E[Λ] (n×n) and E[log|Λ|] of a noise precision's variational posterior. */
export interface PrecisionExpectations {
  readonly n: number;
  readonly mean: Float64Array;
  readonly meanLogDet: number;
}

/** Expectations of q(Λ) from its natural parameters (Gamma: length 2; Wishart(n): length 1 + n²). */
export function expectPrecision(kind: NoisePrecisionKind, n: number, eta: Float64Array): PrecisionExpectations {
  return precisionFromStats(kind, n, kind === "Gamma" ? Gamma.expectedStats(eta) : Wishart(n).expectedStats(eta));
}

/**
 * Expectations of q(Λ) from its expected sufficient statistics, the coordinates in which the
 * message to the precision is a gradient: Gamma [E log λ, E λ] (Λ = λ I), Wishart(n)
 * [E log|Λ|, vec E Λ] (length 1 + n²). Lets energies be written as functions of those statistics.
 */
export function precisionFromStats(kind: NoisePrecisionKind, n: number, stats: ArrayLike<number>): PrecisionExpectations {
  const size = kind === "Gamma" ? 2 : 1 + n * n;
  if (stats.length !== size) {
    throw new VireoError("DIMENSION_MISMATCH", `precisionFromStats: a ${kind} noise precision of dimension ${n} has ${size} expected statistics, got ${stats.length}.`, { parameter: "stats" });
  }
  const mean = new Float64Array(n * n);
  if (kind === "Gamma") {
    for (let i = 0; i < n; i++) mean[i * n + i] = stats[1]!;
    return { n, mean, meanLogDet: n * stats[0]! };
  }
  for (let i = 0; i < n * n; i++) mean[i] = stats[1 + i]!;
  return { n, mean, meanLogDet: stats[0]! };
}

/** A known precision as degenerate expectations (E[Λ] = Λ, E[log|Λ|] = log|Λ|), from a covariance. */
export function knownPrecision(covariance: Float64Array, n: number): PrecisionExpectations {
  const L = cholesky(covariance, n, "noise covariance");
  return { n, mean: inverseFromCholesky(L, n, new Float64Array(n * n)), meanLogDet: -logDetFromCholesky(L, n) };
}

/** Adds to `out` (natural parameters of q(Λ)) the message of `count` residuals with scatter S. */
export function addPrecisionMessage(kind: NoisePrecisionKind, n: number, count: number, scatter: Float64Array, out: Float64Array): void {
  if (kind === "Gamma") {
    let tr = 0;
    for (let i = 0; i < n; i++) tr += scatter[i * n + i]!;
    out[0] = out[0]! + 0.5 * n * count;
    out[1] = out[1]! - 0.5 * tr;
    return;
  }
  out[0] = out[0]! + 0.5 * count;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[1 + i * n + j] = out[1 + i * n + j]! - 0.25 * (scatter[i * n + j]! + scatter[j * n + i]!);
}

/** Σ_t E[log N(v_t; 0, Λ⁻¹)] from the residuals' count and expected scatter. */
export function gaussianExpectedLog(pe: PrecisionExpectations, count: number, scatter: Float64Array): number {
  const n = pe.n;
  let tr = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) tr += pe.mean[i * n + j]! * scatter[j * n + i]!;
  return count * (0.5 * pe.meanLogDet - 0.5 * n * LOG_2PI) - 0.5 * tr;
}

/**
 * The covariance a Kalman filter must use so its Gaussian factor equals exp E[log N(v; 0, Λ⁻¹)]:
 * E[Λ]⁻¹ into `out`. Returns the per-residual log-scale that exp E[log N] has beyond that Gaussian,
 * ½ (E[log|Λ|] − log|E[Λ]|) ≤ 0, which the collapsed bound adds once per residual.
 */
export function effectiveCovariance(pe: PrecisionExpectations, out: Float64Array): number {
  const n = pe.n;
  let L: Float64Array;
  try {
    L = cholesky(pe.mean, n, "expected noise precision");
  } catch (e) {
    throw new VireoError("NUMERICAL_FAILURE", `effectiveCovariance: E[Λ] is not positive definite: ${(e as Error).message}`);
  }
  inverseFromCholesky(L, n, out);
  return 0.5 * (pe.meanLogDet - logDetFromCholesky(L, n));
}
