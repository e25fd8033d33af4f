/**
 * Kalman filter kernels on Float64Array buffers addressed by offsets (a subarray per step would
 * allocate). The update uses the Joseph form, which keeps the filtered covariance symmetric positive
 * definite under round-off. Nothing allocates inside the per-step kernels; the workspace holds the
 * scratch for one (d, p).
 */
import { VireoError } from "../errors.js";
import { LOG_2PI } from "../special/functions.js";
import type { GaussianChainParams, KalmanBuffers } from "./gaussian-chain.js";

/** Scratch for the step kernels at one state dimension d and observation dimension p. */
export class KalmanWorkspace {
  readonly d: number;
  readonly p: number;
  readonly S: Float64Array;
  readonly L: Float64Array;
  readonly PCt: Float64Array;
  readonly K: Float64Array;
  readonly KR: Float64Array;
  readonly M: Float64Array;
  readonly MP: Float64Array;
  readonly AP: Float64Array;
  readonly r: Float64Array;
  readonly w: Float64Array;
  constructor(d: number, p: number) {
    this.d = d;
    this.p = p;
    this.S = new Float64Array(p * p);
    this.L = new Float64Array(p * p);
    this.PCt = new Float64Array(d * p);
    this.K = new Float64Array(d * p);
    this.KR = new Float64Array(d * p);
    this.M = new Float64Array(d * d);
    this.MP = new Float64Array(d * d);
    this.AP = new Float64Array(d * d);
    this.r = new Float64Array(p);
    this.w = new Float64Array(p);
  }
}

/** mOut = A m,  POut = A P Aᵀ + Q (symmetrised). */
export function kalmanPredict(
  par: GaussianChainParams,
  m: Float64Array, mOff: number, P: Float64Array, POff: number,
  mOut: Float64Array, mOutOff: number, POut: Float64Array, POutOff: number,
  ws: KalmanWorkspace,
): void {
  const d = par.d, A = par.transition, Q = par.transitionCovariance, AP = ws.AP;
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += A[i * d + k]! * m[mOff + k]!;
    mOut[mOutOff + i] = s;
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let k = 0; k < d; k++) t += A[i * d + k]! * P[POff + k * d + j]!;
      AP[i * d + j] = t;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += AP[i * d + k]! * A[j * d + k]!;
      const v = s + 0.5 * (Q[i * d + j]! + Q[j * d + i]!);
      POut[POutOff + i * d + j] = v;
      POut[POutOff + j * d + i] = v;
    }
  }
}

/**
 * Conditions the prediction (mp, Pp) on y (p values at y[yOff…]) with observation covariance R and
 * writes the filtered (mf, Pf). Returns log N(y; C mp, C Pp Cᵀ + R), the step's evidence.
 * `R` defaults to par.observationCovariance; the VB engines pass an effective covariance.
 */
