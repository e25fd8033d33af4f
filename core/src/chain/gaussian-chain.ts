/**
 * The linear Gaussian chain (LGSSM) that the Kalman filter and RTS smoother work on:
 *   x_0 ~ N(m0, P0),  x_t = A x_{t−1} + w_t, w_t ~ N(0, Q),  y_t = C x_t + v_t, v_t ~ N(0, R),
 * for t = 0 … T−1 (the prior is on the first state itself, which is also observed; for a prior on
 * an unobserved state one step earlier use priorBeforeFirst from @vireo/nodes).
 * Matrices are dense row-major Float64Arrays; d is the state and p the observation dimension.
 * The field names say what each matrix is: every noise and initial spread here is a covariance
 * (the graph's chain nodes take precisions, and say so in their edge names).
 */
import { VireoError, fmt } from "../errors.js";
import { cholesky } from "../linalg/dense.js";

export interface GaussianChainParams {
  readonly d: number;
  readonly p: number;
  /** d×d transition matrix A. */
  readonly transition: Float64Array;
  /** d×d transition noise covariance Q. */
  readonly transitionCovariance: Float64Array;
  /** p×d observation matrix C. */
  readonly observation: Float64Array;
  /** p×p observation noise covariance R. */
  readonly observationCovariance: Float64Array;
  /** Mean m0 (d) and covariance P0 (d×d) of the first state. */
  readonly initialMean: Float64Array;
  readonly initialCovariance: Float64Array;
}

/** Per-step outputs of the Kalman filter: T×d means and T×d×d covariances, filtered and predicted. */
export interface KalmanBuffers {
  readonly T: number;
  readonly d: number;
  readonly filteredMean: Float64Array;
  readonly filteredCov: Float64Array;
  readonly predictedMean: Float64Array;
  readonly predictedCov: Float64Array;
}

/** Per-step outputs of the RTS smoother; `crossCov` holds Cov(x_t, x_{t−1}) at step t (zero at t = 0). */
export interface SmootherBuffers {
  readonly T: number;
  readonly d: number;
  readonly smoothedMean: Float64Array;
  readonly smoothedCov: Float64Array;
  readonly crossCov: Float64Array;
}

export function allocateKalmanBuffers(T: number, d: number): KalmanBuffers {
  checkLengthArg(T, "T");
  return {
    T,
    d,
    filteredMean: new Float64Array(T * d),
    filteredCov: new Float64Array(T * d * d),
    predictedMean: new Float64Array(T * d),
    predictedCov: new Float64Array(T * d * d),
  };
}

export function allocateSmootherBuffers(T: number, d: number): SmootherBuffers {
  checkLengthArg(T, "T");
  return { T, d, smoothedMean: new Float64Array(T * d), smoothedCov: new Float64Array(T * d * d), crossCov: new Float64Array(T * d * d) };
}

function checkLengthArg(T: number, name: string): void {
  if (!(Number.isInteger(T) && T >= 1)) {
    throw new VireoError("INVALID_PARAMETER", `Gaussian chain: ${name} must be an integer ≥ 1, got ${T}.`, { parameter: name });
  }
}

/**
 * Throws a VireoError naming the parameter unless the chain's matrices have the right sizes, are
 * finite, and the three covariances are symmetric positive definite. Validation is done once, outside hot loops.
 */
export function checkGaussianChain(par: GaussianChainParams, where = "Gaussian chain"): void {
  const { d, p } = par;
  if (!(Number.isInteger(d) && d >= 1) || !(Number.isInteger(p) && p >= 1)) {
    throw new VireoError("INVALID_PARAMETER", `${where}: the state dimension d and observation dimension p must be integers ≥ 1, got d = ${d}, p = ${p}.`, { parameter: "d" });
  }
  const sizes: [keyof GaussianChainParams, number, string][] = [
    ["transition", d * d, `${d}×${d}`], ["transitionCovariance", d * d, `${d}×${d}`], ["observation", p * d, `${p}×${d}`],
    ["observationCovariance", p * p, `${p}×${p}`], ["initialMean", d, `${d}`], ["initialCovariance", d * d, `${d}×${d}`],
  ];
  for (const [name, size, shape] of sizes) {
    const v = par[name] as Float64Array;
    if (!(v instanceof Float64Array) || v.length !== size) {
      throw new VireoError(
        "DIMENSION_MISMATCH",
        `${where}: '${name}' must be a Float64Array of length ${size} (${shape}, row-major), got ${v instanceof Float64Array ? `length ${v.length}` : typeof v}.`,
        { parameter: name },
      );
    }
    for (let i = 0; i < size; i++) {
      if (!Number.isFinite(v[i]!)) {
        throw new VireoError("INVALID_PARAMETER", `${where}: '${name}'[${i}] is ${fmt(v[i]!)}; every entry must be finite.`, { parameter: name });
      }
    }
  }
  for (const [name, n] of [["transitionCovariance", d], ["observationCovariance", p], ["initialCovariance", d]] as const) {
    try {
      cholesky(par[name], n, name);
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `${where}: covariance '${name}' must be symmetric positive definite. ${(e as Error).message}`, { parameter: name });
    }
  }
}
