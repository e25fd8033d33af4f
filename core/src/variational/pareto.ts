/**
 * The generalised Pareto distribution GPD(k, σ) on x ≥ 0, F(x) = 1 − (1 + kx/σ)^{−1/k}, and its
 * fit by the empirical-Bayes method of Zhang & Stephens (2009) with the weakly informative prior
 * on k used by PSIS (Vehtari et al. 2024): k is shrunk as (n·k + 10·0.5)/(n + 10).
 */
import { VireoError } from "../errors.js";

export interface ParetoFit {
  /** Shape k (the tail index: moments of order ≥ 1/k do not exist). */
  readonly k: number;
  /** Scale σ > 0. */
  readonly sigma: number;
}

/** Quantile of GPD(k, σ) at probability p ∈ [0, 1). */
export function gpdQuantile(p: number, k: number, sigma: number): number {
  return Math.abs(k) < 1e-12 ? -sigma * Math.log1p(-p) : (sigma / k) * Math.expm1(-k * Math.log1p(-p));
}

/**
 * Fits GPD(k, σ) to positive exceedances `x` (any order; not modified). Throws for fewer than 5
 * values or any negative or non-finite one.
 */
export function fitGeneralisedPareto(x: ArrayLike<number>): ParetoFit {
  const n = x.length;
  if (n < 5) throw new VireoError("INVALID_PARAMETER", `fitGeneralisedPareto: needs at least 5 exceedances, got ${n}.`, { parameter: "x" });
  const xs = Float64Array.from(x).sort();
  if (!(xs[0]! >= 0) || !Number.isFinite(xs[n - 1]!)) {
    throw new VireoError("INVALID_PARAMETER", `fitGeneralisedPareto: exceedances must be finite and ≥ 0, got range [${xs[0]}, ${xs[n - 1]}].`, { parameter: "x" });
  }
  const prior = 3, m = 30 + Math.floor(Math.sqrt(n));
  const xStar = xs[Math.floor(n / 4 + 0.5) - 1]!, xMax = xs[n - 1]!;
  if (!(xMax > 0) || !(xStar > 0)) {
    throw new VireoError("INVALID_PARAMETER", "fitGeneralisedPareto: the exceedances are (nearly) all zero; there is no tail to fit.", { parameter: "x" });
  }
  const theta = new Float64Array(m), logLik = new Float64Array(m);
  let maxL = -Infinity;
  for (let j = 0; j < m; j++) {
    const t = 1 / xMax + (1 - Math.sqrt(m / (j + 0.5))) / prior / xStar;
    theta[j] = t;
    // Profile log-likelihood of θ = −k/σ: n (log(−θ/k) − k − 1) with k = mean log(1 − θx).
    let kk = 0;
    for (let i = 0; i < n; i++) kk += Math.log1p(-t * xs[i]!);
    kk /= n;
    const l = n * (Math.log(-t / kk) - kk - 1);
    logLik[j] = Number.isFinite(l) ? l : -Infinity;
    if (logLik[j]! > maxL) maxL = logLik[j]!;
  }
  let wSum = 0, thetaHat = 0;
  for (let j = 0; j < m; j++) {
    const w = Math.exp(logLik[j]! - maxL);
    wSum += w;
    thetaHat += w * theta[j]!;
  }
  thetaHat /= wSum;
  let k = 0;
  for (let i = 0; i < n; i++) k += Math.log1p(-thetaHat * xs[i]!);
  k /= n;
  const sigma = -k / thetaHat;
  return { k: (n * k + 10 * 0.5) / (n + 10), sigma };
}
