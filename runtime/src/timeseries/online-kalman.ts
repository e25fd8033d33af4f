/**
 * The synchronous state machine behind the streaming filter: one observation per `step`, constant
 * memory. It keeps the current filtered state plus a window of the last `lag` + 1 steps (filtered,
 * predicted, observations) for fixed-lag RTS smoothing, and optionally learns the observation-noise
 * precision online (Gamma isotropic or Wishart): filter with the current E[Λ]⁻¹, and add to q(Λ)
 * the smoothed residual statistics E[(y − Cx)(y − Cx)ᵀ] of the observation leaving the window.
 * Learning uses a window of at least one step even when lag = 0: the purely filtered residuals of
 * the local VB update (Särkkä & Nummenmaa 2009) make the running estimate converge very slowly from
 * a distant prior (a 16% bias after 10⁴ steps in our tests), one step of smoothing removes that.
 * Forgetting ρ ∈ (0, 1] discounts the evidence accumulated so far: η ← η₀ + ρ (η − η₀) per step.
 */
import { freeze } from "immer";
import {
  VireoError, kalmanPredict, kalmanUpdate, rtsSmoother, allocateKalmanBuffers, allocateSmootherBuffers,
  KalmanWorkspace, RtsWorkspace, type KalmanBuffers, type SmootherBuffers, type GaussianChainParams,
} from "@vireo/core";
import { effectiveCovariance, type NoisePrecision, type NoisePrecisionSnapshot } from "./noise-precision.js";
import { resolveLgssm, type LgssmSpec } from "./lgssm-model.js";

export interface OnlineFilterOptions {
  /** Fixed-lag smoothing window: also emit the smoothed estimate of the state `lag` steps back (default 0). */
  readonly lag?: number;
  /** Forgetting factor ρ ∈ (0, 1] for online noise learning (default 1: plain accumulation). */
  readonly forgetting?: number;
}

export type { NoisePrecisionSnapshot } from "./noise-precision.js";

/** What the streaming filter emits: plain, frozen, with numbers copied out of the buffers. */
export interface FilterSnapshot {
  /** 0-based index, in the stream, of the last observation (time step) taken into the state. */
  readonly step: number;
  readonly mean: readonly number[];
  /** d×d row-major. */
  readonly covariance: readonly number[];
  /** log p(y_step | y_<step) under the parameters before that observation (0 for a missing step). */
  readonly logPredictive: number;
  /** Fixed-lag estimate of the state at step − lag (null until the window is full or with lag 0). */
  readonly smoothed: { readonly step: number; readonly mean: readonly number[]; readonly covariance: readonly number[] } | null;
  readonly observationPrecision: NoisePrecisionSnapshot | null;
  /** Observations skipped so far as invalid (see the operator's onInvalid option). */
  readonly skipped: number;
}

export class OnlineKalman {
  readonly d: number;
  readonly p: number;
  readonly lag: number;
  /** Observations taken in so far. */
  count = 0;
  private readonly par: GaussianChainParams;
  /** The learnt observation-noise precision, or null when the noise is known. */
  private readonly noise: NoisePrecision | null;
  private readonly prior: Float64Array;
  private eta: Float64Array;
  private readonly rho: number;
  /** Slots of the window: lag + 1, and at least 2 when learning. */
  private readonly W: number;
  private readonly R: Float64Array;
  private readonly win: KalmanBuffers;
  private readonly sm: SmootherBuffers;
  private readonly ywin: Float64Array;
  /** 1 where the window slot's observation was missing (skipped): no update, no noise statistics. */
  private readonly missing: Uint8Array;
  private readonly scatter: Float64Array;
  private readonly resid: Float64Array;
  private readonly kws: KalmanWorkspace;
  private readonly rws: RtsWorkspace;
  private logPred = NaN;
  private smoothedReady = false;

  constructor(spec: LgssmSpec, options: OnlineFilterOptions = {}) {
    const m = resolveLgssm(spec, "kalmanFilter");
    if (m.transitionNoise.kind !== "known") {
      throw new VireoError("INVALID_MODEL", "kalmanFilter: the streaming filter needs a known transitionNoise ({ covariance }); learn it offline with a graph model (ChainDynamics with a random precision).", { parameter: "transitionNoise" });
    }
    const lag = options.lag ?? 0, rho = options.forgetting ?? 1;
    if (!(Number.isInteger(lag) && lag >= 0 && lag <= 10_000)) throw new VireoError("INVALID_OPTION", `kalmanFilter: 'lag' must be an integer in [0, 10000], got ${lag}.`, { parameter: "lag" });
    if (!(rho > 0 && rho <= 1)) throw new VireoError("INVALID_OPTION", `kalmanFilter: 'forgetting' must be in (0, 1], got ${rho}.`, { parameter: "forgetting" });
    const { d, p } = m;
    this.d = d;
    this.p = p;
    this.lag = lag;
    this.rho = rho;
    this.R = m.chain.observationCovariance.slice();
    this.par = { ...m.chain, observationCovariance: this.R };
    const noise = m.observationNoise;
    this.noise = noise.kind === "known" ? null : noise.precision;
    this.prior = this.noise === null ? new Float64Array(0) : this.noise.prior;
    this.eta = this.prior.slice();
    this.W = this.noise === null ? lag + 1 : Math.max(lag, 1) + 1;
    this.win = allocateKalmanBuffers(this.W, d);
    this.sm = allocateSmootherBuffers(this.W, d);
    this.ywin = new Float64Array(this.W * p);
    this.missing = new Uint8Array(this.W);
    this.scatter = new Float64Array(p * p);
    this.resid = new Float64Array(p);
    this.kws = new KalmanWorkspace(d, p);
    this.rws = new RtsWorkspace(d);
  }

