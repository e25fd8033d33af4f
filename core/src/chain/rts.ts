/**
 * Rauch–Tung–Striebel smoother over the outputs of kalmanFilterSeries, writing smoothed means,
 * covariances and the lag-one cross-covariances Cov(x_{t+1}, x_t) that the M-steps of VB need.
 * Optionally returns the exact entropy of the smoothed chain,
 *   H[q(x)] = H[x_{T−1}] + Σ_t H[x_t | x_{t+1}],  Cov(x_t | x_{t+1}) = Pf_t − J_t A Pf_t,
 * since q(x_t | x_{t+1}, y) = p(x_t | x_{t+1}, y_0…y_t) does not depend on later data.
 */
import { VireoError } from "../errors.js";
import { LOG_2PI } from "../special/functions.js";
import type { GaussianChainParams, KalmanBuffers, SmootherBuffers } from "./gaussian-chain.js";

export class RtsWorkspace {
  readonly d: number;
  /** Cholesky factor of the predicted covariance; then of the backward conditional covariance. */
  readonly L: Float64Array;
  readonly AP: Float64Array;
  readonly J: Float64Array;
  readonly D: Float64Array;
  readonly JD: Float64Array;
  readonly col: Float64Array;
  readonly diff: Float64Array;
  constructor(d: number) {
    this.d = d;
    this.L = new Float64Array(d * d);
    this.AP = new Float64Array(d * d);
    this.J = new Float64Array(d * d);
    this.D = new Float64Array(d * d);
    this.JD = new Float64Array(d * d);
    this.col = new Float64Array(d);
    this.diff = new Float64Array(d);
  }
}

/** In-place Cholesky of the d×d block at a[aOff…] into L; returns log det, or throws naming the step. */
function cholLogDet(a: Float64Array, aOff: number, d: number, L: Float64Array, what: string, step: number): number {
  let logDet = 0;
  for (let j = 0; j < d; j++) {
    let s = a[aOff + j * d + j]!;
    for (let k = 0; k < j; k++) s -= L[j * d + k]! * L[j * d + k]!;
    if (!(s > 0)) {
      throw new VireoError(
        "NOT_POSITIVE_DEFINITE",
        `RTS smoother: the ${what} at step ${step} is not positive definite (pivot ${j} is ${s}). ` +
          `The transition noise Q may be (nearly) singular or the covariances may contain NaN.`,
        { row: step },
      );
    }
    const l = Math.sqrt(s);
    L[j * d + j] = l;
    logDet += Math.log(l);
    for (let i = j + 1; i < d; i++) {
      let t = a[aOff + i * d + j]!;
      for (let k = 0; k < j; k++) t -= L[i * d + k]! * L[j * d + k]!;
      L[i * d + j] = t / l;
    }
  }
  return 2 * logDet;
}

/**
 * Smooths T steps of `filt` into `out`. Returns H[q(x)] when `entropy` is true (one extra d×d
 * Cholesky per step), NaN otherwise.
 */
export function rtsSmoother(
  par: GaussianChainParams,
  T: number,
  filt: KalmanBuffers,
  out: SmootherBuffers,
  ws: RtsWorkspace = new RtsWorkspace(par.d),
  entropy = false,
): number {
  const d = par.d, dd = d * d, A = par.transition;
  if (filt.T < T || out.T < T || filt.d !== d || out.d !== d || ws.d !== d) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `rtsSmoother: expected filter and smoother buffers for T ≥ ${T} steps of dimension ${d} and a workspace for d = ${d}; got filter (${filt.T}, ${filt.d}), smoother (${out.T}, ${out.d}), workspace ${ws.d}.`,
    );
  }
  const { filteredMean: mf, filteredCov: Pf, predictedMean: mp, predictedCov: Pp } = filt;
  const { smoothedMean: ms, smoothedCov: Ps, crossCov: Cx } = out;
  const { L, AP, J, D, JD, col, diff } = ws;
  const last = T - 1;
  for (let i = 0; i < d; i++) ms[last * d + i] = mf[last * d + i]!;
  for (let i = 0; i < dd; i++) Ps[last * dd + i] = Pf[last * dd + i]!;
  for (let i = 0; i < dd; i++) Cx[i] = 0;
  const c = 0.5 * d * (1 + LOG_2PI);
  let H = entropy ? c + 0.5 * cholLogDet(Ps, last * dd, d, L, "smoothed covariance", last) : NaN;
  for (let t = T - 2; t >= 0; t--) {
    const f = t * dd, n = (t + 1) * dd;
    // AP = A Pf_t; Jᵀ = Pp_{t+1}⁻¹ A Pf_t, solved column by column with the Cholesky factor.
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += A[i * d + k]! * Pf[f + k * d + j]!;
        AP[i * d + j] = s;
      }
    }
    cholLogDet(Pp, n, d, L, "predicted covariance", t + 1);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < d; i++) {
        let s = AP[i * d + j]!;
        for (let k = 0; k < i; k++) s -= L[i * d + k]! * col[k]!;
        col[i] = s / L[i * d + i]!;
      }
      for (let i = d - 1; i >= 0; i--) {
        let s = col[i]!;
        for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * col[k]!;
        col[i] = s / L[i * d + i]!;
      }
      for (let i = 0; i < d; i++) J[j * d + i] = col[i]!; // J = (Jᵀ)ᵀ
    }
    // ms_t = mf_t + J (ms_{t+1} − mp_{t+1});  D = Ps_{t+1} − Pp_{t+1}.
    for (let i = 0; i < d; i++) diff[i] = ms[(t + 1) * d + i]! - mp[(t + 1) * d + i]!;
    for (let i = 0; i < d; i++) {
      let s = mf[t * d + i]!;
      for (let k = 0; k < d; k++) s += J[i * d + k]! * diff[k]!;
      ms[t * d + i] = s;
    }
    for (let i = 0; i < dd; i++) D[i] = Ps[n + i]! - Pp[n + i]!;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += J[i * d + k]! * D[k * d + j]!;
        JD[i * d + j] = s;
      }
    }
    // Ps_t = Pf_t + J D Jᵀ (symmetrised);  Cov(x_{t+1}, x_t) = Ps_{t+1} Jᵀ.
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += JD[i * d + k]! * J[j * d + k]!;
        const v = 0.5 * (Pf[f + i * d + j]! + Pf[f + j * d + i]!) + s;
        Ps[f + i * d + j] = v;
        Ps[f + j * d + i] = v;
      }
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += Ps[n + i * d + k]! * J[j * d + k]!;
        Cx[n + i * d + j] = s;
      }
    }
    if (entropy) {
      // Backward conditional covariance Pf_t − J A Pf_t, symmetrised into D.
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0, u = 0;
          for (let k = 0; k < d; k++) {
            s += J[i * d + k]! * AP[k * d + j]!;
            u += J[j * d + k]! * AP[k * d + i]!;
          }
          const v = 0.5 * (Pf[f + i * d + j]! + Pf[f + j * d + i]! - s - u);
          D[i * d + j] = v;
          D[j * d + i] = v;
        }
      }
      H += c + 0.5 * cholLogDet(D, 0, d, L, "backward conditional covariance", t);
    }
  }
  return H;
}
