/**
 * NormalWishart(mean m, precisionScale β, df ν, scale W): the joint distribution of a Gaussian's
 * mean μ and precision Λ (PRML 2.157), the conjugate prior of N(x | μ, Λ⁻¹) and the joint q(μ, Λ)
 * of Bishop's Bayesian Gaussian mixture (PRML §10.2):
 *   Λ ~ Wishart(ν, W),   μ | Λ ~ N(m, (βΛ)⁻¹).
 * A value is [μ (d), vec Λ (d·d, row-major)].
 *   T(μ, Λ) = [Λμ (d), μᵀΛμ, log|Λ|, vec Λ (d·d)],
 *   η = [βm, −β/2, (ν − d)/2, vec(−½W⁻¹ − (β/2) m mᵀ)],
 *   A(η) = −(d/2) log β + (ν/2) log|W| + (νd/2) log 2 + log Γ_d(ν/2),   h = (2π)^{−d/2},
 *   E[T] = [νWm, d/β + ν mᵀWm, ψ_d(ν/2) + d log 2 + log|W|, νW].
 * The matrix block of η is read through its symmetric part, as in Wishart and MvNormal.
 */
import { ExponentialFamily, checkParam, checkLength, checkSymmetric, familyConstructor, type SupportViolation } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { mvgammaln, mvdigamma, LN2, LOG_2PI } from "../special/functions.js";
import { choleskyInto, cholesky, logDetFromCholesky, inverseFromCholesky } from "../linalg/dense.js";
import { sampleWishart, mvFromCholesky } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";

export interface NormalWishartParams {
  /** m: the mean of μ. */
  readonly mean: Float64Array;
  /** β > 0: μ | Λ has precision βΛ (β counts the pseudo-observations behind m). */
  readonly precisionScale: number;
  /** ν > d − 1: the Wishart degrees of freedom of Λ. */
  readonly df: number;
  /** W: the d×d SPD Wishart scale of Λ (E[Λ] = νW), dense row-major. */
  readonly scale: Float64Array;
}

/** Where each block of the statistics (and natural parameters) starts. */
export interface NormalWishartLayout {
  /** Λμ, d entries. */
  readonly precisionTimesMean: number;
  /** μᵀΛμ, one entry. */
  readonly quadratic: number;
  /** log|Λ|, one entry. */
  readonly logDetPrecision: number;
  /** vec Λ, d·d entries. */
  readonly precision: number;
}

export class NormalWishartFamily extends ExponentialFamily<Float64Array, NormalWishartParams> {
  readonly name = "NormalWishart";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  readonly layout: NormalWishartLayout;
  override get valueSize(): number {
    return this.dim + this.dim * this.dim;
  }

  // Scratch for the standard parameters of one instance (the family is used synchronously).
  private readonly winv: Float64Array;
  private readonly chol: Float64Array;
  private readonly W: Float64Array;
  private readonly m: Float64Array;
  private readonly work: Float64Array<ArrayBuffer>;
  private beta = 0;
  private nu = 0;

  constructor(d: number) {
    super();
    if (!(Number.isInteger(d) && d >= 1)) {
      throw new VireoError("INVALID_PARAMETER", `NormalWishart: the dimension d must be an integer ≥ 1, got ${d}.`, { parameter: "d" });
    }
    this.dim = d;
    this.size = d * d + d + 2;
    this.layout = Object.freeze({ precisionTimesMean: 0, quadratic: d, logDetPrecision: d + 1, precision: d + 2 });
    this.winv = new Float64Array(d * d);
    this.chol = new Float64Array(d * d);
    this.W = new Float64Array(d * d);
    this.m = new Float64Array(d);
    this.work = new Float64Array(d);
  }

  // Named accessors of the statistics of instance i (offsets from `layout`).
  /** E[(Λμ)_j] of instance i. */
  eprecisionTimesMean(stats: Float64Array, i: number, j: number): number {
    return stats[i * this.size + this.layout.precisionTimesMean + j]!;
  }
  /** E[μᵀΛμ] of instance i. */
  equadratic(stats: Float64Array, i: number): number {
    return stats[i * this.size + this.layout.quadratic]!;
  }
  /** E[log|Λ|] of instance i. */
  elogdet(stats: Float64Array, i: number): number {
    return stats[i * this.size + this.layout.logDetPrecision]!;
  }
  /** E[Λ_jk] of instance i. */
  eprecision(stats: Float64Array, i: number, j: number, k: number): number {
    return stats[i * this.size + this.layout.precision + j * this.dim + k]!;
  }

