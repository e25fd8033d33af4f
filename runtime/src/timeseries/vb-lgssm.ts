/**
 * Variational Bayes for linear Gaussian state-space models (Beal 2003, ch. 5) with the chain of
 * states as one structured block: q(x, θ) = q(x_0 … x_{T−1}) q(Λ_Q) q(Λ_R).
 *  - E-step: exp E_θ[log p(y, x | θ)] is itself a linear Gaussian chain with covariances E[Λ]⁻¹,
 *    so q(x) is exactly the Kalman filter + RTS smoother run with those, and the ELBO at that point
 *    is the collapsed bound  log Z̃ − KL(q(θ) ‖ p(θ)),  log Z̃ = filter evidence + per-residual
 *    ½ (E[log|Λ|] − log|E[Λ]|) terms.
 *  - M-step: conjugate updates of q(Λ) from the smoothed statistics (node messages).
 *  - ELBO after the M-step, explicitly: Σ E_q[log f] + H[q(x)] (the chain entropy from the
 *    smoother) − KL(q(θ) ‖ p(θ)). Both half-steps are exact coordinate ascent, so the trace never
 *    decreases; a decrease beyond round-off throws NUMERICAL_FAILURE naming the half-step.
 */
import {
  VireoError, Gamma, Wishart, kalmanFilter, rtsSmoother, allocateKalmanBuffers, allocateSmootherBuffers,
  KalmanWorkspace, RtsWorkspace, type KalmanBuffers, type SmootherBuffers, type GaussianChainParams,
} from "@vireo/core";
import {
  LinearGaussianTransition, LinearGaussianEmission, expectPrecision, knownPrecision, effectiveCovariance,
  gaussianExpectedLog, type PrecisionExpectations,
} from "@vireo/nodes";
import { resolveLgssm, packObservations, summarisePrecision, type LgssmSpec, type ResolvedNoise, type PrecisionSummary } from "./lgssm-model.js";

export interface VbLgssmOptions {
  /** Maximum number of E/M iterations (default 100). */
  readonly maxIterations?: number;
  /** Stop when the ELBO rises by less than tolerance · |ELBO| in one iteration (default 1e-10). */
  readonly tolerance?: number;
}

export interface LgssmFit {
  readonly iterations: number;
  readonly converged: boolean;
  /** The ELBO after each iteration's M-step (non-decreasing). */
  readonly elbo: readonly number[];
  /** Smoothed means (T×d) and covariances (T×d×d) of the last E-step. */
  readonly smoothedMean: Float64Array;
  readonly smoothedCov: Float64Array;
  readonly observationPrecision: PrecisionSummary | null;
  readonly transitionPrecision: PrecisionSummary | null;
}

/** Relative slack for round-off when checking that the ELBO does not decrease. */
const MONOTONE_SLACK = 1e-9;

export class VbLgssm {
  readonly T: number;
  readonly d: number;
  readonly p: number;
  readonly y: Float64Array;
  /** q(Λ_Q), q(Λ_R) natural parameters (null when the noise is known). */
  qTransition: Float64Array | null;
  qObservation: Float64Array | null;
  readonly filtered: KalmanBuffers;
  readonly smoothed: SmootherBuffers;
  /** H[q(x)] from the last E-step, and the collapsed bound it came with. */
  chainEntropy = NaN;
  collapsedElbo = NaN;
  private readonly base: GaussianChainParams;
  private readonly noiseQ: ResolvedNoise;
  private readonly noiseR: ResolvedNoise;
  private readonly eff: { Q: Float64Array; R: Float64Array };
  private readonly kws: KalmanWorkspace;
  private readonly rws: RtsWorkspace;

  constructor(spec: LgssmSpec, observations: ArrayLike<ArrayLike<number>> | ArrayLike<number>) {
    const m = resolveLgssm(spec, "VbLgssm");
    this.d = m.d;
    this.p = m.p;
    this.base = m.chain;
    this.noiseQ = m.transitionNoise;
    this.noiseR = m.observationNoise;
    this.y = packObservations(observations, m.p, "VbLgssm");
    this.T = this.y.length / m.p;
    this.qTransition = this.noiseQ.kind === "known" ? null : this.noiseQ.prior.slice();
    this.qObservation = this.noiseR.kind === "known" ? null : this.noiseR.prior.slice();
    this.filtered = allocateKalmanBuffers(this.T, this.d);
    this.smoothed = allocateSmootherBuffers(this.T, this.d);
    this.eff = { Q: this.base.Q.slice(), R: this.base.R.slice() };
    this.kws = new KalmanWorkspace(this.d, this.p);
    this.rws = new RtsWorkspace(this.d);
  }

  private expectations(noise: ResolvedNoise, q: Float64Array | null): PrecisionExpectations {
    return noise.kind === "known" ? knownPrecision(noise.covariance, noise.n) : expectPrecision(noise.kind, noise.n, q!);
  }

  /** Σ KL(q(Λ) ‖ p(Λ)) over the learnt noise terms. */
  parameterKl(): number {
    let kl = 0;
    for (const [noise, q] of [[this.noiseQ, this.qTransition], [this.noiseR, this.qObservation]] as const) {
      if (noise.kind === "known") continue;
      kl += (noise.kind === "Gamma" ? Gamma : Wishart(noise.n)).kl(q!, noise.prior);
    }
    return kl;
  }

