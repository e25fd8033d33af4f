/**
 * CategoricalEmission: y_t | z_t = k ~ Categorical(B_k·) over M symbols, rows B_k· ~ Dirichlet(M).
 * The node reads the chain's marginals γ_tk = q(z_t = k):
 *   E_q[log f] = Σ_t Σ_k γ_tk E[log B_{k, y_t}],  message to row k: Σ_t γ_tk one-hot(y_t).
 *   edges: out (Categorical(M), observed y_t), in (Categorical(K), z_t), matrix (K × Dirichlet(M)).
 */
import { VireoError, fmt } from "@vireo/core";

/** Throws INVALID_DATA naming the step unless every y_t is an integer in [0, M). */
function checkSymbols(y: ArrayLike<number>, M: number): void {
  for (let t = 0; t < y.length; t++) {
    const v = y[t]!;
    if (!(Number.isInteger(v) && v >= 0 && v < M)) {
      throw new VireoError("INVALID_DATA", `CategoricalEmission: observation ${t} is ${fmt(v)}; expected an integer symbol in [0, ${M}). Recode the data as 0-based symbol indices.`, { row: t, node: "CategoricalEmission" });
    }
  }
}

export const CategoricalEmission = {
  name: "CategoricalEmission",
  edges: [
    { name: "out", family: "Categorical", doc: "the observed symbol y_t" },
    { name: "in", family: "Categorical", doc: "the state z_t" },
    { name: "matrix", family: "Dirichlet", doc: "K Dirichlet rows of the emission matrix" },
  ],
  checkSymbols,
  /** The message to the states: log emission weights E[log B_{k, y_t}] into `out` (T×K). */
  logEmissions(y: ArrayLike<number>, elog: Float64Array, K: number, M: number, out: Float64Array): void {
    for (let t = 0; t < y.length; t++) for (let k = 0; k < K; k++) out[t * K + k] = elog[k * M + y[t]!]!;
  },
  /** Adds the message to the Dirichlet rows (K×M natural parameters). */
  matrixMessage(y: ArrayLike<number>, marginals: Float64Array, K: number, M: number, out: Float64Array): void {
    for (let t = 0; t < y.length; t++) for (let k = 0; k < K; k++) out[k * M + y[t]!] = out[k * M + y[t]!]! + marginals[t * K + k]!;
  },
  /** Σ_t Σ_k γ_tk E[log B_{k, y_t}]. */
  expectedLogFactor(y: ArrayLike<number>, marginals: Float64Array, elog: Float64Array, K: number, M: number): number {
    let s = 0;
    for (let t = 0; t < y.length; t++) for (let k = 0; k < K; k++) s += marginals[t * K + k]! * elog[k * M + y[t]!]!;
    return s;
  },
} as const;
