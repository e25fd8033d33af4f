/**
 * Wishart(df ν, scale V) on d×d SPD matrices X:  p(X) ∝ |X|^{(ν−d−1)/2} exp(−½ tr(V⁻¹X)).
 * T(X) = [log|X|, vec X],  η = [(ν−d−1)/2, vec(−½V⁻¹)],
 * A(η) = ν/2 log|V| + νd/2 log 2 + log Γ_d(ν/2),  h = 1,
 * E[log|X|] = ψ_d(ν/2) + d log 2 + log|V|,  E[X] = νV.
 */
import { ExponentialFamily, checkParam, checkLength, checkSymmetric, familyConstructor, type SupportViolation , noInteriorMode } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { mvgammaln, mvdigamma, LN2 } from "../special/functions.js";
import { cholesky, logDetFromCholesky, inverseFromCholesky } from "../linalg/dense.js";
import { sampleWishart } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { choleskyTransform } from "../variational/cholesky-transform.js";
import type { Transform } from "../variational/transform.js";

export interface WishartParams {
  readonly df: number;
  /** d×d scale matrix V, dense row-major. */
  readonly scale: Float64Array;
}

export class WishartFamily extends ExponentialFamily<Float64Array, WishartParams> {
  readonly name = "Wishart";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  override get valueSize(): number {
    return this.dim * this.dim;
  }

  constructor(d: number) {
    super();
    if (!(Number.isInteger(d) && d >= 1)) {
      throw new VireoError("INVALID_PARAMETER", `Wishart: the dimension d must be an integer ≥ 1, got ${d}.`, { parameter: "d" });
    }
    this.dim = d;
    this.size = 1 + d * d;
  }
  // Statistics layout per instance i (block of size 1 + d²): [E[log|X|], vec E[X] (d², row-major)].
  /** Offset of E[log|X|] of instance i. */
  logDetOffset(i: number): number {
    return i * this.size;
  }
  /** Offset of vec E[X] of instance i. */
  matrixOffset(i: number): number {
    return i * this.size + 1;
  }
  /** E[log|X|] of instance i. */
  elogdet(stats: Float64Array, i: number): number {
    return stats[i * this.size]!;
  }
  /** E[X_jk] of instance i. */
  ex(stats: Float64Array, i: number, j: number, k: number): number {
    return stats[i * this.size + 1 + j * this.dim + k]!;
  }