export function kalmanUpdate(
  par: GaussianChainParams,
  y: ArrayLike<number>, yOff: number,
  mp: Float64Array, mpOff: number, Pp: Float64Array, PpOff: number,
  mf: Float64Array, mfOff: number, Pf: Float64Array, PfOff: number,
  ws: KalmanWorkspace,
  R: Float64Array = par.observationCovariance,
): number {
  const d = par.d, p = par.p, C = par.observation;
  const { S, L, PCt, K, KR, M, MP, r, w } = ws;
  // PCt = Pp Cᵀ (d×p), S = C Pp Cᵀ + R, r = y − C mp.
  for (let i = 0; i < d; i++) {
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += Pp[PpOff + i * d + k]! * C[a * d + k]!;
      PCt[i * p + a] = s;
    }
  }
  for (let a = 0; a < p; a++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += C[a * d + k]! * mp[mpOff + k]!;
    r[a] = y[yOff + a]! - s;
    for (let b = 0; b <= a; b++) {
      let t = 0;
      for (let k = 0; k < d; k++) t += C[a * d + k]! * PCt[k * p + b]!;
      const v = t + 0.5 * (R[a * p + b]! + R[b * p + a]!);
      S[a * p + b] = v;
      S[b * p + a] = v;
    }
  }
  // Cholesky of S (p×p), inline to keep the kernel allocation-free and monomorphic.
  let logDetS = 0;
  for (let j = 0; j < p; j++) {
    let dd = S[j * p + j]!;
    for (let k = 0; k < j; k++) dd -= L[j * p + k]! * L[j * p + k]!;
    if (!(dd > 0)) {
      throw new VireoError(
        "NOT_POSITIVE_DEFINITE",
        `Kalman update: the innovation covariance C P Cᵀ + R is not positive definite (pivot ${j} is ${dd}). ` +
          `Check that R is positive definite and the state covariance has not collapsed or gone NaN.`,
      );
    }
    const ljj = Math.sqrt(dd);
    L[j * p + j] = ljj;
    logDetS += Math.log(ljj);
    for (let i = j + 1; i < p; i++) {
      let s = S[i * p + j]!;
      for (let k = 0; k < j; k++) s -= L[i * p + k]! * L[j * p + k]!;
      L[i * p + j] = s / ljj;
    }
  }
  logDetS *= 2;
  // w = S⁻¹ r; quadratic form rᵀ S⁻¹ r.
  cholSolve(L, p, r, w);
  let quad = 0;
  for (let a = 0; a < p; a++) quad += r[a]! * w[a]!;
  // Gain K = Pp Cᵀ S⁻¹, one row at a time (S symmetric): row i solves S k = PCt[i, :].
  for (let i = 0; i < d; i++) cholSolveRow(L, p, PCt, i * p, K, i * p);
  // mf = mp + K r.
  for (let i = 0; i < d; i++) {
    let s = mp[mpOff + i]!;
    for (let a = 0; a < p; a++) s += K[i * p + a]! * r[a]!;
    mf[mfOff + i] = s;
  }
  // Joseph form: Pf = (I − K C) Pp (I − K C)ᵀ + K R Kᵀ.
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = i === j ? 1 : 0;
      for (let a = 0; a < p; a++) s -= K[i * p + a]! * C[a * d + j]!;
      M[i * d + j] = s;
    }
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += K[i * p + b]! * R[b * p + a]!;
      KR[i * p + a] = s;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += M[i * d + k]! * Pp[PpOff + k * d + j]!;
      MP[i * d + j] = s;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += MP[i * d + k]! * M[j * d + k]!;
      for (let a = 0; a < p; a++) s += KR[i * p + a]! * K[j * p + a]!;
      Pf[PfOff + i * d + j] = s;
      Pf[PfOff + j * d + i] = s;
    }
  }
  return -0.5 * (p * LOG_2PI + logDetS + quad);
}

/** out = (L Lᵀ)⁻¹ b for p-vectors. */
function cholSolve(L: Float64Array, p: number, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * out[k]!;
    out[i] = s / L[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = out[i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * out[k]!;
    out[i] = s / L[i * p + i]!;
  }
}

/** out[oOff…] = (L Lᵀ)⁻¹ b[bOff…] for p-vectors stored inside larger buffers. */
function cholSolveRow(L: Float64Array, p: number, b: Float64Array, bOff: number, out: Float64Array, oOff: number): void {
  for (let i = 0; i < p; i++) {
    let s = b[bOff + i]!;
    for (let k = 0; k < i; k++) s -= L[i * p + k]! * out[oOff + k]!;
    out[oOff + i] = s / L[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = out[oOff + i]!;
    for (let k = i + 1; k < p; k++) s -= L[k * p + i]! * out[oOff + k]!;
    out[oOff + i] = s / L[i * p + i]!;
  }
}

/**
 * The batch Kalman filter (the streaming operator is @vireo/runtime's `kalmanFilter`): runs the
 * filter over T observations (y is T×p, row-major) into `out` and returns the log
 * marginal likelihood log p(y_0 … y_{T−1}). `R` overrides the observation covariance (VB engines).
 */
export function kalmanFilterSeries(
  par: GaussianChainParams,
  y: ArrayLike<number>,
  T: number,
  out: KalmanBuffers,
  ws: KalmanWorkspace = new KalmanWorkspace(par.d, par.p),
  R: Float64Array = par.observationCovariance,
): number {
  const d = par.d, p = par.p, dd = d * d;
  if (y.length < T * p || out.T < T || out.d !== d || ws.d !== d || ws.p !== p) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `kalmanFilterSeries: expected y of length T·p = ${T * p}, buffers for T ≥ ${T} steps of dimension ${d} and a workspace for (d, p) = (${d}, ${p}); ` +
        `got y of length ${y.length}, buffers (T = ${out.T}, d = ${out.d}), workspace (${ws.d}, ${ws.p}).`,
    );
  }
  const { filteredMean: mf, filteredCov: Pf, predictedMean: mp, predictedCov: Pp } = out;
  mp.set(par.initialMean, 0);
  Pp.set(par.initialCovariance, 0);
  let logLik = kalmanUpdate(par, y, 0, mp, 0, Pp, 0, mf, 0, Pf, 0, ws, R);
  for (let t = 1; t < T; t++) {
    kalmanPredict(par, mf, (t - 1) * d, Pf, (t - 1) * dd, mp, t * d, Pp, t * dd, ws);
    logLik += kalmanUpdate(par, y, t * p, mp, t * d, Pp, t * dd, mf, t * d, Pf, t * dd, ws, R);
  }
  return logLik;
}
