/**
 * The learnt observation-noise precision of the streaming filter: isotropic Λ = λ I with λ ~ Gamma,
 * or a full Λ ~ Wishart. The filter runs with the covariance E[Λ]⁻¹ and adds to q(Λ) the conjugate
 * message of each residual's expected scatter S = E[v vᵀ]:
 *   E[log N(v; 0, Λ⁻¹)] = ½ E[log|Λ|] − (n/2) log 2π − ½ tr(E[Λ] S).
 * (The graph's chain nodes do the same for batch fits, through their `precision` edges.)
 */
import { Gamma, Wishart, cholesky, inverseFromCholesky, VireoError } from "@vireo/core";

export type NoisePrecisionKind = "Gamma" | "Wishart";

/** E[Λ] (n×n) and E[log|Λ|] of a noise precision's variational posterior. */
export interface PrecisionExpectations {
  readonly n: number;
  readonly mean: Float64Array;
  readonly meanLogDet: number;
}

/** Expectations of q(Λ) from its natural parameters (Gamma: length 2; Wishart(n): length 1 + n²). */
export function expectPrecision(kind: NoisePrecisionKind, n: number, eta: Float64Array): PrecisionExpectations {
  const mean = new Float64Array(n * n);
  if (kind === "Gamma") {
    const [elog, e] = Gamma.expectedStats(eta);
    for (let i = 0; i < n; i++) mean[i * n + i] = e!;
    return { n, mean, meanLogDet: n * elog! };
  }
  const s = Wishart(n).expectedStats(eta);
  for (let i = 0; i < n * n; i++) mean[i] = s[1 + i]!;
  return { n, mean, meanLogDet: s[0]! };
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

/** E[Λ]⁻¹ into `out`: the covariance the filter uses under the current q(Λ). */
export function effectiveCovariance(pe: PrecisionExpectations, out: Float64Array): void {
  let L: Float64Array;
  try {
    L = cholesky(pe.mean, pe.n, "expected noise precision");
  } catch (e) {
    throw new VireoError("NUMERICAL_FAILURE", `kalmanFilter: E[Λ] of the learnt observation noise is not positive definite: ${(e as Error).message}`);
  }
  inverseFromCholesky(L, pe.n, out);
}