  df(eta: Float64Array): number {
    return 2 * eta[0]! + this.dim + 1;
  }
  /** V⁻¹ = −2 sym(η₂) as a new d×d array. */
  inverseScale(eta: Float64Array): Float64Array {
    const d = this.dim, W = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) W[i * d + j] = -(eta[1 + i * d + j]! + eta[1 + j * d + i]!);
    return W;
  }

  private parts(eta: Float64Array): { nu: number; logDetV: number; V: Float64Array } {
    const d = this.dim;
    const L = cholesky(this.inverseScale(eta), d, "Wishart inverse scale");
    const V = inverseFromCholesky(L, d, new Float64Array(d * d));
    return { nu: this.df(eta), logDetV: -logDetFromCholesky(L, d), V };
  }

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const d = this.dim, X = values.subarray(offset, offset + d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = X[i * d + j]!, b = X[j * d + i]!;
        if (!(Math.abs(a - b) <= 1e-10 * Math.max(Math.abs(a), Math.abs(b), Math.sqrt(Math.abs(X[i * d + i]! * X[j * d + j]!))))) {
          return { column: i * d + j, expected: `a symmetric ${d}×${d} matrix (entry [${j},${i}] is ${fmt(b)})` };
        }
      }
    }
    try {
      cholesky(X, d, "Wishart value");
    } catch {
      return { column: null, expected: `a symmetric positive-definite ${d}×${d} matrix (row-major)` };
    }
    return null;
  }
  sufficientStats(X: Float64Array, out = new Float64Array(this.size)): Float64Array {
    const d = this.dim;
    out[0] = logDetFromCholesky(cholesky(X, d, "Wishart value"), d);
    for (let i = 0; i < d * d; i++) out[1 + i] = X[i]!;
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    const d = this.dim;
    const { nu, logDetV } = this.parts(eta);
    return 0.5 * nu * logDetV + 0.5 * nu * d * LN2 + mvgammaln(0.5 * nu, d);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(this.size)): Float64Array {
    const d = this.dim;
    const { nu, logDetV, V } = this.parts(eta);
    out[0] = mvdigamma(0.5 * nu, d) + d * LN2 + logDetV;
    for (let i = 0; i < d * d; i++) out[1 + i] = nu * V[i]!;
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  /** Wishart(d + 1, I). */
  override startingPoint(): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    for (let i = 0; i < d; i++) eta[1 + i * d + i] = -0.5;
    return eta;
  }
  sample(eta: Float64Array, rng: Generator): Float64Array {
    const { nu, V } = this.parts(eta);
    return sampleWishart(rng, nu, V, this.dim);
  }
  toNatural(p: WishartParams): Float64Array {
    const d = this.dim;
    checkParam(p.df > d - 1 && Number.isFinite(p.df), "Wishart", "df", p.df, `a finite number > d − 1 = ${d - 1}`);
    checkLength("Wishart", "scale", p.scale.length, d * d);
    for (let i = 0; i < d * d; i++) checkParam(Number.isFinite(p.scale[i]!), "Wishart", `scale[${i}]`, p.scale[i]!, "a finite number");
    checkSymmetric("Wishart", "scale", p.scale, d);
    const W = inverseFromCholesky(cholesky(p.scale, d, "Wishart scale"), d, new Float64Array(d * d));
    return this.fromDfInverseScale(p.df, W);
  }
  /** η from ν and V⁻¹ directly (the form VMP updates produce). */
  fromDfInverseScale(df: number, inverseScale: Float64Array): Float64Array {
    const d = this.dim, eta = new Float64Array(this.size);
    eta[0] = 0.5 * (df - d - 1);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) eta[1 + i * d + j] = -0.25 * (inverseScale[i * d + j]! + inverseScale[j * d + i]!);
    return eta;
  }
  fromNatural(eta: Float64Array): WishartParams {
    const { nu, V } = this.parts(eta);
    return { df: nu, scale: V };
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    const nu = this.df(eta);
    if (!(nu > this.dim - 1)) {
      throw new VireoError("INVALID_PARAMETER", `${where}: Wishart df = 2η₁ + d + 1 must be > d − 1 = ${this.dim - 1}, got ${fmt(nu)}.`, { parameter: "df" });
    }
    try {
      cholesky(this.inverseScale(eta), this.dim, "Wishart inverse scale");
    } catch (e) {
      throw new VireoError("INVALID_PARAMETER", `${where}: ${(e as Error).message}`, { parameter: "scale" });
    }
  }
  mean(eta: Float64Array): Float64Array {
    const { nu, V } = this.parts(eta);
    return V.map((v) => nu * v);
  }
  /** Var(X_ij) = ν (V_ij² + V_ii V_jj), as a flattened d×d array. */
  variance(eta: Float64Array): Float64Array {
    const d = this.dim;
    const { nu, V } = this.parts(eta);
    const out = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = nu * (V[i * d + j]! ** 2 + V[i * d + i]! * V[j * d + j]!);
    return out;
  }

  private bijector: Transform | null = null;
  /**
   * (ν − d − 1)V = η₀ (−η₂)⁻¹ in X itself; the Cholesky bijector's Jacobian is not linear in
   * T(X), so the unconstrained mode has no closed form here (false: gradient steps).
   */
  override mode(eta: Float64Array, out: Float64Array, unconstrained: boolean, where = this.key): boolean {
    if (unconstrained) return false;
    const d = this.dim, a = eta[0]!, m = new Float64Array(d * d);
    if (!(a > 0)) noInteriorMode(where, `(ν − d − 1)/2 = ${fmt(a)} is not positive`);
    for (let i = 0; i < d * d; i++) m[i] = -eta[1 + i]!;
    let L: Float64Array;
    try {
      L = cholesky(m, d, `${where} −η₂`);
    } catch (e) {
      noInteriorMode(where, (e as Error).message);
    }
    inverseFromCholesky(L, d, out);
    for (let i = 0; i < d * d; i++) out[i] = out[i]! * a;
    return true;
  }
  override get supportBijector(): Transform {
    return (this.bijector ??= choleskyTransform(this.dim));
  }
  /** T = (log|X|, X): ∂⟨c, T⟩/∂X = c₀ X⁻¹ + C (X symmetric). */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    const d = this.dim, inv = inverseFromCholesky(cholesky(x, d, "Wishart draw"), d, new Float64Array(d * d));
    for (let i = 0; i < d * d; i++) grad[i] += c[0]! * inv[i]! + c[1 + i]!;
  }
}

/** The Wishart family on d×d matrices (one shared instance per d); an inline d×d constant picks d. */
export const Wishart = familyConstructor("Wishart", (d) => new WishartFamily(d), (length) => {
  const d = Math.round(Math.sqrt(length));
  return d * d === length ? d : `a Wishart constant is a d×d matrix, but ${length} values are not a square.`;
});
