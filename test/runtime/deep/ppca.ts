/** Probabilistic PCA in closed form (Tipping & Bishop 1999), the reference for the linear-Gaussian VAE. */

/** Eigenvalues (descending) and eigenvectors (columns of V, row-major D × D) of a symmetric matrix by cyclic Jacobi rotations. */
export function symmetricEigen(A: Float64Array, D: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A), V = new Float64Array(D * D);
  for (let i = 0; i < D; i++) V[i * D + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < D; p++) for (let q = p + 1; q < D; q++) off += a[p * D + q]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < D; p++) {
      for (let q = p + 1; q < D; q++) {
        const apq = a[p * D + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * D + q]! - a[p * D + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < D; k++) {
          const akp = a[k * D + p]!, akq = a[k * D + q]!;
          a[k * D + p] = c * akp - s * akq;
          a[k * D + q] = s * akp + c * akq;
        }
        for (let k = 0; k < D; k++) {
          const apk = a[p * D + k]!, aqk = a[q * D + k]!;
          a[p * D + k] = c * apk - s * aqk;
          a[q * D + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < D; k++) {
          const vkp = V[k * D + p]!, vkq = V[k * D + q]!;
          V[k * D + p] = c * vkp - s * vkq;
          V[k * D + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: D }, (_, i) => i).sort((i, j) => a[j * D + j]! - a[i * D + i]!);
  const values = Float64Array.from(order, (i) => a[i * D + i]!);
  const vectors = new Float64Array(D * D);
  order.forEach((src, dst) => { for (let k = 0; k < D; k++) vectors[k * D + dst] = V[k * D + src]!; });
  return { values, vectors };
}

export interface PpcaFit {
  readonly mean: Float64Array;
  /** Sample covariance eigenvalues, descending. */
  readonly eigenvalues: Float64Array;
  /** Top-K eigenvectors as columns (D × K row-major). */
  readonly subspace: Float64Array;
  readonly noiseVariance: number;
  /** Log-likelihood per row at the maximum-likelihood parameters. */
  readonly logLikelihoodPerRow: number;
  /** log N(x_i | mean, C) per row at the ML parameters, C = W Wᵀ + σ² I. */
  readonly rowLogLikelihoods: Float64Array;
}

export function ppca(X: Float64Array, N: number, D: number, K: number): PpcaFit {
  const mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] += X[i * D + j]! / N;
  const S = new Float64Array(D * D);
  for (let i = 0; i < N; i++) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) S[a * D + b] += ((X[i * D + a]! - mean[a]!) * (X[i * D + b]! - mean[b]!)) / N;
  const { values, vectors } = symmetricEigen(S, D);
  let sigma2 = 0;
  for (let k = K; k < D; k++) sigma2 += values[k]! / (D - K);
  let logDet = (D - K) * Math.log(sigma2);
  for (let k = 0; k < K; k++) logDet += Math.log(values[k]!);
  const logLikelihoodPerRow = -0.5 * (D * Math.log(2 * Math.PI) + logDet + D);
  const subspace = new Float64Array(D * K);
  for (let a = 0; a < D; a++) for (let k = 0; k < K; k++) subspace[a * K + k] = vectors[a * D + k]!;
  // C⁻¹ = Σ_k v_k v_kᵀ / λ_k over all k with λ_k → σ² beyond K.
  const rowLogLikelihoods = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let quad = 0;
    for (let k = 0; k < D; k++) {
      let proj = 0;
      for (let a = 0; a < D; a++) proj += vectors[a * D + k]! * (X[i * D + a]! - mean[a]!);
      quad += (proj * proj) / (k < K ? values[k]! : sigma2);
    }
    rowLogLikelihoods[i] = -0.5 * (D * Math.log(2 * Math.PI) + logDet + quad);
  }
  return { mean, eigenvalues: values, subspace, noiseVariance: sigma2, logLikelihoodPerRow, rowLogLikelihoods };
}
