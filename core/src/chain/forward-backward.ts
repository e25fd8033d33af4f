/**
 * Scaled forward–backward for a discrete chain z_0 … z_{T−1} over K states:
 *   p̃(z, y) = init[z_0] · Π_t trans[z_{t−1}, z_t] · Π_t exp(logEmit[t, z_t]).
 * `init` and `trans` may be sub-normalised (VB passes exp(E[log π]) and exp(E[log A])); the
 * returned log Z = log Σ_z p̃(z, y) is then the collapsed bound's log-normaliser. Emissions are
 * shifted by their per-step maximum before exponentiating and the forward messages are normalised
 * per step, so nothing under- or overflows on long chains.
 */
import { VireoError } from "../errors.js";

/** Buffers for one chain length and state count; reused across calls (nothing allocates per step). */
export class ForwardBackwardBuffers {
  readonly T: number;
  readonly K: number;
  /** Posterior marginals q(z_t = k), T×K. */
  readonly marginals: Float64Array;
  /** Σ_t q(z_{t−1} = i, z_t = j), K×K: the expected transition counts. */
  readonly transitionCounts: Float64Array;
  /** Scaled forward messages, T×K. */
  readonly alpha: Float64Array;
  /** exp(logEmit − per-step max), T×K. */
  readonly emit: Float64Array;
  /** Per-step normalisers of the forward pass. */
  readonly scale: Float64Array;
  readonly beta: Float64Array;
  readonly betaNext: Float64Array;
  constructor(T: number, K: number) {
    if (!(Number.isInteger(T) && T >= 1) || !(Number.isInteger(K) && K >= 1)) {
      throw new VireoError("INVALID_PARAMETER", `forwardBackward: T and K must be integers ≥ 1, got T = ${T}, K = ${K}.`, { parameter: "T" });
    }
    this.T = T;
    this.K = K;
    this.marginals = new Float64Array(T * K);
    this.transitionCounts = new Float64Array(K * K);
    this.alpha = new Float64Array(T * K);
    this.emit = new Float64Array(T * K);
    this.scale = new Float64Array(T);
    this.beta = new Float64Array(K);
    this.betaNext = new Float64Array(K);
  }
}

/**
 * Fills `buf.marginals` and `buf.transitionCounts` and returns log Z. `logEmit` is T×K. Throws
 * NUMERICAL_FAILURE naming the step where every path has zero weight.
 */
export function forwardBackward(
  init: ArrayLike<number>,
  trans: ArrayLike<number>,
  logEmit: ArrayLike<number>,
  buf: ForwardBackwardBuffers,
): number {
  const { T, K, alpha, emit, scale, beta, betaNext, marginals, transitionCounts: xi } = buf;
  if (init.length !== K || trans.length !== K * K || logEmit.length < T * K) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `forwardBackward: expected init of length K = ${K}, trans of length K² = ${K * K} and logEmit of length T·K = ${T * K}; ` +
        `got ${init.length}, ${trans.length}, ${logEmit.length}.`,
    );
  }
  let logZ = 0;
  for (let t = 0; t < T; t++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) if (logEmit[t * K + k]! > mx) mx = logEmit[t * K + k]!;
    if (!Number.isFinite(mx)) {
      throw new VireoError("NUMERICAL_FAILURE", `forwardBackward: step ${t} has no state with a finite log emission (max is ${mx}); check the observation at step ${t}.`, { row: t });
    }
    for (let k = 0; k < K; k++) emit[t * K + k] = Math.exp(logEmit[t * K + k]! - mx);
    let c = 0;
    for (let j = 0; j < K; j++) {
      let s = 0;
      if (t === 0) s = init[j]!;
      else for (let i = 0; i < K; i++) s += alpha[(t - 1) * K + i]! * trans[i * K + j]!;
      s *= emit[t * K + j]!;
      alpha[t * K + j] = s;
      c += s;
    }
    if (!(c > 0) || !Number.isFinite(c)) {
      throw new VireoError("NUMERICAL_FAILURE", `forwardBackward: every path has zero weight at step ${t} (forward normaliser ${c}); the transition or initial weights rule out every state that can emit observation ${t}.`, { row: t });
    }
    for (let j = 0; j < K; j++) alpha[t * K + j] = alpha[t * K + j]! / c;
    scale[t] = c;
    logZ += Math.log(c) + mx;
  }
  // Backward pass with the same scaling; β_t is kept relative so α_t β_t is the marginal.
  xi.fill(0);
  for (let k = 0; k < K; k++) {
    betaNext[k] = 1;
    marginals[(T - 1) * K + k] = alpha[(T - 1) * K + k]!;
  }
  for (let t = T - 2; t >= 0; t--) {
    const inv = 1 / scale[t + 1]!;
    for (let i = 0; i < K; i++) {
      let s = 0;
      const a = alpha[t * K + i]! * inv;
      for (let j = 0; j < K; j++) {
        const w = trans[i * K + j]! * emit[(t + 1) * K + j]! * betaNext[j]!;
        s += w;
        xi[i * K + j] = xi[i * K + j]! + a * w;
      }
      beta[i] = s * inv;
    }
    for (let i = 0; i < K; i++) {
      marginals[t * K + i] = alpha[t * K + i]! * beta[i]!;
      betaNext[i] = beta[i]!;
    }
  }
  return logZ;
}