  /** β = −2η_q. */
  precisionScale(eta: Float64Array, o = 0): number {
    return -2 * eta[o + this.dim]!;
  }
  /** ν = 2η_logdet + d. */
  df(eta: Float64Array, o = 0): number {
    return 2 * eta[o + this.dim + 1]! + this.dim;
  }

  /**
   * Unpacks instance η[o..o+size) into β, ν, m, W⁻¹ and its Cholesky factor (scratch); returns
   * log|W|. Throws NOT_POSITIVE_DEFINITE when W⁻¹ is not SPD.
   */
  private unpack(eta: Float64Array, o: number): number {
    const d = this.dim, P = o + d + 2;
    const beta = (this.beta = this.precisionScale(eta, o));
    this.nu = this.df(eta, o);
    for (let i = 0; i < d; i++) this.m[i] = eta[o + i]! / beta;
    // W⁻¹ = −2 sym(η_Λ) − β m mᵀ.
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      this.winv[i * d + j] = -(eta[P + i * d + j]! + eta[P + j * d + i]!) - beta * this.m[i]! * this.m[j]!;
    }
    choleskyInto(this.winv, d, this.chol, "NormalWishart inverse scale");
    return -logDetFromCholesky(this.chol, d);
  }
  /** unpack() followed by W = (W⁻¹)⁻¹ into scratch. */
  private unpackWithScale(eta: Float64Array, o: number): number {
    const logDetW = this.unpack(eta, o);
    inverseFromCholesky(this.chol, this.dim, this.W, this.work);
    return logDetW;
  }

  sufficientStats(x: Float64Array, out = new Float64Array(this.size)): Float64Array {
    const d = this.dim, P = d + 2;
    const lambda = x.subarray(d, d + d * d);
    out[d + 1] = logDetFromCholesky(cholesky(lambda, d, "NormalWishart precision value"), d);
    let q = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += lambda[i * d + j]! * x[j]!;
      out[i] = s;
      q += x[i]! * s;
    }
    out[d] = q;
    for (let i = 0; i < d * d; i++) out[P + i] = lambda[i]!;
    return out;
  }
  logBase(): number {
    return -0.5 * this.dim * LOG_2PI;
  }
  expectedLogBase(): number {
    return -0.5 * this.dim * LOG_2PI;
  }
  logPartition(eta: Float64Array): number {
    const d = this.dim;
    const logDetW = this.unpack(eta, 0);
    return -0.5 * d * Math.log(this.beta) + 0.5 * this.nu * logDetW + 0.5 * this.nu * d * LN2 + mvgammaln(0.5 * this.nu, d);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(this.size)): Float64Array {
    this.statsInto(eta, 0, out, 0);
    return out;
  }
  /** E[T] of instance η[o..) into out[oo..); returns A(η) (free once W is known). */
  private statsInto(eta: Float64Array, o: number, out: Float64Array, oo: number): number {
    const d = this.dim, P = oo + d + 2;
    const logDetW = this.unpackWithScale(eta, o);
    const nu = this.nu, beta = this.beta, W = this.W, m = this.m;
    let q = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        s += W[i * d + j]! * m[j]!;
        out[P + i * d + j] = nu * W[i * d + j]!;
      }
      out[oo + i] = nu * s;
      q += m[i]! * s;
    }
    out[oo + d] = d / beta + nu * q;
    out[oo + d + 1] = mvdigamma(0.5 * nu, d) + d * LN2 + logDetW;
    return -0.5 * d * Math.log(beta) + 0.5 * nu * logDetW + 0.5 * nu * d * LN2 + mvgammaln(0.5 * nu, d);
  }
  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false, weights: Float64Array | null = null): number {
    const k = this.size, logH = this.expectedLogBase();
    let s = 0;
    for (let i = 0; i < count; i++) {
      const a = this.statsInto(eta, i * k, out, i * k);
      if (wantLogNormaliser) s += (weights === null ? 1 : weights[i]!) * (a - logH);
    }
    return s;
  }
  /** H = (d/2)(1 + log 2π) − (d/2) log β − ((ν − d)/2) E[log|Λ|] + νd/2 + (ν/2) log|W| + (νd/2) log 2 + log Γ_d(ν/2). */
  override entropy(eta: Float64Array): number {
    const d = this.dim;
    const logDetW = this.unpack(eta, 0);
    const nu = this.nu, eLogDet = mvdigamma(0.5 * nu, d) + d * LN2 + logDetW;
    return 0.5 * d * (1 + LOG_2PI) - 0.5 * d * Math.log(this.beta) - 0.5 * (nu - d) * eLogDet + 0.5 * nu * d +
      0.5 * nu * logDetW + 0.5 * nu * d * LN2 + mvgammaln(0.5 * nu, d);
  }
  /** Broad and proper: m = 0, β = 1, ν = d + 1, W = I. */
  override startingPoint(): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    eta[d] = -0.5;
    eta[d + 1] = 0.5;
    for (let i = 0; i < d; i++) eta[d + 2 + i * d + i] = -0.5;
    return eta;
  }
  /** Λ ~ Wishart(ν, W), then μ | Λ ~ N(m, (βΛ)⁻¹); returns [μ, vec Λ]. */
  sample(eta: Float64Array, rng: Generator): Float64Array {
    const d = this.dim;
    this.unpackWithScale(eta, 0);
    const beta = this.beta, m = this.m.slice();
    const out = new Float64Array(this.valueSize);
    const lambda = sampleWishart(rng, this.nu, this.W.slice(), d, out.subarray(d));
    const scaled = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) scaled[i] = beta * lambda[i]!;
    mvFromCholesky(rng, m, cholesky(scaled, d, "NormalWishart sampled precision"), d, out.subarray(0, d), true);
    return out;
  }
  toNatural(p: NormalWishartParams): Float64Array {
    const d = this.dim;
    checkLength("NormalWishart", "mean", p.mean.length, d);
    for (let i = 0; i < d; i++) checkParam(Number.isFinite(p.mean[i]!), "NormalWishart", `mean[${i}]`, p.mean[i]!, "a finite number");
    checkParam(p.precisionScale > 0 && Number.isFinite(p.precisionScale), "NormalWishart", "precisionScale", p.precisionScale, "a finite number > 0");
    checkParam(p.df > d - 1 && Number.isFinite(p.df), "NormalWishart", "df", p.df, `a finite number > d − 1 = ${d - 1}`);
    checkLength("NormalWishart", "scale", p.scale.length, d * d);
    for (let i = 0; i < d * d; i++) checkParam(Number.isFinite(p.scale[i]!), "NormalWishart", `scale[${i}]`, p.scale[i]!, "a finite number");
    checkSymmetric("NormalWishart", "scale", p.scale, d);
    const winv = inverseFromCholesky(cholesky(p.scale, d, "NormalWishart scale"), d, new Float64Array(d * d));
    return this.fromStandard(p.mean, p.precisionScale, p.df, winv);
  }
  /** η from m, β, ν and W⁻¹ directly (the form Bishop's updates produce; not validated). */
  fromStandard(mean: ArrayLike<number>, precisionScale: number, df: number, inverseScale: Float64Array): Float64Array {
    const d = this.dim, P = d + 2, eta = new Float64Array(this.size);
    for (let i = 0; i < d; i++) eta[i] = precisionScale * mean[i]!;
    eta[d] = -0.5 * precisionScale;
    eta[d + 1] = 0.5 * (df - d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      eta[P + i * d + j] = -0.25 * (inverseScale[i * d + j]! + inverseScale[j * d + i]!) - 0.5 * precisionScale * mean[i]! * mean[j]!;
    }
    return eta;
  }
  fromNatural(eta: Float64Array): NormalWishartParams {
    this.unpackWithScale(eta, 0);
    return { mean: this.m.slice(), precisionScale: this.beta, df: this.nu, scale: this.W.slice() };
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    const d = this.dim, beta = this.precisionScale(eta), nu = this.df(eta);
    if (!(beta > 0)) {
      throw new VireoError("INVALID_PARAMETER", `${where}: NormalWishart precisionScale β = −2η[${d}] must be > 0, got ${fmt(beta)}.`, { parameter: "precisionScale" });
    }
    if (!(nu > d - 1)) {
      throw new VireoError("INVALID_PARAMETER", `${where}: NormalWishart df ν = 2η[${d + 1}] + d must be > d − 1 = ${d - 1}, got ${fmt(nu)}.`, { parameter: "df" });
    }
    try {
      this.unpack(eta, 0);
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `${where}: ${(e as Error).message}`, { parameter: "scale" });
    }
  }
  /** Index of the first improper instance, or −1 (allocation-free: the engine checks every update). */
  override firstImproperRow(eta: Float64Array, count: number): number {
    const k = this.size, d = this.dim;
    for (let i = 0; i < count; i++) {
      const o = i * k;
      if (!(this.precisionScale(eta, o) > 0) || !(this.df(eta, o) > d - 1)) return i;
      try {
        this.unpack(eta, o);
      } catch {
        return i;
      }
    }
    return -1;
  }
  /** A value [μ, vec Λ] is in the support when μ is finite and Λ symmetric positive definite. */
  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const d = this.dim;
    for (let i = 0; i < this.valueSize; i++) if (!Number.isFinite(values[offset + i])) return { column: i, expected: "a finite number" };
    const lambda = values.subarray(offset + d, offset + d + d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = lambda[i * d + j]!, b = lambda[j * d + i]!;
        if (!(Math.abs(a - b) <= 1e-10 * Math.max(Math.abs(a), Math.abs(b), Math.sqrt(Math.abs(lambda[i * d + i]! * lambda[j * d + j]!))))) {
          return { column: d + i * d + j, expected: `a symmetric precision block Λ (entry Λ[${j},${i}] is ${fmt(b)})` };
        }
      }
    }
    try {
      cholesky(lambda as Float64Array<ArrayBuffer>, d, "NormalWishart precision value");
    } catch {
      return { column: null, expected: `[μ (${d} numbers), vec Λ (${d}×${d} symmetric positive definite, row-major)]` };
    }
    return null;
  }
  /**
   * Mixture seeding: a component's (μ, Λ) moves to be located at the data point values[offset ..
   * offset + d), keeping β, ν and W (its spread and the strength of its location).
   */
  override seedAt(eta: Float64Array, values: Float64Array, offset: number): boolean {
    this.unpack(eta, 0);
    eta.set(this.fromStandard(values.subarray(offset, offset + this.dim), this.beta, this.nu, this.winv));
    return true;
  }
  /** [E[μ], E[Λ]] = [m, νW]. */
  mean(eta: Float64Array): Float64Array {
    const d = this.dim, out = new Float64Array(this.valueSize);
    this.unpackWithScale(eta, 0);
    out.set(this.m);
    for (let i = 0; i < d * d; i++) out[d + i] = this.nu * this.W[i]!;
    return out;
  }
  /**
   * [Var μ_i, Var Λ_ij]: μ is marginally Student-t with covariance W⁻¹ / (β(ν − d − 1)), finite
   * for ν > d + 1 (Infinity otherwise); Var Λ_ij = ν (W_ij² + W_ii W_jj).
   */
  variance(eta: Float64Array): Float64Array {
    const d = this.dim, out = new Float64Array(this.valueSize);
    this.unpackWithScale(eta, 0);
    const nu = this.nu, c = nu > d + 1 ? 1 / (this.beta * (nu - d - 1)) : Infinity;
    for (let i = 0; i < d; i++) out[i] = c * this.winv[i * d + i]!;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[d + i * d + j] = nu * (this.W[i * d + j]! ** 2 + this.W[i * d + i]! * this.W[j * d + j]!);
    return out;
  }
}

/**
 * The NormalWishart family over (μ ∈ ℝᵈ, Λ d×d SPD) (one shared instance per d); an inline
 * constant [μ, vec Λ] of d + d² values picks d.
 */
export const NormalWishart = familyConstructor("NormalWishart", (d) => new NormalWishartFamily(d), (length) => {
  const d = Math.round((Math.sqrt(1 + 4 * length) - 1) / 2);
  return d >= 1 && d * d + d === length ? d : `a NormalWishart constant is [μ (d), vec Λ (d×d)], d + d² values; ${length} is not of that form.`;
});
