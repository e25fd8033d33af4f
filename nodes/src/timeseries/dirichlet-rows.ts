/**
 * A K×M matrix whose rows are independent Dirichlet(M) variables (an HMM's transition or emission
 * matrix), stored as K·M natural parameters row after row. Shared arithmetic of the categorical nodes.
 */
import { Dirichlet } from "@vireo/core";

/** E[log B_km] into `out` (K×M). */
export function expectedLogRows(eta: Float64Array, K: number, M: number, out = new Float64Array(K * M)): Float64Array {
  const fam = Dirichlet(M);
  for (let k = 0; k < K; k++) out.set(fam.expectedStats(eta.subarray(k * M, (k + 1) * M)), k * M);
  return out;
}

/** exp(E[log B]) into `out`: the sub-normalised matrix VB's forward–backward uses. */
export function subNormalisedRows(elog: Float64Array, out = new Float64Array(elog.length)): Float64Array {
  for (let i = 0; i < elog.length; i++) out[i] = Math.exp(elog[i]!);
  return out;
}

/** Σ_k KL(q(B_k) ‖ p(B_k)). */
export function klRows(etaQ: Float64Array, etaP: Float64Array, K: number, M: number): number {
  const fam = Dirichlet(M);
  let s = 0;
  for (let k = 0; k < K; k++) s += fam.kl(etaQ.subarray(k * M, (k + 1) * M), etaP.subarray(k * M, (k + 1) * M));
  return s;
}
