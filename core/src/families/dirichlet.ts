/**
 * Dirichlet(α) on the (K−1)-simplex.  T(x) = log x,  η = α − 1,
 * A(η) = Σ log Γ(α_k) − log Γ(Σ α_k),  E[log x_k] = ψ(α_k) − ψ(α₀),  h = 1.
 */
import { ExponentialFamily, checkParam, checkLength, familyConstructor, type SupportViolation , noInteriorMode } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { invertCdf, betaInc } from "../special/incomplete.js";
import { gammaln, digamma } from "../special/functions.js";
import { digammaPositive } from "../special/digamma-positive.js";
import { sampleDirichlet } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { stickBreaking } from "../variational/stick-breaking.js";
import type { Transform } from "../variational/transform.js";

export interface DirichletParams {
  readonly alpha: Float64Array;
}

export class DirichletFamily extends ExponentialFamily<Float64Array, DirichletParams> {
  readonly name = "Dirichlet";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;
  override get valueSize(): number {
    return this.dim;
  }

  constructor(K: number) {
    super();
    if (!(Number.isInteger(K) && K >= 2)) {
      throw new VireoError("INVALID_PARAMETER", `Dirichlet: the dimension K must be an integer ≥ 2, got ${K}.`, { parameter: "K" });
    }
    this.size = K;
    this.dim = K;
  }
  // Statistics layout per instance i (block of size K): [E[log x_k], k = 0..K−1].
  /** Offset of instance i's E[log x] in a statistics (or natural-parameter) buffer. */
  offset(i: number): number {
    return i * this.size;
  }
  /** E[log x_k] of instance i. */
  elog(stats: Float64Array, i: number, k: number): number {
    return stats[i * this.size + k]!;
  }


  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    let s = 0;
    for (let k = 0; k < this.dim; k++) {
      const p = values[offset + k]!;
      if (!(p > 0)) return { column: k, expected: "a positive probability" };
      s += p;
    }
    return Math.abs(s - 1) <= 1e-9 ? null : { column: null, expected: `a probability vector summing to 1 (it sums to ${fmt(s)})` };
  }
  sufficientStats(x: Float64Array, out = new Float64Array(this.size)): Float64Array {
    for (let k = 0; k < this.size; k++) out[k] = Math.log(x[k]!);
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    let s = 0, a0 = 0;
    for (let k = 0; k < this.size; k++) {
      const a = eta[k]! + 1;
      s += gammaln(a);
      a0 += a;
    }
    return s - gammaln(a0);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(this.size)): Float64Array {
    let a0 = 0;
    for (let k = 0; k < this.size; k++) a0 += eta[k]! + 1;
    const d0 = psi(a0);
    for (let k = 0; k < this.size; k++) out[k] = psi(eta[k]! + 1) - d0;
    return out;
  }
  /** E[log p] of every row in one pass per row (LDA's topics: K × V entries per global step). */
  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false, weights: Float64Array | null = null): number {
    if (wantLogNormaliser) return super.expectedStatsRows(eta, out, count, wantLogNormaliser, weights);
    const K = this.size;
    for (let i = 0, o = 0; i < count; i++, o += K) {
      let a0 = 0;
      for (let k = 0; k < K; k++) {
        const a = eta[o + k]! + 1;
        a0 += a;
        out[o + k] = psi(a);
      }
      const d0 = psi(a0);
      for (let k = 0; k < K; k++) out[o + k] = out[o + k]! - d0;
    }
    return 0;
  }
  expectedLogBase(): number {
    return 0;
  }
  sample(eta: Float64Array, rng: Generator): Float64Array {
    return sampleDirichlet(rng, eta.map((e) => e + 1));
  }
  toNatural(p: DirichletParams): Float64Array {
    checkLength("Dirichlet", "alpha", p.alpha.length, this.size);
    for (let k = 0; k < this.size; k++) {
      checkParam(p.alpha[k]! > 0 && Number.isFinite(p.alpha[k]!), "Dirichlet", `alpha[${k}]`, p.alpha[k]!, "a finite number > 0");
    }
    return Float64Array.from(p.alpha, (a) => a - 1);
  }
  fromNatural(eta: Float64Array): DirichletParams {
    return { alpha: Float64Array.from(eta, (e) => e + 1) };
  }
  override firstImproperRow(eta: Float64Array, count: number): number {
    const K = this.size;
    for (let i = 0; i < count; i++) for (let k = 0; k < K; k++) if (!(eta[i * K + k]! > -1)) return i;
    return -1;
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    for (let k = 0; k < this.size; k++) {
      if (!(eta[k]! > -1)) {
        throw new VireoError("INVALID_PARAMETER", `${where}: Dirichlet alpha[${k}] = η[${k}] + 1 must be > 0, got ${fmt(eta[k]! + 1)}.`, { parameter: `alpha[${k}]` });
      }
    }
  }
  mean(eta: Float64Array): Float64Array {
    let a0 = 0;
    for (let k = 0; k < this.size; k++) a0 += eta[k]! + 1;
    return eta.map((e) => (e + 1) / a0);
  }
  variance(eta: Float64Array): Float64Array {
    let a0 = 0;
    for (let k = 0; k < this.size; k++) a0 += eta[k]! + 1;
    return eta.map((e) => {
      const m = (e + 1) / a0;
      return (m * (1 - m)) / (a0 + 1);
    });
  }

  /** Each component's Beta(α_k, α₀ − α_k) marginal. */
  override quantile(eta: Float64Array, p: number, out: Float64Array): boolean {
    let a0 = 0;
    for (let k = 0; k < this.dim; k++) a0 += eta[k]! + 1;
    for (let k = 0; k < this.dim; k++) {
      const a = eta[k]! + 1;
      out[k] = invertCdf((x) => betaInc(a, a0 - a, x), p, 0, 1);
    }
    return true;
  }
  /**
   * (α_k − 1)/Σ(α_j − 1); through stick-breaking log|J| = Σ_k log x_k (the triangular Jacobian
   * telescopes), which adds 1 to every η_k: α_k/Σα_j.
   */
  override mode(eta: Float64Array, out: Float64Array, unconstrained: boolean, where = this.key): boolean {
    const K = this.dim, shift = unconstrained ? 1 : 0;
    let total = 0;
    for (let k = 0; k < K; k++) {
      const a = eta[k]! + shift;
      if (!(a >= 0)) noInteriorMode(where, `α_${k}${unconstrained ? "" : " − 1"} = ${fmt(a)} is negative`);
      total += a;
    }
    if (!(total > 0)) noInteriorMode(where, `Σ(α_k${unconstrained ? "" : " − 1"}) = ${fmt(total)} is not positive`);
    for (let k = 0; k < K; k++) out[k] = (eta[k]! + shift) / total;
    return true;
  }
  override get supportBijector(): Transform {
    return stickBreaking;
  }
  /** T = log x: ∂⟨c, T⟩/∂x_k = c_k / x_k. */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    for (let k = 0; k < this.size; k++) grad[k] += c[k]! / x[k]!;
  }
}

/** The Dirichlet family of dimension K (one shared instance per K); an inline constant of K ≥ 2 values picks K. */
export const Dirichlet = familyConstructor("Dirichlet", (K) => new DirichletFamily(K), (length) =>
  length >= 2 ? length : `a Dirichlet constant is a probability vector of 2 or more values, got ${length}.`);

/** ψ by the fast series where α > 0 (every proper Dirichlet), stdlib's elsewhere (same values as before for improper input). */
function psi(a: number): number {
  return a > 0 ? digammaPositive(a) : digamma(a);
}
