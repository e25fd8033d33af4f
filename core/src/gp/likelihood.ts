/**
 * The likelihood contract of a GP model: each row's target y depends on the latent f(x) only, and
 * the model needs E_{q(f)}[log p(y | f)] for q(f) = N(μ, s) with its derivatives in μ, s and the
 * likelihood's own positive parameters (GPflow's "variational expectations"). The Gaussian
 * likelihood is closed form here; Bernoulli and Poisson likelihoods use Gauss–Hermite quadrature
 * (`@vireo/nodes`, gp-likelihoods).
 */
import { VireoError, fmt } from "../errors.js";

export interface GpLikelihood {
  readonly name: string;
  /** Number of positive parameters (the Gaussian noise variance; 0 for Bernoulli/Poisson). */
  readonly size: number;
  readonly parameterNames: readonly string[];
  getParams(out: Float64Array, offset: number): void;
  setParams(src: Float64Array, offset: number): void;
  /** True when every E[log p] is a quadratic in f (natural-gradient steps with ρ = 1 reach the optimum). */
  readonly conjugate: boolean;
  /** Throws INVALID_DATA naming `what` and the row when a target is outside the support. */
  checkTargets(y: Float64Array, what: string): void;
  /**
   * For rows 0..n−1: writes dμ_i = ∂E_i/∂μ_i and ds_i = ∂E_i/∂s_i, adds scale · ∂E_i/∂θ to
   * grad[offset..], and returns Σ_i E_i (unscaled).
   */
  expectations(y: Float64Array, mu: Float64Array, s: Float64Array, n: number, dmu: Float64Array, ds: Float64Array, scale: number, grad: Float64Array | null, offset: number): number;
  /** Predictive mean and variance of y at latent N(μ, s), into out[0], out[1]. */
  predict(mu: number, s: number, out: Float64Array): void;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** y = f + ε, ε ~ N(0, σ²). */
export class GaussianLikelihood implements GpLikelihood {
  readonly name = "gaussian";
  readonly size = 1;
  readonly parameterNames = Object.freeze(["noiseVariance"]);
  readonly conjugate = true;
  variance: number;

  constructor(variance = 1) {
    if (typeof variance !== "number" || !(variance > 0) || !Number.isFinite(variance)) {
      throw new VireoError("INVALID_PARAMETER", `gaussian likelihood: 'noiseVariance' must be a finite number > 0, got ${typeof variance === "number" ? fmt(variance) : typeof variance}.`, { parameter: "noiseVariance" });
    }
    this.variance = variance;
  }

  getParams(out: Float64Array, offset: number): void {
    out[offset] = this.variance;
  }

  setParams(src: Float64Array, offset: number): void {
    this.variance = src[offset]!;
  }

  checkTargets(): void {
    // Any finite value (finiteness is checked at the edge for every likelihood).
  }

  expectations(y: Float64Array, mu: Float64Array, s: Float64Array, n: number, dmu: Float64Array, ds: Float64Array, scale: number, grad: Float64Array | null, offset: number): number {
    const v = this.variance, inv = 1 / v;
    let total = 0, sq = 0;
    for (let i = 0; i < n; i++) {
      const r = y[i]! - mu[i]!, q = r * r + s[i]!;
      sq += q;
      total += -0.5 * q * inv;
      dmu[i] = r * inv;
      ds[i] = -0.5 * inv;
    }
    total -= 0.5 * n * (LOG_2PI + Math.log(v));
    if (grad) grad[offset] += scale * (-0.5 * n * inv + 0.5 * sq * inv * inv);
    return total;
  }

  predict(mu: number, s: number, out: Float64Array): void {
    out[0] = mu;
    out[1] = s + this.variance;
  }
}

export function gaussianLikelihood(noiseVariance = 1): GaussianLikelihood {
  return new GaussianLikelihood(noiseVariance);
}
