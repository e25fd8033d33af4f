/**
 * MvNormal(mean μ, covariance Σ) on ℝᵈ.  T(x) = [x, vec(x xᵀ)],  η = [Λμ, vec(−½Λ)] with Λ = Σ⁻¹,
 * A(η) = ½ μᵀΛμ − ½ log|Λ|,  h(x) = (2π)^{−d/2}.  Matrices are dense row-major; η₂ is kept
 * symmetric, and every routine reads it through its symmetric part.
 */
import { ExponentialFamily, checkParam, checkLength, checkSymmetric, familyConstructor, type SupportViolation , noInteriorMode } from "./family.js";
import { VireoError } from "../errors.js";
import { invertCdf, normalCdf } from "../special/incomplete.js";
import { LOG_2PI } from "../special/functions.js";
import {
  cholesky,
  choleskyInto,
  choleskySolveInPlace,
  logDetFromCholesky,
  inverseFromCholesky,
} from "../linalg/dense.js";
import { mvFromCholesky } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { identityTransform, type Transform } from "../variational/transform.js";

export interface MvNormalParams {
  readonly mean: Float64Array;
  /** d×d covariance, dense row-major. */
  readonly covariance: Float64Array;
}

export class MvNormalFamily extends ExponentialFamily<Float64Array, MvNormalParams> {
  readonly name = "MvNormal";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  override get valueSize(): number {
    return this.dim;
  }

  constructor(d: number) {
    super();
    if (!(Number.isInteger(d) && d >= 1)) {
      throw new VireoError("INVALID_PARAMETER", `MvNormal: the dimension d must be an integer ≥ 1, got ${d}.`, { parameter: "d" });
    }
    this.dim = d;
    this.size = d + d * d;
  }
  // Statistics layout per instance i (block of size d + d²): [E[x] (d), vec E[x xᵀ] (d², row-major)].
  /** Offset of E[x] of instance i in a statistics (or natural-parameter) buffer. */
  meanOffset(i: number): number {
    return i * this.size;
  }
  /** Offset of vec E[x xᵀ] of instance i. */
  outerOffset(i: number): number {
    return i * this.size + this.dim;
  }
  /** E[x_j] of instance i. */
  ex(stats: Float64Array, i: number, j: number): number {
    return stats[i * this.size + j]!;
  }
  /** E[x_j x_k] of instance i. */
  exx(stats: Float64Array, i: number, j: number, k: number): number {
    return stats[i * this.size + this.dim + j * this.dim + k]!;
  }


