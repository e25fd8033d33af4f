/**
 * Low-rank-plus-diagonal Gaussian q(z) = N(μ, B Bᵀ + diag(σ²)) with λ = [μ (d), ρ (d), B (d·r,
 * row-major)] and σ = e^ρ: the covariance of a full-rank q at O(d·r) parameters (Rezende et al.,
 * Ong et al. 2018). z = μ + B ε₁ + σ ⊙ ε₂ with ε = [ε₁ (r), ε₂ (d)].
 * With W = diag(σ)⁻¹ B and K = I_r + WᵀW (r × r):
 *   log det Σ = 2 Σ ρ_i + log det K                       (matrix determinant lemma)
 *   Σ⁻¹ = D⁻¹ − D⁻¹ B K⁻¹ Bᵀ D⁻¹,  D = diag(σ²)          (Woodbury)
 *   H = Σ ρ_i + ½ log det K + d/2 (1 + log 2π).
 */
import { LOG_2PI } from "../special/functions.js";
import { sampleStandardNormal } from "../random/samplers.js";
import { choleskyInto, inverseFromCholesky, logDetFromCholesky } from "../linalg/dense.js";
import { VireoError } from "../errors.js";
import type { Generator } from "../random/generator.js";
import { type TNode, sameTape } from "../autodiff/tape.js";
import { add, mul } from "../autodiff/arith.js";
import { exp } from "../autodiff/unary.js";
import { slice } from "../autodiff/indexing.js";
import { matmul } from "../autodiff/matmul.js";
import { type VariationalFamily, type VariationalFamilyFactory, requireDim, requireLength } from "./family.js";

export interface LowRankGaussianOptions {
  /** Rank r ≥ 1 of the factor B (default 1; capped at d). */
  readonly rank?: number;
  /** Initial means (default 0). */
  readonly mean?: ArrayLike<number>;
  /** Initial diagonal standard deviation (default 1); B starts at 0.01 on its leading diagonal. */
  readonly sd?: number;
}

/** Workspace of the r × r algebra, owned by one family object (no module-level buffers). */
class LowRankWork {
  readonly W: Float64Array;
  readonly K: Float64Array;
  readonly L: Float64Array;
  readonly Kinv: Float64Array;
  readonly WK: Float64Array;
  readonly col: Float64Array;
  constructor(d: number, r: number) {
    this.W = new Float64Array(d * r);
    this.K = new Float64Array(r * r);
    this.L = new Float64Array(r * r);
    this.Kinv = new Float64Array(r * r);
    this.WK = new Float64Array(d * r);
    this.col = new Float64Array(r);
  }
}

