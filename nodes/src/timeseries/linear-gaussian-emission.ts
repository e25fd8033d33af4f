/**
 * LinearGaussianEmission: y_t ~ N(C x_t, Λ⁻¹) for p-dimensional observations of a d-dimensional
 * state chain, C known and Λ known, Gamma (isotropic) or Wishart(p). Reads the smoothed marginals.
 *   edges: out (observed y_t), in (MvNormal(d), x_t), precision (Gamma | Wishart(p)).
 */
import type { SmootherBuffers } from "@vireo/core";
import { addPrecisionMessage, gaussianExpectedLog, type NoisePrecisionKind, type PrecisionExpectations } from "./noise-precision.js";

/**
 * Σ_t E[(y_t − C x_t)(y_t − C x_t)ᵀ] = Σ_t r_t r_tᵀ + C (Σ_t P_t) Cᵀ with r_t = y_t − C m_t, into
 * `out` (p×p). y is T×p row-major.
 */
function emissionScatter(y: ArrayLike<number>, p: number, s: SmootherBuffers, T: number, C: Float64Array, out: Float64Array): Float64Array {
  const d = s.d, dd = d * d;
  const { smoothedMean: m, smoothedCov: P } = s;
  const sumP = new Float64Array(dd), r = new Float64Array(p);
  out.fill(0);
  for (let t = 0; t < T; t++) {
    for (let a = 0; a < p; a++) {
      let v = y[t * p + a]!;
      for (let k = 0; k < d; k++) v -= C[a * d + k]! * m[t * d + k]!;
      r[a] = v;
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) out[a * p + b] = out[a * p + b]! + r[a]! * r[b]!;
    for (let i = 0; i < dd; i++) sumP[i] = sumP[i]! + P[t * dd + i]!;
  }
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let s2 = 0;
      for (let k = 0; k < d; k++) {
        let pc = 0;
        for (let l = 0; l < d; l++) pc += sumP[k * d + l]! * C[b * d + l]!;
        s2 += C[a * d + k]! * pc;
      }
      out[a * p + b] = out[a * p + b]! + s2;
    }
  }
  return out;
}

export const LinearGaussianEmission = {
  name: "LinearGaussianEmission",
  edges: [
    { name: "out", family: "MvNormal", doc: "the observation y_t (observed)" },
    { name: "in", family: "MvNormal", doc: "the state x_t" },
    { name: "precision", family: "Gamma | Wishart", doc: "the observation noise precision Λ" },
  ],
  scatter: emissionScatter,
  /** Adds the message to q(Λ) from T observations and the smoothed marginals. */
  precisionMessage(kind: NoisePrecisionKind, y: ArrayLike<number>, p: number, s: SmootherBuffers, T: number, C: Float64Array, out: Float64Array): void {
    addPrecisionMessage(kind, p, T, emissionScatter(y, p, s, T, C, new Float64Array(p * p)), out);
  },
  /** Σ_t E_q[log N(y_t; C x_t, Λ⁻¹)]. */
  expectedLogFactor(y: ArrayLike<number>, p: number, s: SmootherBuffers, T: number, C: Float64Array, pe: PrecisionExpectations): number {
    return gaussianExpectedLog(pe, T, emissionScatter(y, p, s, T, C, new Float64Array(p * p)));
  },
} as const;
