/**
 * Normal(mean, variance) on ℝ.  T(x) = [x, x²],  η = [μ/σ², −1/(2σ²)],
 * A(η) = −η₁²/(4η₂) − ½ log(−2η₂),  h(x) = (2π)^{-1/2}.
 */
import { ExponentialFamily, type SupportViolation, checkParam , noInteriorMode } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { invertCdf, normalCdf } from "../special/incomplete.js";
import { LOG_2PI } from "../special/functions.js";
import { sampleStandardNormal } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { identityTransform, type Transform } from "../variational/transform.js";

export interface NormalParams {
  readonly mean: number;
  readonly variance: number;
}

export class NormalFamily extends ExponentialFamily<number, NormalParams> {
  readonly name = "Normal";
  readonly size = 2;

  // Statistics layout per instance i: [E[x], E[x²]] (natural parameters: [η₁, η₂] in the same slots).
  /** E[x] of instance i. */
  ex(stats: Float64Array, i: number): number {
    return stats[2 * i]!;
  }
  /** E[x²] of instance i. */
  ex2(stats: Float64Array, i: number): number {
    return stats[2 * i + 1]!;
  }

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return Number.isFinite(x) ? null : { column: null, expected: "a finite number" };
  }
  override get finiteSupport(): boolean {
    return true;
  }
  /** Tight loop: every value finite, else the base class names the first bad row. */
  override checkSupport(values: Float64Array, count: number, label: string, variable?: string): void {
    let ok = true;
    for (let i = 0; i < count; i++) ok = ok && Number.isFinite(values[i]!);
    if (!ok) super.checkSupport(values, count, label, variable);
  }
  /** [x, x²] per row, without a view per row. */
  override knownStatsRows(values: Float64Array, count: number, out: Float64Array): Float64Array {
    for (let i = 0; i < count; i++) {
      const x = values[i]!;
      out[2 * i] = x;
      out[2 * i + 1] = x * x;
    }
    return out;
  }
  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false, weights: Float64Array | null = null): number {
    let s = 0;
    for (let i = 0; i < count; i++) {
      const e1 = eta[2 * i]!, e2 = eta[2 * i + 1]!, v = -0.5 / e2, m = e1 * v;
      out[2 * i] = m;
      out[2 * i + 1] = m * m + v;
      if (wantLogNormaliser) s += (weights === null ? 1 : weights[i]!) * ((-e1 * e1) / (4 * e2) - 0.5 * Math.log(-2 * e2) + 0.5 * LOG_2PI);
    }
    return s;
  }
  override entropyRows(eta: Float64Array, count: number, weights: Float64Array | null = null): number {
    let s = 0;
    for (let i = 0; i < count; i++) s += (weights === null ? 1 : weights[i]!) * 0.5 * (1 + LOG_2PI + Math.log(-0.5 / eta[2 * i + 1]!));
    return s;
  }
  sufficientStats(x: number, out = new Float64Array(2)): Float64Array {
    out[0] = x;
    out[1] = x * x;
    return out;
  }
  logBase(): number {
    return -0.5 * LOG_2PI;
  }
  logPartition(eta: Float64Array): number {
    return (-eta[0]! * eta[0]!) / (4 * eta[1]!) - 0.5 * Math.log(-2 * eta[1]!);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(2)): Float64Array {
    const v = -0.5 / eta[1]!;
    const m = eta[0]! * v;
    out[0] = m;
    out[1] = m * m + v;
    return out;
  }
  expectedLogBase(): number {
    return -0.5 * LOG_2PI;
  }
  override entropy(eta: Float64Array): number {
    return 0.5 * (1 + LOG_2PI + Math.log(-0.5 / eta[1]!));
  }
  /** N(0, 1). */
  override startingPoint(): Float64Array {
    return Float64Array.of(0, -0.5);
  }
  /** Mixture seeding: mean at the data value, precision kept (η₁ = −2η₂x). */
  override seedAt(eta: Float64Array, values: Float64Array, offset: number): boolean {
    eta[0] = -2 * eta[1]! * values[offset]!;
    return true;
  }
  sample(eta: Float64Array, rng: Generator): number {
    const v = -0.5 / eta[1]!;
    return eta[0]! * v + Math.sqrt(v) * sampleStandardNormal(rng);
  }
  toNatural(p: NormalParams): Float64Array {
    checkParam(Number.isFinite(p.mean), "Normal", "mean", p.mean, "a finite number");
    checkParam(p.variance > 0 && Number.isFinite(p.variance), "Normal", "variance", p.variance, "a finite number > 0");
    return Float64Array.of(p.mean / p.variance, -0.5 / p.variance);
  }
  fromNatural(eta: Float64Array): NormalParams {
    const v = -0.5 / eta[1]!;
    return { mean: eta[0]! * v, variance: v };
  }
  override firstImproperRow(eta: Float64Array, count: number): number {
    for (let i = 0; i < count; i++) if (!(eta[2 * i + 1]! < 0)) return i;
    return -1;
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    if (!(eta[1]! < 0)) {
      throw new VireoError(
        "INVALID_PARAMETER",
        `${where}: Normal η₂ = −precision/2 must be < 0, got ${fmt(eta[1]!)} (a non-positive precision).`,
        { parameter: "precision" },
      );
    }
  }
  mean(eta: Float64Array): number {
    // The same arithmetic as fromNatural, so params().mean and meanOf() agree to the bit.
    return eta[0]! * (-0.5 / eta[1]!);
  }
  variance(eta: Float64Array): number {
    return -0.5 / eta[1]!;
  }

  /** Φ⁻¹ by bisection on the CDF (exact to the last bit). */
  override quantile(eta: Float64Array, p: number, out: Float64Array): boolean {
    const m = this.mean(eta), s = Math.sqrt(this.variance(eta));
    out[0] = invertCdf((x) => normalCdf(x, m, s), p, m - 40 * s, m + 40 * s);
    return true;
  }
  /** The mean −η₀/(2η₁) (identity bijector: the same in z). */
  override mode(eta: Float64Array, out: Float64Array, _unconstrained: boolean, where = this.key): boolean {
    if (!(eta[1]! < 0)) noInteriorMode(where, `precision −2η₁ = ${fmt(-2 * eta[1]!)} is not positive`);
    out[0] = -eta[0]! / (2 * eta[1]!);
    return true;
  }
  override get supportBijector(): Transform {
    return identityTransform;
  }
  override get quadraticStats(): boolean {
    return true;
  }
  /** T = (x, x²): ∂⟨c, T⟩/∂x = c₀ + 2c₁x. */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    grad[0] += c[0]! + 2 * c[1]! * x[0]!;
  }
}

export const Normal = new NormalFamily();
