/**
 * CategoricalChain(K): a joint distribution over the states z_0 … z_{T−1} ∈ {0…K−1} of a hidden
 * Markov chain: the structured block of an HMM. Row t of the natural parameters holds
 *   [ψ_t (K): log potentials of z_t,  Φ_t (K×K): log potentials of (z_{t−1} = j, z_t = i) at j·K + i, zero at t = 0]
 * against the statistics [one-hot(z_t), one-hot(z_{t−1}) one-hot(z_t)ᵀ]. The pairwise blocks are oriented
 * from → to (previous state's row, next state's column) like a transition matrix A[j][i] = p(z_t = i | z_{t−1} = j)
 * and like the forward–backward kernel's transition counts: one orientation everywhere. Messages add row by row;
 * the batch operations treat the `count` rows as one chain and run exact forward–backward
 * (scaled, so long chains neither underflow nor overflow), giving the marginals γ_t, the pairwise
 * marginals ξ_t and log Z. Single-row operations see a chain of length eta.length / size.
 */
import { ExponentialFamily } from "./family.js";
import { VireoError } from "../errors.js";
import { sampleCategorical, sampleDirichlet } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";

export interface CategoricalChainParams {
  /** ψ_t, T × K. */
  readonly unary: Float64Array;
  /** Φ_t, T × K × K, entry j·K + i for (z_{t−1} = j, z_t = i) (block 0 unused). */
  readonly pairwise: Float64Array;
}

interface ForwardBackward {
  readonly T: number;
  /** Marginals γ_t(i), T × K. */
  readonly gamma: Float64Array;
  /** Pairwise marginals ξ_t(j, i) = q(z_{t−1} = j, z_t = i) at t·K² + j·K + i, T × K × K (block 0 zero). */
  readonly xi: Float64Array;
  readonly logZ: number;
  /** Scaled forward messages (for sampling). */
  readonly alpha: Float64Array;
}

export class CategoricalChainFamily extends ExponentialFamily<Float64Array, CategoricalChainParams> {
  readonly name = "CategoricalChain";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  override readonly coupledRows = true;

  constructor(K: number) {
    super();
    if (!(Number.isInteger(K) && K >= 2)) throw new VireoError("INVALID_PARAMETER", `CategoricalChain: the number of states K must be an integer ≥ 2, got ${K}.`, { parameter: "K" });
    this.dim = K;
    this.size = K + K * K;
  }
  // Statistics layout per row t (block of size K + K²): [q(z_t = i) (K), q(z_{t−1} = j, z_t = i) at j·K + i (K², zero at t = 0)].
  /** Offset of the marginal q(z_t) of row t in a statistics (or natural-parameter) buffer. */
  marginalOffset(t: number): number {
    return t * this.size;
  }
  /** Offset of the pairwise block of row t (from z_{t−1} = j, to z_t = i at j·K + i). */
  pairwiseOffset(t: number): number {
    return t * this.size + this.dim;
  }
  /** q(z_t = i). */
  marginal(stats: Float64Array, t: number, i: number): number {
    return stats[t * this.size + i]!;
  }
  /** q(z_{t−1} = from, z_t = to) (0 at t = 0). */
  pairwise(stats: Float64Array, t: number, from: number, to: number): number {
    return stats[t * this.size + this.dim + from * this.dim + to]!;
  }


  private rows(eta: Float64Array): number {
    if (eta.length % this.size !== 0) throw new VireoError("DIMENSION_MISMATCH", `CategoricalChain(${this.dim}): natural parameters must hold whole rows of ${this.size}, got ${eta.length}.`);
    return eta.length / this.size;
  }