export class LowRankGaussianQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize: number;
  readonly reparameterizable = true;
  readonly discrete = false;
  readonly rank: number;
  private readonly work: LowRankWork;
  private readonly eps: Float64Array;

  constructor(readonly dim: number, private readonly options: LowRankGaussianOptions = {}) {
    requireDim(dim, "LowRankGaussian");
    requireLength(options.mean, dim, "LowRankGaussian", "mean");
    const r = options.rank ?? 1;
    if (!Number.isInteger(r) || r < 1) {
      throw new VireoError("INVALID_PARAMETER", `LowRankGaussian: rank must be a positive integer, got ${r}.`, { parameter: "rank" });
    }
    this.rank = Math.min(r, dim);
    this.name = `LowRankGaussian(${dim}, rank ${this.rank})`;
    this.nParams = 2 * dim + dim * this.rank;
    this.noiseSize = this.rank + dim;
    this.work = new LowRankWork(dim, this.rank);
    this.eps = new Float64Array(this.noiseSize);
  }

  init(out: Float64Array): void {
    const d = this.dim, r = this.rank, logSd = Math.log(this.options.sd ?? 1);
    out.fill(0, 0, this.nParams);
    for (let i = 0; i < d; i++) {
      out[i] = this.options.mean?.[i] ?? 0;
      out[d + i] = logSd;
    }
    // A small non-zero B, so its gradient is not zero at the start (B = 0 is a saddle of the ELBO).
    for (let k = 0; k < r; k++) out[2 * d + k * r + k] = 0.01;
  }

  /** [μ, σ, B, ρ, λ]. */
  prepare(lambda: TNode): TNode[] {
    const d = this.dim, r = this.rank;
    const rho = slice(lambda, d, d);
    return [slice(lambda, 0, d), exp(rho), slice(lambda, 2 * d, d * r, [d, r]), rho, lambda];
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < this.noiseSize; i++) eps[i] = sampleStandardNormal(rng);
  }

  reparam(parts: TNode[], eps: TNode): TNode {
    const r = this.rank, d = this.dim;
    return add(add(parts[0]!, matmul(parts[2]!, slice(eps, 0, r))), mul(parts[1]!, slice(eps, r, d)));
  }

  entropy(parts: TNode[]): TNode {
    return this.entropyNode(parts[3]!, parts[2]!);
  }

  /** Fills W = diag(e^−ρ) B, K = I + WᵀW, its Cholesky factor and K⁻¹; returns log det K. */
  private factorK(rho: Float64Array, B: Float64Array): number {
    const d = this.dim, r = this.rank, { W, K, L, Kinv, col } = this.work;
    for (let i = 0; i < d; i++) {
      const s = Math.exp(-rho[i]!);
      for (let j = 0; j < r; j++) W[i * r + j] = B[i * r + j]! * s;
    }
    for (let a = 0; a < r; a++) {
      for (let b = 0; b <= a; b++) {
        let s = a === b ? 1 : 0;
        for (let i = 0; i < d; i++) s += W[i * r + a]! * W[i * r + b]!;
        K[a * r + b] = s;
        K[b * r + a] = s;
      }
    }
    choleskyInto(K, r, L, "I + WᵀW");
    inverseFromCholesky(L, r, Kinv, col as Float64Array<ArrayBuffer>);
    return logDetFromCholesky(L, r);
  }

  /** H on the tape: one node over ρ and B with its gradient computed in the forward pass. */
  private entropyNode(rho: TNode, B: TNode): TNode {
    const t = sameTape("LowRankGaussian.entropy", rho, B);
    const d = this.dim, r = this.rank;
    const n = t.node("lowRankEntropy", 0, 1, 1);
    n.a = rho;
    n.b = B;
    n.needsGrad = rho.needsGrad || B.needsGrad;
    const logDetK = this.factorK(rho.value, B.value);
    let sumRho = 0;
    for (let i = 0; i < d; i++) sumRho += rho.value[i]!;
    n.value[0] = sumRho + 0.5 * logDetK + 0.5 * d * (1 + LOG_2PI);
    // ∂(½ log det K)/∂W = W K⁻¹; W_ij = B_ij e^{−ρ_i}.
    const g = n.scratch(d + d * r), { W, Kinv, WK } = this.work;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += W[i * r + k]! * Kinv[k * r + j]!;
        WK[i * r + j] = s;
      }
    }
    for (let i = 0; i < d; i++) {
      const e = Math.exp(-rho.value[i]!);
      let dr = 1;
      for (let j = 0; j < r; j++) {
        dr -= WK[i * r + j]! * W[i * r + j]!;
        g[d + i * r + j] = WK[i * r + j]! * e;
      }
      g[i] = dr;
    }
    n.backward = lowRankEntropyBackward;
    return n;
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    const d = this.dim, r = this.rank, eps = this.eps;
    this.drawNoise(rng, eps);
    for (let i = 0; i < d; i++) {
      let s = lambda[i]! + Math.exp(lambda[d + i]!) * eps[r + i]!;
      for (let j = 0; j < r; j++) s += lambda[2 * d + i * r + j]! * eps[j]!;
      out[i] = s;
    }
  }

  /** Σ⁻¹ (dense, d × d) into `out` by Woodbury; returns log det Σ. */
  precision(lambda: Float64Array, out = new Float64Array(this.dim * this.dim)): number {
    const d = this.dim, r = this.rank, rho = lambda.subarray(d, 2 * d), B = lambda.subarray(2 * d, 2 * d + d * r);
    const logDetK = this.factorK(rho, B);
    const { W, Kinv } = this.work;
    let logDet = logDetK;
    for (let i = 0; i < d; i++) logDet += 2 * rho[i]!;
    // Σ⁻¹ = D⁻¹ − (D^{-1/2} W) K⁻¹ (D^{-1/2} W)ᵀ with D^{-1/2} W = diag(e^{−ρ}) W.
    for (let i = 0; i < d; i++) {
      const ei = Math.exp(-rho[i]!);
      for (let k = 0; k <= i; k++) {
        const ek = Math.exp(-rho[k]!);
        let s = 0;
        for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) s += W[i * r + a]! * Kinv[a * r + b]! * W[k * r + b]!;
        const v = (i === k ? ei * ei : 0) - ei * ek * s;
        out[i * d + k] = v;
        out[k * d + i] = v;
      }
    }
    return logDet;
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    const d = this.dim, P = new Float64Array(d * d);
    const logDet = this.precision(lambda, P);
    let q = 0;
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) q += (z[i]! - lambda[i]!) * P[i * d + k]! * (z[k]! - lambda[k]!);
    return -0.5 * (q + logDet + d * LOG_2PI);
  }

  /**
   * ∇_λ log q(z): with a = Σ⁻¹(z − μ) and G = ½(a aᵀ − Σ⁻¹): ∇μ = a, ∇B = 2 G B,
   * ∇ρ_i = 2 G_ii σ_i².
   */
  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    const d = this.dim, r = this.rank, P = new Float64Array(d * d), a = new Float64Array(d);
    this.precision(lambda, P);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += P[i * d + k]! * (z[k]! - lambda[k]!);
      a[i] = s;
    }
    for (let i = 0; i < d; i++) {
      out[i] = a[i]!;
      out[d + i] = (a[i]! * a[i]! - P[i * d + i]!) * Math.exp(2 * lambda[d + i]!);
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (a[i]! * a[k]! - P[i * d + k]!) * lambda[2 * d + k * r + j]!;
        out[2 * d + i * r + j] = s;
      }
    }
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = lambda[i]!;
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    const d = this.dim, r = this.rank;
    for (let i = 0; i < d; i++) {
      let s = Math.exp(2 * lambda[d + i]!);
      for (let j = 0; j < r; j++) s += lambda[2 * d + i * r + j]! ** 2;
      out[i] = s;
    }
  }

  /** [B | diag(σ)] (d × (r + d)): Cov = BBᵀ + diag(σ²). */
  covarianceFactor(lambda: Float64Array, out: Float64Array): number {
    const d = this.dim, r = this.rank, m = r + d;
    out.fill(0, 0, d * m);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < r; j++) out[i * m + j] = lambda[2 * d + i * r + j]!;
      out[i * m + r + i] = Math.exp(lambda[d + i]!);
    }
    return m;
  }

  /** Σ = B Bᵀ + diag(σ²), dense row-major. */
  covariance(lambda: Float64Array, out = new Float64Array(this.dim * this.dim)): Float64Array {
    const d = this.dim, r = this.rank;
    for (let i = 0; i < d; i++) {
      for (let k = 0; k < d; k++) {
        let s = i === k ? Math.exp(2 * lambda[d + i]!) : 0;
        for (let j = 0; j < r; j++) s += lambda[2 * d + i * r + j]! * lambda[2 * d + k * r + j]!;
        out[i * d + k] = s;
      }
    }
    return out;
  }
}

function lowRankEntropyBackward(n: TNode): void {
  const g = n.grad[0]!, aux = n.aux, rho = n.a!, B = n.b!, d = rho.size;
  if (rho.needsGrad) for (let i = 0; i < d; i++) rho.grad[i] += g * aux[i]!;
  if (B.needsGrad) for (let i = 0; i < B.size; i++) B.grad[i] += g * aux[d + i]!;
}

/**
 * A low-rank-plus-diagonal Gaussian of dimension d; without d, a family the model graph sizes
 * from the variable (`m.random("w", MvNormal(50), { q: lowRankGaussian({ rank: 3 }) })`).
 */
export function lowRankGaussian(options?: LowRankGaussianOptions): VariationalFamilyFactory;
export function lowRankGaussian(d: number, options?: LowRankGaussianOptions): LowRankGaussianQ;
export function lowRankGaussian(d?: number | LowRankGaussianOptions, options?: LowRankGaussianOptions): LowRankGaussianQ | VariationalFamilyFactory {
  if (typeof d === "number") return new LowRankGaussianQ(d, options);
  const opts = d ?? {};
  return { kind: "variational-family-factory", name: "LowRankGaussian", factorises: false, create: (dim) => new LowRankGaussianQ(dim, opts) };
}
