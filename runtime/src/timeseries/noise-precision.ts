/**
 * The learnt observation-noise precision of the streaming filter: isotropic Λ = λ I with λ ~ Gamma,
 * or a full Λ ~ Wishart. The filter runs with the covariance E[Λ]⁻¹ and adds to q(Λ) the conjugate
 * message of each residual's expected scatter S = E[v vᵀ]:
 *   E[log N(v; 0, Λ⁻¹)] = ½ E[log|Λ|] − (n/2) log 2π − ½ tr(E[Λ] S).
 * (The graph's chain nodes do the same for batch fits, through their `precision` edges.)
 * Each kind is one object built from its prior, reading q(Λ) through its family's own statistics
 * accessors: the filter never asks which family it holds.
 */
import { Gamma, Wishart, cholesky, inverseFromCholesky, VireoError, type GammaParams } from "@vireo/core";

/** E[Λ] (n×n) and E[log|Λ|] of a noise precision's variational posterior. */
export interface PrecisionExpectations {
  readonly n: number;
  readonly mean: Float64Array;
  readonly meanLogDet: number;
}

/** Summary of the learnt observation-noise precision in a filter snapshot (plain numbers). */
export type NoisePrecisionSnapshot =
  | { readonly kind: "Gamma"; readonly shape: number; readonly rate: number; readonly mean: number }
  | { readonly kind: "Wishart"; readonly df: number; readonly mean: readonly number[] };

/** A learnt n×n noise precision: its prior and the operations the filter needs of its q. */
export interface NoisePrecision {
  readonly n: number;
  /** Natural parameters of the prior. */
  readonly prior: Float64Array;
  /** E[Λ] and E[log|Λ|] under the q with natural parameters `eta`. */
  expectations(eta: Float64Array): PrecisionExpectations;
  /** Adds to `out` (natural parameters of q(Λ)) the message of `count` residuals with scatter S (n×n). */
  addMessage(count: number, scatter: Float64Array, out: Float64Array): void;
  /** The standard parameters of q(Λ) and its mean, as plain numbers (for snapshots). */
  snapshot(eta: Float64Array): NoisePrecisionSnapshot;
}

/** Λ = λ I_n with λ ~ Gamma(shape, rate). */
export function isotropicNoisePrecision(n: number, prior: GammaParams): NoisePrecision {
  const stats = new Float64Array(Gamma.size);
  return {
    n,
    prior: Gamma.toNatural(prior),
    expectations(eta) {
      Gamma.expectedStats(eta, stats);
      const mean = new Float64Array(n * n), e = Gamma.ex(stats, 0);
      for (let i = 0; i < n; i++) mean[i * n + i] = e;
      return { n, mean, meanLogDet: n * Gamma.elog(stats, 0) };
    },
    addMessage(count, scatter, out) {
      // ½ n log λ − ½ λ tr S per residual: [a − 1, −b] += [n/2, −tr S / 2].
      let tr = 0;
      for (let i = 0; i < n; i++) tr += scatter[i * n + i]!;
      out[0] = out[0]! + 0.5 * n * count;
      out[1] = out[1]! - 0.5 * tr;
    },
    snapshot(eta) {
      const { shape, rate } = Gamma.fromNatural(eta);
      return { kind: Gamma.name, shape, rate, mean: shape / rate };
    },
  };
}

/** A full Λ ~ Wishart(df, scale) (n×n). */
export function fullNoisePrecision(n: number, prior: { readonly df: number; readonly scale: ArrayLike<number> }): NoisePrecision {
  const W = Wishart(n), stats = new Float64Array(W.size), m = W.matrixOffset(0);
  return {
    n,
    prior: W.toNatural({ df: prior.df, scale: Float64Array.from(prior.scale) }),
    expectations(eta) {
      W.expectedStats(eta, stats);
      return { n, mean: stats.slice(m, m + n * n), meanLogDet: W.elogdet(stats, 0) };
    },
    addMessage(count, scatter, out) {
      // ½ log|Λ| − ½ tr(Λ S) per residual: [(ν − n − 1)/2, vec(−½V⁻¹)] += [½, −½ sym(S)].
      out[W.logDetOffset(0)] += 0.5 * count;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[m + i * n + j] = out[m + i * n + j]! - 0.25 * (scatter[i * n + j]! + scatter[j * n + i]!);
    },
    snapshot(eta) {
      const { df, scale } = W.fromNatural(eta);
      return { kind: W.name, df, mean: Array.from(scale, (v) => df * v) };
    },
  };
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