  /** Scaled forward–backward with per-step potentials, shifted by their maxima for stability. */
  private forwardBackward(eta: Float64Array, T: number): ForwardBackward {
    const K = this.dim, KK = K * K, n = this.size;
    const alpha = new Float64Array(T * K), beta = new Float64Array(T * K), scale = new Float64Array(T);
    const M = new Float64Array(T * KK), u = new Float64Array(T * K);
    let logZ = 0;
    for (let t = 0; t < T; t++) {
      let mu = -Infinity;
      for (let i = 0; i < K; i++) mu = Math.max(mu, eta[t * n + i]!);
      for (let i = 0; i < K; i++) u[t * K + i] = Math.exp(eta[t * n + i]! - mu);
      logZ += mu;
      if (t > 0) {
        let mp = -Infinity;
        for (let i = 0; i < KK; i++) mp = Math.max(mp, eta[t * n + K + i]!);
        for (let i = 0; i < KK; i++) M[t * KK + i] = Math.exp(eta[t * n + K + i]! - mp);
        logZ += mp;
      }
      let s = 0;
      for (let i = 0; i < K; i++) {
        let a = u[t * K + i]!;
        if (t > 0) {
          let m = 0;
          for (let j = 0; j < K; j++) m += M[t * KK + j * K + i]! * alpha[(t - 1) * K + j]!;
          a *= m;
        }
        alpha[t * K + i] = a;
        s += a;
      }
      if (!(s > 0) || !Number.isFinite(s)) {
        throw new VireoError("NUMERICAL_FAILURE", `CategoricalChain: every state has zero probability at step ${t} (or the potentials overflow); check the transition and emission potentials.`, { row: t });
      }
      scale[t] = s;
      logZ += Math.log(s);
      for (let i = 0; i < K; i++) alpha[t * K + i] = alpha[t * K + i]! / s;
    }
    const gamma = new Float64Array(T * K), xi = new Float64Array(T * KK);
    for (let i = 0; i < K; i++) beta[(T - 1) * K + i] = 1;
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < K; i++) gamma[t * K + i] = alpha[t * K + i]! * beta[t * K + i]!;
      if (t === 0) break;
      // ξ_t(j, i) ∝ α_{t−1}(j) M_t(j, i) u_t(i) β_t(i);  β_{t−1}(j) = Σ_i M_t(j, i) u_t(i) β_t(i) / s_t.
      for (let j = 0; j < K; j++) beta[(t - 1) * K + j] = 0;
      for (let i = 0; i < K; i++) {
        const w = (u[t * K + i]! * beta[t * K + i]!) / scale[t]!;
        for (let j = 0; j < K; j++) {
          const m = w * M[t * KK + j * K + i]!;
          xi[t * KK + j * K + i] = m * alpha[(t - 1) * K + j]!;
          beta[(t - 1) * K + j] += m;
        }
      }
    }
    return { T, gamma, xi, logZ, alpha };
  }

  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false): number {
    const fb = this.forwardBackward(eta, count), K = this.dim, KK = K * K, n = this.size;
    for (let t = 0; t < count; t++) {
      for (let i = 0; i < K; i++) out[t * n + i] = fb.gamma[t * K + i]!;
      for (let i = 0; i < KK; i++) out[t * n + K + i] = fb.xi[t * KK + i]!;
    }
    return wantLogNormaliser ? fb.logZ : 0;
  }
  override entropyRows(eta: Float64Array, count: number): number {
    // H = log Z − E[ηᵀT].
    const stats = new Float64Array(count * this.size);
    const logZ = this.expectedStatsRows(eta, stats, count, true);
    let e = 0;
    for (let i = 0; i < stats.length; i++) if (stats[i]! !== 0) e += eta[i]! * stats[i]!;
    return logZ - e;
  }
  override firstImproperRow(): number {
    return -1; // any finite potentials define a proper chain
  }

  /** Random unary potentials per time step (no coupling), as for per-row Categoricals. */
  override randomStart(rng: Generator, eta: Float64Array, count: number): boolean {
    const K = this.dim, n = this.size, p = new Float64Array(K), ones = new Float64Array(K).fill(1);
    eta.fill(0, 0, count * n);
    for (let i = 0; i < count; i++) {
      sampleDirichlet(rng, ones, p);
      for (let k = 0; k < K; k++) eta[i * n + k] = Math.log(Math.max(p[k]!, 1e-300));
    }
    return true;
  }
  sufficientStats(z: Float64Array, out = new Float64Array(z.length * this.size)): Float64Array {
    const K = this.dim, n = this.size;
    out.fill(0);
    for (let t = 0; t < z.length; t++) {
      out[t * n + z[t]!] = 1;
      if (t > 0) out[t * n + K + z[t - 1]! * K + z[t]!] = 1;
    }
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    return this.forwardBackward(eta, this.rows(eta)).logZ;
  }
  expectedStats(eta: Float64Array, out = new Float64Array(eta.length)): Float64Array {
    this.expectedStatsRows(eta, out, this.rows(eta));
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  override entropy(eta: Float64Array): number {
    return this.entropyRows(eta, this.rows(eta));
  }
  /** A joint draw: z_{T−1} from its forward filter, then z_t | z_{t+1} backwards. */
  sample(eta: Float64Array, rng: Generator): Float64Array {
    const T = this.rows(eta), K = this.dim, n = this.size, fb = this.forwardBackward(eta, T);
    const z = new Float64Array(T), w = new Float64Array(K);
    z[T - 1] = sampleCategorical(rng, fb.alpha.subarray((T - 1) * K, T * K));
    for (let t = T - 2; t >= 0; t--) {
      const next = z[t + 1]!;
      for (let j = 0; j < K; j++) w[j] = fb.alpha[t * K + j]! * Math.exp(eta[(t + 1) * n + K + j * K + next]!);
      z[t] = sampleCategorical(rng, w);
    }
    return z;
  }
  toNatural(p: CategoricalChainParams): Float64Array {
    const K = this.dim, KK = K * K, n = this.size, T = p.unary.length / K;
    if (!Number.isInteger(T) || p.pairwise.length !== T * KK) {
      throw new VireoError("DIMENSION_MISMATCH", `CategoricalChain(${K}): unary must be T × ${K} and pairwise T × ${K}×${K}; got ${p.unary.length} and ${p.pairwise.length}.`);
    }
    const eta = new Float64Array(T * n);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < K; i++) eta[t * n + i] = p.unary[t * K + i]!;
      if (t > 0) for (let i = 0; i < KK; i++) eta[t * n + K + i] = p.pairwise[t * KK + i]!;
    }
    return eta;
  }
  fromNatural(eta: Float64Array): CategoricalChainParams {
    const K = this.dim, KK = K * K, n = this.size, T = this.rows(eta);
    const unary = new Float64Array(T * K), pairwise = new Float64Array(T * KK);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < K; i++) unary[t * K + i] = eta[t * n + i]!;
      for (let i = 0; i < KK; i++) pairwise[t * KK + i] = eta[t * n + K + i]!;
    }
    return { unary, pairwise };
  }
  protected checkDomain(): void {
    // Finite potentials always define a proper chain.
  }
  /** Marginal state probabilities γ_t, T × K. */
  mean(eta: Float64Array): Float64Array {
    return this.forwardBackward(eta, this.rows(eta)).gamma;
  }
  /** γ_t(1 − γ_t), T × K. */
  variance(eta: Float64Array): Float64Array {
    return this.mean(eta).map((g) => g * (1 - g));
  }
  /**
   * Viterbi decoding (max-product in log space): the most probable joint path
   * argmax_z Σ_t ψ_t(z_t) + Φ_t(z_{t−1}, z_t) under this chain, its unnormalised log score and its
   * log probability under the chain (log score − log Z). Ties go to the lowest state index.
   */
  viterbi(eta: Float64Array): { path: Int32Array; logScore: number; logProbability: number } {
    const T = this.rows(eta), K = this.dim, n = this.size;
    const delta = new Float64Array(T * K), back = new Int32Array(T * K);
    for (let i = 0; i < K; i++) delta[i] = eta[i]!;
    for (let t = 1; t < T; t++) {
      for (let i = 0; i < K; i++) {
        let best = -Infinity, arg = 0;
        for (let j = 0; j < K; j++) {
          const v = delta[(t - 1) * K + j]! + eta[t * n + K + j * K + i]!;
          if (v > best) [best, arg] = [v, j];
        }
        delta[t * K + i] = best + eta[t * n + i]!;
        back[t * K + i] = arg;
      }
    }
    const path = new Int32Array(T);
    let logScore = -Infinity;
    for (let i = 0; i < K; i++) if (delta[(T - 1) * K + i]! > logScore) [logScore, path[T - 1]] = [delta[(T - 1) * K + i]!, i];
    if (!Number.isFinite(logScore)) {
      throw new VireoError("NUMERICAL_FAILURE", `CategoricalChain.viterbi: no path has finite log potential (the best score is ${logScore}); check the potentials for NaN or −∞ everywhere.`);
    }
    for (let t = T - 1; t > 0; t--) path[t - 1] = back[t * K + path[t]!]!;
    return { path, logScore, logProbability: logScore - this.forwardBackward(eta, T).logZ };
  }
  /** Marginals γ and pairwise marginals ξ (block t, entry j·K + i: q(z_{t−1} = j, z_t = i)). */
  marginals(eta: Float64Array): { gamma: Float64Array; xi: Float64Array; logZ: number } {
    const fb = this.forwardBackward(eta, this.rows(eta));
    return { gamma: fb.gamma, xi: fb.xi, logZ: fb.logZ };
  }
}

const cache = new Map<number, CategoricalChainFamily>();
/** The chain family over K states (one shared instance per K). */
export function CategoricalChain(K: number): CategoricalChainFamily {
  let f = cache.get(K);
  if (!f) cache.set(K, (f = new CategoricalChainFamily(K)));
  return f;
}
