/**
 * GaussMarkovChain(d): a joint Gaussian over the states x_0 … x_{T−1} ∈ ℝᵈ of a time series whose
 * precision is block tridiagonal: the structured block of a state-space model. Row t of the
 * natural parameters holds
 *   [h_t (d), −½Λ_tt (d×d), −Λ_{t,t−1} (d×d, zero for t = 0)],
 * against the sufficient statistics [x_t, x_t x_tᵀ, x_t x_{t−1}ᵀ]. Messages from transition and
 * observation nodes add row by row like any family's; the batch operations (expectedStatsRows,
 * entropyRows) treat the `count` rows as ONE chain and run the exact block-tridiagonal
 * elimination (an information-form Kalman smoother). Single-row operations see a chain of
 * length eta.length / size.
 *
 * The statistics are raw moments, so a trajectory far from the origin (|x| ~ 10⁴) keeps only
 * ~10⁻⁸ relative precision in E[x xᵀ] − E[x]E[x]ᵀ: centre long drifting series first.
 */
import { ExponentialFamily, checkLength } from "./family.js";
import { VireoError } from "../errors.js";
import { LOG_2PI } from "../special/functions.js";
import { choleskyInto, choleskySolveInPlace, logDetFromCholesky, inverseFromCholesky } from "../linalg/dense.js";
import { sampleStandardNormal } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";

/** The chain's natural parameters in matrix form (T rows). */
export interface GaussMarkovChainParams {
  /** h_t, T × d. */
  readonly information: Float64Array;
  /** Λ_tt, T × d × d (symmetric, the diagonal blocks of the joint precision). */
  readonly precision: Float64Array;
  /** Λ_{t,t−1}, T × d × d (block 0 unused, zero). */
  readonly coupling: Float64Array;
}

/** Results of the block elimination: means, marginal covariances, lag-one cross-covariances. */
interface Eliminated {
  readonly T: number;
  readonly mean: Float64Array;
  readonly cov: Float64Array;
  /** Cov(x_t, x_{t−1}) at block t (block 0 zero). */
  readonly cross: Float64Array;
  readonly logDetPrecision: number;
  /** Cholesky factors of the Schur complements S_t and the forward vectors g_t (for sampling). */
  readonly chol: Float64Array;
  readonly g: Float64Array;
}

export class GaussMarkovChainFamily extends ExponentialFamily<Float64Array, GaussMarkovChainParams> {
  readonly name = "GaussMarkovChain";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  override readonly coupledRows = true;
  override get valueSize(): number {
    return this.dim;
  }

  constructor(d: number) {
    super();
    if (!(Number.isInteger(d) && d >= 1)) throw new VireoError("INVALID_PARAMETER", `GaussMarkovChain: the state dimension d must be an integer ≥ 1, got ${d}.`, { parameter: "d" });
    this.dim = d;
    this.size = d + 2 * d * d;
  }
  // Statistics layout per row t (block of size d + 2d²): [E[x_t] (d), vec E[x_t x_tᵀ] (d²), vec E[x_t x_{t−1}ᵀ] (d², zero at t = 0)].
  /** Offset of E[x_t] of row t in a statistics (or natural-parameter) buffer. */
  meanOffset(t: number): number {
    return t * this.size;
  }
  /** Offset of vec E[x_t x_tᵀ] of row t. */
  outerOffset(t: number): number {
    return t * this.size + this.dim;
  }
  /** Offset of vec E[x_t x_{t−1}ᵀ] of row t. */
  lagOuterOffset(t: number): number {
    return t * this.size + this.dim + this.dim * this.dim;
  }
  /** E[x_t,j] of row t. */
  ex(stats: Float64Array, t: number, j: number): number {
    return stats[t * this.size + j]!;
  }
  /** E[x_t,j x_t,k] of row t. */
  exx(stats: Float64Array, t: number, j: number, k: number): number {
    return stats[this.outerOffset(t) + j * this.dim + k]!;
  }
  /** E[x_t,j x_{t−1},k] of row t (0 at t = 0). */
  exxPrevious(stats: Float64Array, t: number, j: number, k: number): number {
    return stats[this.lagOuterOffset(t) + j * this.dim + k]!;
  }


