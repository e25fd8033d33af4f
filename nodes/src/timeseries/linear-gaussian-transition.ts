/**
 * LinearGaussianTransition: x_t ~ N(A x_{t−1}, Λ⁻¹) over a chain of d-dimensional states, with A
 * known and the precision Λ known, Gamma (isotropic) or Wishart. The chain is one structured block,
 * so instead of per-edge marginals the node reads the smoother's joint statistics: means m_t,
 * covariances P_t and cross-covariances Cov(x_t, x_{t−1}).
 *   edges: out (MvNormal(d), x_t), in (MvNormal(d), x_{t−1}), precision (Gamma | Wishart(d)).
 */
import type { SmootherBuffers } from "@vireo/core";
import { addPrecisionMessage, gaussianExpectedLog, type NoisePrecisionKind, type PrecisionExpectations } from "./noise-precision.js";

/**
 * Σ_{t=1}^{T−1} E[(x_t − A x_{t−1})(x_t − A x_{t−1})ᵀ] into `out` (d×d):
 * e eᵀ + P_t − A Cov(x_t, x_{t−1})ᵀ − Cov(x_t, x_{t−1}) Aᵀ + A P_{t−1} Aᵀ with e = m_t − A m_{t−1};
 * the covariance terms are summed first so the matrix products run once.
 */
function transitionScatter(s: SmootherBuffers, T: number, A: Float64Array, out: Float64Array): Float64Array {
  const d = s.d, dd = d * d;
  const { smoothedMean: m, smoothedCov: P, crossCov: X } = s;
  const sumPrev = new Float64Array(dd), sumX = new Float64Array(dd), e = new Float64Array(d);
  out.fill(0);
  for (let t = 1; t < T; t++) {
    for (let i = 0; i < d; i++) {
      let v = m[t * d + i]!;
      for (let k = 0; k < d; k++) v -= A[i * d + k]! * m[(t - 1) * d + k]!;
      e[i] = v;
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = out[i * d + j]! + e[i]! * e[j]!;
    for (let i = 0; i < dd; i++) {
      out[i] = out[i]! + P[t * dd + i]!;
      sumPrev[i] = sumPrev[i]! + P[(t - 1) * dd + i]!;
      sumX[i] = sumX[i]! + X[t * dd + i]!;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let apa = 0, ax = 0;
      for (let k = 0; k < d; k++) {
        ax += A[i * d + k]! * sumX[j * d + k]!; // (A Xᵀ)_ij
        let pa = 0;
        for (let l = 0; l < d; l++) pa += sumPrev[k * d + l]! * A[j * d + l]!;
        apa += A[i * d + k]! * pa;
      }
      let xa = 0;
      for (let k = 0; k < d; k++) xa += sumX[i * d + k]! * A[j * d + k]!; // (X Aᵀ)_ij
      out[i * d + j] = out[i * d + j]! - ax - xa + apa;
    }
  }
  return out;
}

export const LinearGaussianTransition = {
  name: "LinearGaussianTransition",
  edges: [
    { name: "out", family: "MvNormal", doc: "the state x_t" },
    { name: "in", family: "MvNormal", doc: "the previous state x_{t−1}" },
    { name: "precision", family: "Gamma | Wishart", doc: "the transition noise precision Λ" },
  ],
  scatter: transitionScatter,
  /** Adds the message to q(Λ) from the chain's joint statistics (T − 1 transitions). */
  precisionMessage(kind: NoisePrecisionKind, s: SmootherBuffers, T: number, A: Float64Array, out: Float64Array): void {
    addPrecisionMessage(kind, s.d, T - 1, transitionScatter(s, T, A, new Float64Array(s.d * s.d)), out);
  },
  /** Σ_t E_q[log N(x_t; A x_{t−1}, Λ⁻¹)]. */
  expectedLogFactor(s: SmootherBuffers, T: number, A: Float64Array, pe: PrecisionExpectations): number {
    return gaussianExpectedLog(pe, T - 1, transitionScatter(s, T, A, new Float64Array(s.d * s.d)));
  },
} as const;
