/**
 * A damped step of a Dirichlet variable (SVI's λ ← (1 − ρ) λ + ρ λ̂ for LDA's topics, K × V
 * entries per step) fused with its expected statistics: one pass to check the target and the
 * blend, one pass per row that blends, takes the digammas and E[log p] = ψ(α) − ψ(Σα). The
 * generic path (update.ts: copy the target, blend, check, statistics) makes five passes over the
 * table; the numbers are the same (the same arithmetic in the same order).
 */
import { digammaPositive } from "@vireo/core";

/**
 * eta holds the target η̂ on entry and the blend (1 − step) previous + step η̂ on return, stats
 * its E[log p]. Returns false, with nothing written, when some target entry is not finite or
 * some blended entry is not proper (α ≤ 0): the generic path then backtracks or reports.
 */
export function dirichletStepStats(eta: Float64Array, previous: Float64Array, step: number, stats: Float64Array, K: number, count: number): boolean {
  const keep = 1 - step, n = K * count;
  for (let i = 0; i < n; i++) {
    const t = eta[i]!, e = keep * previous[i]! + step * t;
    if (!(Number.isFinite(t) && e > -1 && e < Infinity)) return false;
  }
  for (let r = 0, o = 0; r < count; r++, o += K) {
    let a0 = 0;
    for (let k = 0; k < K; k++) {
      const e = keep * previous[o + k]! + step * eta[o + k]!;
      eta[o + k] = e;
      const a = e + 1;
      a0 += a;
      stats[o + k] = digammaPositive(a);
    }
    const d0 = digammaPositive(a0);
    for (let k = 0; k < K; k++) stats[o + k] = stats[o + k]! - d0;
  }
  return true;
}