  /** Block elimination of the chain whose T = eta.length / size rows are given. */
  private eliminate(eta: Float64Array, T: number): Eliminated {
    const d = this.dim, dd = d * d, n = this.size;
    const chol = new Float64Array(T * dd), g = new Float64Array(T * d), S = new Float64Array(dd), tmp = new Float64Array(dd);
    const L = (t: number) => chol.subarray(t * dd, (t + 1) * dd);
    const Lam = (t: number, i: number, j: number) => -eta[t * n + d + dd + i * d + j]!; // Λ_{t,t−1}[i][j]
    let logDet = 0;
    const col = new Float64Array(d);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < d; i++) {
        g[t * d + i] = eta[t * n + i]!;
        for (let j = 0; j < d; j++) S[i * d + j] = -(eta[t * n + d + i * d + j]! + eta[t * n + d + j * d + i]!);
      }
      if (t > 0) {
        // S_t −= Λ_{t,t−1} S_{t−1}⁻¹ Λ_{t−1,t};  g_t −= Λ_{t,t−1} S_{t−1}⁻¹ g_{t−1}.
        for (let j = 0; j < d; j++) {
          for (let k = 0; k < d; k++) col[k] = Lam(t, j, k); // row j of Λ_{t,t−1} = column j of Λ_{t−1,t}
          choleskySolveInPlace(L(t - 1), d, col);
          for (let k = 0; k < d; k++) tmp[k * d + j] = col[k]!; // tmp = S⁻¹ Λ_{t−1,t}
        }
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += Lam(t, i, k) * tmp[k * d + j]!;
          S[i * d + j] = S[i * d + j]! - s;
        }
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += tmp[k * d + i]! * g[(t - 1) * d + k]!; // (S⁻¹Λ_{t−1,t})ᵀ g = Λ_{t,t−1} S⁻¹ g
          g[t * d + i] = g[t * d + i]! - s;
        }
      }
      try {
        choleskyInto(S, d, L(t), `conditional precision of state ${t}`);
      } catch (e) {
        throw new VireoError("NOT_POSITIVE_DEFINITE", `GaussMarkovChain: the chain's precision is not positive definite at state ${t}: ${(e as Error).message}`, { row: t });
      }
      logDet += logDetFromCholesky(L(t), d);
    }
    // Means by back substitution, covariances by the backward recursion of the block inverse.
    const mean = new Float64Array(T * d), cov = new Float64Array(T * dd), cross = new Float64Array(T * dd);
    const Sinv = new Float64Array(dd), G = new Float64Array(dd);
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < d; i++) {
        let s = g[t * d + i]!;
        if (t < T - 1) for (let k = 0; k < d; k++) s -= Lam(t + 1, k, i) * mean[(t + 1) * d + k]!; // Λ_{t,t+1} = Λ_{t+1,t}ᵀ
        col[i] = s;
      }
      choleskySolveInPlace(L(t), d, col);
      mean.set(col, t * d);
      inverseFromCholesky(L(t), d, Sinv);
      if (t === T - 1) {
        cov.set(Sinv, t * dd);
        continue;
      }
      // G = S_t⁻¹ Λ_{t,t+1};  Σ_tt = S_t⁻¹ + G Σ_{t+1} Gᵀ;  Σ_{t+1,t} = −Σ_{t+1} Gᵀ.
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += Sinv[i * d + k]! * Lam(t + 1, j, k);
        G[i * d + j] = s;
      }
      const next = cov.subarray((t + 1) * dd, (t + 2) * dd);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let c = 0;
        for (let k = 0; k < d; k++) c -= next[i * d + k]! * G[j * d + k]!;
        cross[(t + 1) * dd + i * d + j] = c; // Σ_{t+1,t}
      }
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        let s = Sinv[i * d + j]!;
        for (let k = 0; k < d; k++) s -= G[i * d + k]! * cross[(t + 1) * dd + k * d + j]!;
        cov[t * dd + i * d + j] = s;
      }
    }
    return { T, mean, cov, cross, logDetPrecision: logDet, chol, g };
  }

  private rows(eta: Float64Array): number {
    if (eta.length % this.size !== 0) throw new VireoError("DIMENSION_MISMATCH", `GaussMarkovChain(${this.dim}): natural parameters must hold whole rows of ${this.size}, got ${eta.length}.`);
    return eta.length / this.size;
  }

  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false): number {
    const e = this.eliminated(eta, count), d = this.dim, dd = d * d, n = this.size;
    let hMu = 0;
    for (let t = 0; t < count; t++) {
      const o = t * n;
      for (let i = 0; i < d; i++) {
        const mi = e.mean[t * d + i]!;
        out[o + i] = mi;
        hMu += eta[o + i]! * mi;
        for (let j = 0; j < d; j++) {
          out[o + d + i * d + j] = e.cov[t * dd + i * d + j]! + mi * e.mean[t * d + j]!;
          out[o + d + dd + i * d + j] = t === 0 ? 0 : e.cross[t * dd + i * d + j]! + mi * e.mean[(t - 1) * d + j]!;
        }
      }
    }
    return wantLogNormaliser ? 0.5 * hMu - 0.5 * e.logDetPrecision + 0.5 * count * d * LOG_2PI : 0;
  }
  override entropyRows(eta: Float64Array, count: number): number {
    return 0.5 * count * this.dim * (1 + LOG_2PI) - 0.5 * this.logDetPrecision(eta, count);
  }

  private logDetPrecision(eta: Float64Array, count: number): number {
    return this.eliminated(eta, count).logDetPrecision;
  }

  /**
   * The elimination of `eta`, reused while it still holds the same numbers: one engine update
   * checks properness, computes the statistics and then the entropy of the same chain.
   */
  private eliminated(eta: Float64Array, count: number): Eliminated {
    const c = this.lastElimination;
    if (c !== null && c.eta.length === count * this.size) {
      let same = true;
      for (let i = 0; i < c.eta.length && same; i++) same = c.eta[i] === eta[i];
      if (same) return c.result;
    }
    const result = this.eliminate(eta, count);
    this.lastElimination = { eta: eta.slice(0, count * this.size), result };
    return result;
  }
  private lastElimination: { eta: Float64Array; result: Eliminated } | null = null;
  override firstImproperRow(eta: Float64Array, count: number): number {
    try {
      this.eliminated(eta, count);
      return -1;
    } catch (e) {
      const row = (e as VireoError).context?.row;
      return typeof row === "number" ? row : 0;
    }
  }

  sufficientStats(x: Float64Array, out = new Float64Array(x.length / this.dim * this.size)): Float64Array {
    const d = this.dim, dd = d * d, n = this.size, T = x.length / d;
    for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) {
      out[t * n + i] = x[t * d + i]!;
      for (let j = 0; j < d; j++) {
        out[t * n + d + i * d + j] = x[t * d + i]! * x[t * d + j]!;
        out[t * n + d + dd + i * d + j] = t === 0 ? 0 : x[t * d + i]! * x[(t - 1) * d + j]!;
      }
    }
    return out;
  }
  logBase(x: Float64Array): number {
    return -0.5 * x.length * LOG_2PI;
  }
  logPartition(eta: Float64Array): number {
    const T = this.rows(eta);
    return this.expectedStatsRows(eta, new Float64Array(eta.length), T, true) - 0.5 * T * this.dim * LOG_2PI;
  }
  expectedStats(eta: Float64Array, out = new Float64Array(eta.length)): Float64Array {
    this.expectedStatsRows(eta, out, this.rows(eta));
    return out;
  }
  expectedLogBase(eta: Float64Array): number {
    return -0.5 * this.rows(eta) * this.dim * LOG_2PI;
  }
  override entropy(eta: Float64Array): number {
    return this.entropyRows(eta, this.rows(eta));
  }
  /** A row starting as an independent N(0, I): no coupling until a transition node speaks. */
  override startingPoint(): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    for (let i = 0; i < d; i++) eta[d + i * d + i] = -0.5;
    return eta;
  }
  /** A joint draw: x_{T−1} from its marginal, then x_t | x_{t+1} backwards. */
  sample(eta: Float64Array, rng: Generator): Float64Array {
    const T = this.rows(eta), d = this.dim, dd = d * d, n = this.size;
    const e = this.eliminate(eta, T), x = new Float64Array(T * d), z = new Float64Array(d), c = new Float64Array(d);
    for (let t = T - 1; t >= 0; t--) {
      const L = e.chol.subarray(t * dd, (t + 1) * dd);
      // x_t | x_{t+1} ~ N(S_t⁻¹ (g_t − Λ_{t,t+1} x_{t+1}), S_t⁻¹): mean by solve, noise by L⁻ᵀ z.
      for (let i = 0; i < d; i++) {
        let s = e.g[t * d + i]!;
        if (t < T - 1) for (let k = 0; k < d; k++) s += eta[(t + 1) * n + d + dd + k * d + i]! * x[(t + 1) * d + k]!;
        c[i] = s;
        z[i] = sampleStandardNormal(rng);
      }
      choleskySolveInPlace(L, d, c);
      for (let i = d - 1; i >= 0; i--) {
        let s = z[i]!;
        for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * z[k]!;
        z[i] = s / L[i * d + i]!;
      }
      for (let i = 0; i < d; i++) x[t * d + i] = c[i]! + z[i]!;
    }
    return x;
  }
  toNatural(p: GaussMarkovChainParams): Float64Array {
    const d = this.dim, dd = d * d, n = this.size, T = p.information.length / d;
    checkLength("GaussMarkovChain", "precision", p.precision.length, T * dd);
    checkLength("GaussMarkovChain", "coupling", p.coupling.length, T * dd);
    const eta = new Float64Array(T * n);
    for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) {
      eta[t * n + i] = p.information[t * d + i]!;
      for (let j = 0; j < d; j++) {
        eta[t * n + d + i * d + j] = -0.5 * p.precision[t * dd + i * d + j]!;
        eta[t * n + d + dd + i * d + j] = t === 0 ? 0 : -p.coupling[t * dd + i * d + j]!;
      }
    }
    this.eliminate(eta, T);
    return eta;
  }
  fromNatural(eta: Float64Array): GaussMarkovChainParams {
    const d = this.dim, dd = d * d, n = this.size, T = this.rows(eta);
    const information = new Float64Array(T * d), precision = new Float64Array(T * dd), coupling = new Float64Array(T * dd);
    for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) {
      information[t * d + i] = eta[t * n + i]!;
      for (let j = 0; j < d; j++) {
        precision[t * dd + i * d + j] = -(eta[t * n + d + i * d + j]! + eta[t * n + d + j * d + i]!);
        coupling[t * dd + i * d + j] = t === 0 ? 0 : -eta[t * n + d + dd + i * d + j]!;
      }
    }
    return { information, precision, coupling };
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    try {
      this.eliminate(eta, this.rows(eta));
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `${where}: ${(e as Error).message}`, { parameter: "precision" });
    }
  }
  /** Smoothed means of every state, T × d. */
  mean(eta: Float64Array): Float64Array {
    return this.eliminate(eta, this.rows(eta)).mean;
  }
  /** Smoothed marginal variances of every state component, T × d. */
  variance(eta: Float64Array): Float64Array {
    const e = this.eliminate(eta, this.rows(eta)), d = this.dim, out = new Float64Array(e.T * d);
    for (let t = 0; t < e.T; t++) for (let i = 0; i < d; i++) out[t * d + i] = e.cov[t * d * d + i * d + i]!;
    return out;
  }
  /** Smoothed covariances Cov(x_t) (T × d × d) and lag-one Cov(x_t, x_{t−1}) (block 0 zero). */
  marginals(eta: Float64Array): { mean: Float64Array; covariance: Float64Array; crossCovariance: Float64Array } {
    const e = this.eliminate(eta, this.rows(eta));
    return { mean: e.mean, covariance: e.cov, crossCovariance: e.cross };
  }
}

const cache = new Map<number, GaussMarkovChainFamily>();
/** The chain family with d-dimensional states (one shared instance per d). */
export function GaussMarkovChain(d: number): GaussMarkovChainFamily {
  let f = cache.get(d);
  if (!f) cache.set(d, (f = new GaussMarkovChainFamily(d)));
  return f;
}
