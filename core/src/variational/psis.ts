/**
 * Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao & Gabry, JMLR 2024). Given
 * log importance ratios log r_s = log p(y, z_s) − log q(z_s) of draws z_s ~ q, the largest
 * M = ⌈min(0.2 S, 3√S)⌉ ratios are replaced by the expected order statistics of a generalised
 * Pareto fitted to them (truncated at the largest raw ratio). The fitted shape k̂ is the diagnostic:
 * k̂ ≤ 0.7 (more precisely ≤ 1 − 1/log₁₀ S) means the importance-sampling estimates are reliable;
 * above it, q is too far from the posterior to be trusted, or corrected.
 */
import { VireoError } from "../errors.js";
import { fitGeneralisedPareto, gpdQuantile } from "./pareto.js";

export interface PsisResult {
  /** Smoothed log weights, normalised so Σ exp = 1 (same order as the input). */
  readonly logWeights: Float64Array;
  /** Pareto shape of the tail; −∞ when the largest ratios are all equal (no tail at all). */
  readonly khat: number;
  /** The sample-size-dependent threshold min(1 − 1/log₁₀ S, 0.7). */
  readonly threshold: number;
  /** khat ≤ threshold. */
  readonly reliable: boolean;
  /** Tail length M. */
  readonly tailLength: number;
  /** Effective sample size 1 / Σ w̃². */
  readonly ess: number;
  /** log of the mean smoothed ratio: a PSIS estimate of log p(y) when the ratios are p(y, z)/q(z). */
  readonly logMeanRatio: number;
}

/** Pareto-smooths log importance ratios (length S ≥ 10, finite or −∞; not modified). */
export function psis(logRatios: ArrayLike<number>): PsisResult {
  const S = logRatios.length;
  if (S < 10) throw new VireoError("INVALID_PARAMETER", `psis: needs at least 10 draws, got ${S}; use a few hundred or more.`, { parameter: "draws" });
  let max = -Infinity;
  for (let s = 0; s < S; s++) {
    const v = logRatios[s]!;
    if (Number.isNaN(v) || v === Infinity) {
      throw new VireoError("INVALID_PARAMETER", `psis: log ratio ${s} is ${v}; log p(y, z) − log q(z) must be finite or −∞.`, { parameter: "draws", row: s });
    }
    if (v > max) max = v;
  }
  if (max === -Infinity) throw new VireoError("INVALID_PARAMETER", "psis: every log ratio is −∞ (q puts all its draws where the model has no density).", { parameter: "draws" });
  const lw = new Float64Array(S);
  for (let s = 0; s < S; s++) lw[s] = logRatios[s]! - max;
  const M = Math.ceil(Math.min(0.2 * S, 3 * Math.sqrt(S)));
  const order = Array.from({ length: S }, (_, i) => i).sort((a, b) => lw[a]! - lw[b]!);
  const cutoff = lw[order[S - M - 1]!]!, expCut = Math.exp(cutoff);
  let khat = -Infinity;
  if (lw[order[S - 1]!]! - cutoff > 1e-12) {
    const exceed = new Float64Array(M);
    for (let i = 0; i < M; i++) exceed[i] = Math.exp(lw[order[S - M + i]!]!) - expCut;
    // Exceedances are ascending. When the lower quarter of the tail underflows to 0 next to its top,
    // the ratios span hundreds of nats: a tail too heavy to fit, k̂ = ∞ (and no smoothing).
    const fit = exceed[Math.floor(M / 4 + 0.5) - 1]! > 0 ? fitGeneralisedPareto(exceed) : { k: Infinity, sigma: NaN };
    khat = fit.k;
    if (Number.isFinite(fit.k)) {
      // The tail, in ascending order, becomes the GPD's expected order statistics (capped at the max raw ratio, 0 here).
      for (let i = 0; i < M; i++) {
        const v = Math.log(expCut + gpdQuantile((i + 0.5) / M, fit.k, fit.sigma));
        lw[order[S - M + i]!] = Math.min(v, 0);
      }
    }
  }
  let m = -Infinity;
  for (let s = 0; s < S; s++) if (lw[s]! > m) m = lw[s]!;
  let sum = 0;
  for (let s = 0; s < S; s++) sum += Math.exp(lw[s]! - m);
  const lse = m + Math.log(sum);
  let sq = 0;
  for (let s = 0; s < S; s++) {
    lw[s] = lw[s]! - lse;
    sq += Math.exp(2 * lw[s]!);
  }
  const threshold = Math.min(1 - 1 / Math.log10(S), 0.7);
  return { logWeights: lw, khat, threshold, reliable: khat <= threshold, tailLength: M, ess: 1 / sq, logMeanRatio: lse + max - Math.log(S) };
}

/** Σ_s w̃_s f_s: a PSIS expectation from normalised log weights and values f_s. */
export function psisExpectation(logWeights: ArrayLike<number>, values: ArrayLike<number>): number {
  if (values.length !== logWeights.length) {
    throw new VireoError("DIMENSION_MISMATCH", `psisExpectation: ${values.length} values for ${logWeights.length} weights.`);
  }
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(logWeights[i]!) * values[i]!;
  return s;
}