  /** Sets R to E[Λ]⁻¹ of the current q(Λ). */
  private refreshR(): void {
    if (this.noise !== null) effectiveCovariance(this.noise.expectations(this.eta), this.R);
  }

  /** E[(y − C x)(y − C x)ᵀ] for y at ys[yOff…] and x ~ N(m[mOff…], P[POff…]) into `scatter`. */
  private residualScatter(ys: Float64Array, yOff: number, m: Float64Array, mOff: number, P: Float64Array, POff: number): Float64Array {
    const { d, p, scatter, resid } = this, C = this.par.observation;
    for (let a = 0; a < p; a++) {
      let s = ys[yOff + a]!;
      for (let k = 0; k < d; k++) s -= C[a * d + k]! * m[mOff + k]!;
      resid[a] = s;
    }
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        let s = resid[a]! * resid[b]!;
        for (let k = 0; k < d; k++) {
          let pc = 0;
          for (let l = 0; l < d; l++) pc += P[POff + k * d + l]! * C[b * d + l]!;
          s += C[a * d + k]! * pc;
        }
        scatter[a * p + b] = s;
      }
    }
    return scatter;
  }

  /** η ← η₀ + ρ (η − η₀): discount the evidence gathered so far. */
  private forget(): void {
    if (this.rho === 1) return;
    for (let i = 0; i < this.eta.length; i++) this.eta[i] = this.prior[i]! + this.rho * (this.eta[i]! - this.prior[i]!);
  }

  /**
   * Takes one validated observation (p finite numbers) into the state; with y = null the step is
   * missing: time advances (predict only) and the observation leaves no trace.
   */
  step(y: ArrayLike<number> | null): void {
    const { d, p, lag, W, win, par, kws } = this;
    const dd = d * d;
    let s = this.count, prev = s - 1;
    if (s >= W) {
      // Shift the window one slot left: fixed memory, contiguous for the smoother kernel.
      win.filteredMean.copyWithin(0, d);
      win.filteredCov.copyWithin(0, dd);
      win.predictedMean.copyWithin(0, d);
      win.predictedCov.copyWithin(0, dd);
      this.ywin.copyWithin(0, p);
      this.missing.copyWithin(0, 1);
      s = W - 1;
      prev = W >= 2 ? W - 2 : 0; // with lag 0 the single slot is read (predict) before it is overwritten (update)
    }
    this.missing[s] = y === null ? 1 : 0;
    if (y !== null) for (let a = 0; a < p; a++) this.ywin[s * p + a] = y[a]!;
    if (this.count === 0) {
      win.predictedMean.set(par.initialMean, 0);
      win.predictedCov.set(par.initialCovariance, 0);
    } else {
      kalmanPredict(par, win.filteredMean, prev * d, win.filteredCov, prev * dd, win.predictedMean, s * d, win.predictedCov, s * dd, kws);
    }
    if (y === null) {
      // Missing observation: the filtered state is the prediction.
      for (let i = 0; i < d; i++) win.filteredMean[s * d + i] = win.predictedMean[s * d + i]!;
      for (let i = 0; i < dd; i++) win.filteredCov[s * dd + i] = win.predictedCov[s * dd + i]!;
      this.logPred = 0;
    } else {
      this.refreshR();
      this.logPred = kalmanUpdate(par, this.ywin, s * p, win.predictedMean, s * d, win.predictedCov, s * dd, win.filteredMean, s * d, win.filteredCov, s * dd, kws);
    }
    this.count++;
    if (this.count < W || (lag === 0 && this.noise === null)) return;
    // Window full: smooth it; slot 0 is the state `W − 1` steps back.
    rtsSmoother(par, W, win, this.sm, this.rws);
    this.smoothedReady = lag > 0;
    if (this.noise !== null && this.missing[0] === 0) {
      this.forget();
      this.noise.addMessage(1, this.residualScatter(this.ywin, 0, this.sm.smoothedMean, 0, this.sm.smoothedCov, 0), this.eta);
    }
  }

  /** A frozen plain-object snapshot of the current state. */
  snapshot(skipped = 0): FilterSnapshot {
    const { d, win } = this, dd = d * d;
    if (this.count === 0) {
      throw new VireoError("INVALID_STATE", "kalmanFilter: no observation has been taken in yet, so there is no filtered state to report.");
    }
    const s = Math.min(this.count, this.W) - 1;
    let precision: NoisePrecisionSnapshot | null = null;
    if (this.noise !== null) precision = this.noise.snapshot(this.eta);
    return freeze(
      {
        step: this.count - 1,
        mean: Array.from(win.filteredMean.subarray(s * d, s * d + d)),
        covariance: Array.from(win.filteredCov.subarray(s * dd, s * dd + dd)),
        logPredictive: this.logPred,
        smoothed: this.smoothedReady
          ? { step: this.count - this.W, mean: Array.from(this.sm.smoothedMean.subarray(0, d)), covariance: Array.from(this.sm.smoothedCov.subarray(0, dd)) }
          : null,
        observationPrecision: precision,
        skipped,
      },
      true,
    );
  }
}
