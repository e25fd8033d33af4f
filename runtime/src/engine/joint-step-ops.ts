/**
 * Tape operations of the joint gradient step (engine/joint-step.ts): a member's conjugate term in
 * closed form over rows of a diagonal Gaussian q, the same term at draws per row, the per-row
 * log-mean-exp of the IWAE bound, and the sum of a node's values.
 */
import { VireoError, type TNode } from "@vireo/core";

/**
 * Σ_n ⟨M_n, E_q[T(x_n)]⟩ on the tape for rows of a diagonal Gaussian q with means `mean` [m, K]
 * and log standard deviations `logSd` [m, K], T(x) = [x, x xᵀ] (row-major; for K = 1 also the
 * Normal's [x, x²]): Σ_n M1_n·μ_n + μ_nᵀ M2_n μ_n + Σ_i M2_n,ii σ²_ni. Gradients are computed in the
 * forward pass: ∂/∂μ_n = M1_n + (M2_n + M2_nᵀ) μ_n, ∂/∂log σ_ni = 2 M2_n,ii σ²_ni.
 */
export function expectedStatsDot(mean: TNode, logSd: TNode, message: Float64Array): TNode {
  const m = mean.d0, K = mean.size / m, k = K + K * K, n = mean.tape.node("expectedStatsDot", 0, 1, 1);
  if (logSd.size !== mean.size || message.length !== m * k) {
    throw new VireoError("DIMENSION_MISMATCH", `expectedStatsDot: ${m} rows of ${K} values need log sds of the same shape and ${m * k} message numbers, got ${logSd.size} and ${message.length}.`);
  }
  n.a = mean;
  n.b = logSd;
  n.needsGrad = mean.needsGrad || logSd.needsGrad;
  const g = n.scratch(2 * m * K), mu = mean.value, ls = logSd.value;
  let total = 0;
  for (let r = 0; r < m; r++) {
    const c = r * k, o = r * K;
    for (let i = 0; i < K; i++) {
      const mi = mu[o + i]!, v = Math.exp(2 * ls[o + i]!), cii = message[c + K + i * K + i]!;
      let gi = message[c + i]!;
      total += gi * mi + cii * v;
      for (let j = 0; j < K; j++) {
        const cij = message[c + K + i * K + j]!;
        total += cij * mi * mu[o + j]!;
        gi += (cij + message[c + K + j * K + i]!) * mu[o + j]!;
      }
      g[o + i] = gi;
      g[m * K + o + i] = 2 * cii * v;
    }
  }
  n.value[0] = total;
  n.backward = expectedStatsDotBackward;
  return n;
}
function expectedStatsDotBackward(n: TNode): void {
  const g = n.grad[0]!, d = n.aux, a = n.a!, b = n.b!, size = a.size;
  if (a.needsGrad) for (let i = 0; i < size; i++) a.grad[i] += g * d[i]!;
  if (b.needsGrad) for (let i = 0; i < size; i++) b.grad[i] += g * d[size + i]!;
}

export function sumValues(n: TNode): number {
  let t = 0;
  for (let i = 0; i < n.size; i++) t += n.value[i]!;
  return t;
}

/**
 * ⟨M_i, T(z_i)⟩ per row on the tape, [rows], for rows of K values z (flat [rows·K]) with
 * T(z) = [z, z zᵀ] (row-major; for K = 1 also the Normal's [z, z²]) and per-row messages M
 * (rows × (K + K²)): Σ_a M1_ia z_ia + Σ_ab M2_iab z_ia z_ib; ∂/∂z_ia = M1_ia + Σ_b (M2_iab + M2_iba) z_ib.
 */
export function rowStatsDot(z: TNode, message: Float64Array, rows: number): TNode {
  const K = z.size / rows, k = K + K * K, n = z.tape.node("rowStatsDot", 1, rows, 1);
  if (message.length !== rows * k) {
    throw new VireoError("DIMENSION_MISMATCH", `rowStatsDot: ${rows} rows of ${K} values need ${rows * k} message numbers, got ${message.length}.`);
  }
  n.a = z;
  n.needsGrad = z.needsGrad;
  const g = n.scratch(rows * K), x = z.value;
  for (let r = 0; r < rows; r++) {
    const c = r * k, o = r * K;
    let total = 0;
    for (let i = 0; i < K; i++) {
      const xi = x[o + i]!;
      let gi = message[c + i]!;
      total += gi * xi;
      for (let j = 0; j < K; j++) {
        const cij = message[c + K + i * K + j]!;
        total += cij * xi * x[o + j]!;
        gi += (cij + message[c + K + j * K + i]!) * x[o + j]!;
      }
      g[o + i] = gi;
    }
    n.value[r] = total;
  }
  n.backward = rowStatsDotBackward;
  return n;
}
function rowStatsDotBackward(n: TNode): void {
  const a = n.a!, d = n.aux, rows = n.size, K = a.size / rows;
  if (!a.needsGrad) return;
  for (let r = 0; r < rows; r++) {
    const g = n.grad[r]!;
    for (let i = 0; i < K; i++) a.grad[r * K + i] += g * d[r * K + i]!;
  }
}

/** log (1/K) Σ_k exp(a_k) elementwise over K nodes of one shape ([rows]): the IWAE bound per row. */
export function logMeanExp(terms: readonly TNode[]): TNode {
  const K = terms.length, first = terms[0]!, rows = first.size, n = first.tape.node("logMeanExp", 1, rows, 1);
  const logK = Math.log(K), out = n.value;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (const t of terms) if (t.value[r]! > m) m = t.value[r]!;
    if (!Number.isFinite(m)) { out[r] = m; continue; }
    let s = 0;
    for (const t of terms) s += Math.exp(t.value[r]! - m);
    out[r] = m + Math.log(s) - logK;
  }
  n.a = first;
  n.needsGrad = terms.some((t) => t.needsGrad);
  const inputs = terms.slice();
  // d/da_k = exp(a_k − log Σ exp a) = exp(a_k − out − log K).
  n.backward = (node) => {
    for (const t of inputs) {
      if (!t.needsGrad) continue;
      for (let r = 0; r < rows; r++) t.grad[r] += node.grad[r]! * Math.exp(t.value[r]! - node.value[r]! - logK);
    }
  };
  return n;
}