  /** Λ = −2 sym(η₂) as a new d×d array. */
  precision(eta: Float64Array): Float64Array {
    const d = this.dim, P = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) P[i * d + j] = -(eta[d + i * d + j]! + eta[d + j * d + i]!);
    return P;
  }

  private factor(eta: Float64Array): { L: Float64Array; mu: Float64Array } {
    const d = this.dim;
    const L = cholesky(this.precision(eta), d, "MvNormal precision");
    const mu = choleskySolveInPlace(L, d, eta.slice(0, d));
    return { L, mu };
  }

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    for (let i = 0; i < this.dim; i++) if (!Number.isFinite(values[offset + i])) return { column: i, expected: "a finite number" };
    return null;
  }
  /** Mixture seeding: mean at the data value, precision kept. */
  override seedAt(eta: Float64Array, values: Float64Array, offset: number): boolean {
    eta.set(this.fromMeanPrecision(values.subarray(offset, offset + this.dim), this.precision(eta)));
    return true;
  }
  override get hasMeanField(): boolean {
    return true;
  }
  /**
   * Mean-field q(w) = Π_i N(w_i): given the total message [h, −½J], the best factorised q has
   * means m = J⁻¹h and variances 1/J_ii. Stored with a diagonal precision, whose expected
   * statistics [m, mmᵀ + diag(1/J_ii)] are exactly the mean-field ones.
   */
  override toMeanField(eta: Float64Array, count: number, where: string): void {
    const d = this.dim, size = this.size;
    const J = new Float64Array(d * d), L = new Float64Array(d * d), m = new Float64Array(d);
    for (let inst = 0; inst < count; inst++) {
      const o = inst * size;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) J[i * d + j] = -(eta[o + d + i * d + j]! + eta[o + d + j * d + i]!);
      try {
        choleskyInto(J, d, L, `precision of ${where}`);
      } catch (e) {
        throw new VireoError("NUMERICAL_FAILURE", (e as Error).message, { row: inst });
      }
      for (let i = 0; i < d; i++) m[i] = eta[o + i]!;
      choleskySolveInPlace(L, d, m);
      for (let i = 0; i < d; i++) {
        const jii = J[i * d + i]!;
        eta[o + i] = jii * m[i]!;
        for (let j = 0; j < d; j++) eta[o + d + i * d + j] = i === j ? -0.5 * jii : 0;
      }
    }
  }
  /** T(x_i) for every row in one loop (no per-row views: a million rows bind in milliseconds). */
  override knownStatsRows(values: Float64Array, count: number, out: Float64Array): Float64Array {
    const d = this.dim, k = this.size;
    if (d === 2) {
      // The common 2-D case written out (a million rows run once per fit, mostly on cold code).
      for (let n = 0, vo = 0, o = 0; n < count; n++, vo += 2, o += 6) {
        const x0 = values[vo]!, x1 = values[vo + 1]!;
        out[o] = x0;
        out[o + 1] = x1;
        out[o + 2] = x0 * x0;
        out[o + 3] = x0 * x1;
        out[o + 4] = x1 * x0;
        out[o + 5] = x1 * x1;
      }
      return out;
    }
    for (let n = 0, vo = 0, o = 0; n < count; n++, vo += d, o += k) {
      for (let i = 0; i < d; i++) {
        const xi = values[vo + i]!;
        out[o + i] = xi;
        for (let j = 0; j < d; j++) out[o + d + i * d + j] = xi * values[vo + j]!;
      }
    }
    return out;
  }
  sufficientStats(x: Float64Array, out = new Float64Array(this.size)): Float64Array {
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      out[i] = x[i]!;
      for (let j = 0; j < d; j++) out[d + i * d + j] = x[i]! * x[j]!;
    }
    return out;
  }
  logBase(): number {
    return -0.5 * this.dim * LOG_2PI;
  }
  logPartition(eta: Float64Array): number {
    const d = this.dim;
    const { L, mu } = this.factor(eta);
    let q = 0;
    for (let i = 0; i < d; i++) q += eta[i]! * mu[i]!;
    return 0.5 * q - 0.5 * logDetFromCholesky(L, d);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(this.size)): Float64Array {
    const d = this.dim;
    const { L, mu } = this.factor(eta);
    const S = inverseFromCholesky(L, d, new Float64Array(d * d));
    for (let i = 0; i < d; i++) {
      out[i] = mu[i]!;
      for (let j = 0; j < d; j++) out[d + i * d + j] = S[i * d + j]! + mu[i]! * mu[j]!;
    }
    return out;
  }
  expectedLogBase(): number {
    return -0.5 * this.dim * LOG_2PI;
  }
  override entropy(eta: Float64Array): number {
    const d = this.dim;
    const L = cholesky(this.precision(eta), d, "MvNormal precision");
    return 0.5 * d * (1 + LOG_2PI) - 0.5 * logDetFromCholesky(L, d);
  }
  /** N(0, I). */
  override startingPoint(): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    for (let i = 0; i < d; i++) eta[d + i * d + i] = -0.5;
    return eta;
  }
  sample(eta: Float64Array, rng: Generator): Float64Array {
    const { L, mu } = this.factor(eta);
    return mvFromCholesky(rng, mu, L, this.dim, new Float64Array(this.dim), true);
  }
  toNatural(p: MvNormalParams): Float64Array {
    const d = this.dim;
    checkLength("MvNormal", "mean", p.mean.length, d);
    checkLength("MvNormal", "covariance", p.covariance.length, d * d);
    for (let i = 0; i < d; i++) checkParam(Number.isFinite(p.mean[i]!), "MvNormal", `mean[${i}]`, p.mean[i]!, "a finite number");
    for (let i = 0; i < d * d; i++) checkParam(Number.isFinite(p.covariance[i]!), "MvNormal", `covariance[${i}]`, p.covariance[i]!, "a finite number");
    checkSymmetric("MvNormal", "covariance", p.covariance, d);
    const Lc = cholesky(p.covariance, d, "MvNormal covariance");
    const P = inverseFromCholesky(Lc, d, new Float64Array(d * d));
    return this.fromMeanPrecision(p.mean, P);
  }
  /** η from a mean and a precision matrix (validated for symmetry-positive-definiteness). */
  fromMeanPrecision(mean: ArrayLike<number>, precision: Float64Array): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    cholesky(precision, d, "MvNormal precision");
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += precision[i * d + j]! * mean[j]!;
        eta[d + i * d + j] = -0.25 * (precision[i * d + j]! + precision[j * d + i]!);
      }
      eta[i] = s;
    }
    return eta;
  }
  fromNatural(eta: Float64Array): MvNormalParams {
    const d = this.dim;
    const { L, mu } = this.factor(eta);
    return { mean: mu, covariance: inverseFromCholesky(L, d, new Float64Array(d * d)) };
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    try {
      cholesky(this.precision(eta), this.dim, "MvNormal precision");
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `${where}: ${(e as Error).message}`, { parameter: "precision" });
    }
  }
  mean(eta: Float64Array): Float64Array {
    return this.factor(eta).mu;
  }
  variance(eta: Float64Array): Float64Array {
    const d = this.dim;
    const S = this.fromNatural(eta).covariance;
    return Float64Array.from({ length: d }, (_, i) => S[i * d + i]!);
  }

  /** Each component's Normal marginal N(μ_i, Σ_ii). */
  override quantile(eta: Float64Array, p: number, out: Float64Array): boolean {
    const m = this.mean(eta), v = this.variance(eta);
    for (let i = 0; i < this.dim; i++) {
      const s = Math.sqrt(v[i]!), mi = m[i]!;
      out[i] = invertCdf((x) => normalCdf(x, mi, s), p, mi - 40 * s, mi + 40 * s);
    }
    return true;
  }
  /** The mean Λ⁻¹η₁ with Λ = −2η₂ (identity bijector: the same in z). */
  override mode(eta: Float64Array, out: Float64Array, _unconstrained: boolean, where = this.key): boolean {
    const d = this.dim, lambda = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) lambda[i] = -2 * eta[d + i]!;
    let L: Float64Array;
    try {
      L = cholesky(lambda, d, `${where} precision −2η₂`);
    } catch (e) {
      noInteriorMode(where, (e as Error).message);
    }
    for (let i = 0; i < d; i++) out[i] = eta[i]!;
    choleskySolveInPlace(L, d, out);
    return true;
  }
  override get supportBijector(): Transform {
    return identityTransform;
  }
  override get quadraticStats(): boolean {
    return true;
  }
  /** T = (x, xxᵀ): ∂⟨c, T⟩/∂x = h + (C + Cᵀ) x, with c = (h, C). */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      let s = c[i]!;
      for (let j = 0; j < d; j++) s += (c[d + i * d + j]! + c[d + j * d + i]!) * x[j]!;
      grad[i] += s;
    }
  }
}

/** The MvNormal family of dimension d (one shared instance per d); an inline constant of d values picks d. */
export const MvNormal = familyConstructor("MvNormal", (d) => new MvNormalFamily(d), (length) => length);