  /** Updates q(x) given q(θ); returns the collapsed ELBO, which equals the ELBO at this point. */
  eStep(): number {
    const T = this.T;
    const peQ = this.expectations(this.noiseQ, this.qTransition);
    const peR = this.expectations(this.noiseR, this.qObservation);
    const corrQ = this.noiseQ.kind === "known" ? 0 : effectiveCovariance(peQ, this.eff.Q);
    const corrR = this.noiseR.kind === "known" ? 0 : effectiveCovariance(peR, this.eff.R);
    const chain: GaussianChainParams = { ...this.base, Q: this.eff.Q, R: this.eff.R };
    const logZ = kalmanFilter(chain, this.y, T, this.filtered, this.kws) + (T - 1) * corrQ + T * corrR;
    this.chainEntropy = rtsSmoother(chain, T, this.filtered, this.smoothed, this.rws, true);
    this.collapsedElbo = logZ - this.parameterKl();
    return this.collapsedElbo;
  }

  /** Conjugate updates of the learnt noise precisions from the smoothed chain statistics. */
  mStep(): void {
    if (this.qTransition !== null && this.noiseQ.kind !== "known") {
      const q = this.noiseQ.prior.slice();
      LinearGaussianTransition.precisionMessage(this.noiseQ.kind, this.smoothed, this.T, this.base.A, q);
      this.qTransition = q;
    }
    if (this.qObservation !== null && this.noiseR.kind !== "known") {
      const q = this.noiseR.prior.slice();
      LinearGaussianEmission.precisionMessage(this.noiseR.kind, this.y, this.p, this.smoothed, this.T, this.base.C, q);
      this.qObservation = q;
    }
  }

  /** The ELBO of the current q(x) (last E-step) and q(θ), computed term by term. */
  elbo(): number {
    const { T, d, p, base, smoothed: s } = this;
    // Initial state: E[log N(x_0; m0, P0)] with scatter P_0 + (m_0 − m0)(m_0 − m0)ᵀ.
    const scatter0 = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      scatter0[i * d + j] = s.smoothedCov[i * d + j]! + (s.smoothedMean[i]! - base.m0[i]!) * (s.smoothedMean[j]! - base.m0[j]!);
    }
    let L = gaussianExpectedLog(knownPrecision(base.P0, d), 1, scatter0);
    L += LinearGaussianTransition.expectedLogFactor(s, T, base.A, this.expectations(this.noiseQ, this.qTransition));
    L += LinearGaussianEmission.expectedLogFactor(this.y, p, s, T, base.C, this.expectations(this.noiseR, this.qObservation));
    return L + this.chainEntropy - this.parameterKl();
  }

  /** Iterates E- and M-steps until the ELBO stalls; asserts it never decreases. */
  fit(options: VbLgssmOptions = {}): LgssmFit {
    const maxIterations = options.maxIterations ?? 100, tolerance = options.tolerance ?? 1e-10;
    if (!(Number.isInteger(maxIterations) && maxIterations >= 1) || !(tolerance >= 0)) {
      throw new VireoError("INVALID_OPTION", `VbLgssm.fit: maxIterations must be an integer ≥ 1 and tolerance ≥ 0, got ${maxIterations} and ${tolerance}.`);
    }
    const trace: number[] = [];
    let prev = -Infinity, converged = false, it = 0;
    const check = (value: number, half: string): void => {
      if (value < prev - MONOTONE_SLACK * (1 + Math.abs(prev))) {
        throw new VireoError(
          "NUMERICAL_FAILURE",
          `VbLgssm: the ELBO decreased from ${prev} to ${value} in the ${half} of iteration ${it}. ` +
            `Coordinate ascent cannot decrease it: the model is numerically ill-conditioned (check the scales of Q, R, P0).`,
          { node: half },
        );
      }
      prev = value;
    };
    while (it < maxIterations) {
      it++;
      check(this.eStep(), "E-step (Kalman filter + RTS smoother)");
      if (this.qTransition === null && this.qObservation === null) {
        trace.push(this.collapsedElbo);
        converged = true;
        break;
      }
      this.mStep();
      const value = this.elbo();
      check(value, "M-step (noise precision updates)");
      const gain = trace.length > 0 ? value - trace[trace.length - 1]! : Infinity;
      trace.push(value);
      if (gain <= tolerance * Math.abs(value)) {
        converged = true;
        break;
      }
    }
    // Leave q(x) consistent with the final q(θ).
    if (this.qTransition !== null || this.qObservation !== null) this.eStep();
    return {
      iterations: it,
      converged,
      elbo: trace,
      smoothedMean: this.smoothed.smoothedMean.slice(),
      smoothedCov: this.smoothed.smoothedCov.slice(),
      observationPrecision: this.qObservation && this.noiseR.kind !== "known" ? summarisePrecision(this.noiseR.kind, this.p, this.qObservation) : null,
      transitionPrecision: this.qTransition && this.noiseQ.kind !== "known" ? summarisePrecision(this.noiseQ.kind, this.d, this.qTransition) : null,
    };
  }
}

/** Fits an LGSSM by variational Bayes (see VbLgssm). */
export function fitLgssm(spec: LgssmSpec, observations: ArrayLike<ArrayLike<number>> | ArrayLike<number>, options?: VbLgssmOptions): LgssmFit {
  return new VbLgssm(spec, observations).fit(options);
}
