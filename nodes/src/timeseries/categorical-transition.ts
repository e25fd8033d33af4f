/**
 * CategoricalTransition: z_t | z_{t−1} = i ~ Categorical(A_i·), rows A_i· ~ Dirichlet(K). The node
 * reads the chain's pairwise statistics, the expected transition counts ξ_ij = Σ_t q(z_{t−1}=i, z_t=j)
 * from forward–backward:  E_q[log f] = Σ_ij ξ_ij E[log A_ij], so the message to row i is ξ_i·.
 * The initial distribution z_0 ~ Categorical(π), π ~ Dirichlet(K) is the one-row case (rows = 1) with the
 * first marginal as counts.
 *   edges: out (Categorical(K), z_t), in (Categorical(K), z_{t−1}), matrix (K × Dirichlet(K)).
 */
import { VireoError } from "@vireo/core";

function check(counts: Float64Array, elog: Float64Array, K: number, rows: number, where: string): void {
  if (!(Number.isInteger(rows) && rows >= 1) || counts.length !== rows * K || elog.length !== rows * K) {
    throw new VireoError("DIMENSION_MISMATCH", `CategoricalTransition.${where}: expected ${rows}×${K} = ${rows * K} counts and E[log A], got ${counts.length} and ${elog.length}.`, { node: "CategoricalTransition" });
  }
}

export const CategoricalTransition = {
  name: "CategoricalTransition",
  edges: [
    { name: "out", family: "Categorical", doc: "the state z_t" },
    { name: "in", family: "Categorical", doc: "the previous state z_{t−1}" },
    { name: "matrix", family: "Dirichlet", doc: "K Dirichlet rows of the transition matrix" },
  ],
  /**
   * Adds the message to the Dirichlet rows (natural parameters, rows×K, rows = K by default): the
   * expected counts. rows = 1 with the first marginal as counts gives the initial distribution's.
   */
  matrixMessage(counts: Float64Array, K: number, out: Float64Array, rows = K): void {
    for (let i = 0; i < rows * K; i++) out[i] = out[i]! + counts[i]!;
  },
  /** Σ_ij ξ_ij E[log A_ij] over rows×K entries (rows = K by default; 1 for the initial distribution). */
  expectedLogFactor(counts: Float64Array, elog: Float64Array, K: number, rows = K): number {
    check(counts, elog, K, rows, "expectedLogFactor");
    let s = 0;
    for (let i = 0; i < rows * K; i++) if (counts[i]! !== 0) s += counts[i]! * elog[i]!;
    return s;
  },
} as const;
