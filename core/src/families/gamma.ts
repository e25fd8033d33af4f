/**
 * Gamma(shape a, rate b) on (0, ∞).  T(x) = [log x, x],  η = [a − 1, −b],
 * A(η) = log Γ(a) − a log b,  h(x) = 1.
 */
import { ExponentialFamily, type SupportViolation, checkParam , noInteriorMode } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { invertCdf, gammaP } from "../special/incomplete.js";
import { gammaln, digamma } from "../special/functions.js";
import { sampleGamma } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { logTransform } from "../variational/log-transform.js";
import type { Transform } from "../variational/transform.js";

export interface GammaParams {
  readonly shape: number;
  readonly rate: number;
}

export class GammaFamily extends ExponentialFamily<number, GammaParams> {
  readonly name = "Gamma";
  readonly size = 2;

  // Statistics layout per instance i: [E[log x], E[x]] (natural parameters: [a − 1, −b]).
  /** E[log x] of instance i. */
  elog(stats: Float64Array, i: number): number {
    return stats[2 * i]!;
  }
  /** E[x] of instance i. */
  ex(stats: Float64Array, i: number): number {
    return stats[2 * i + 1]!;
  }

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return x > 0 && x < Infinity ? null : { column: null, expected: "a positive number" };
  }
  sufficientStats(x: number, out = new Float64Array(2)): Float64Array {
    out[0] = Math.log(x);
    out[1] = x;
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    const a = eta[0]! + 1, b = -eta[1]!;
    return gammaln(a) - a * Math.log(b);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(2)): Float64Array {
    const a = eta[0]! + 1, b = -eta[1]!;
    out[0] = digamma(a) - Math.log(b);
    out[1] = a / b;
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  /** Gamma(1, 1). */
  override startingPoint(): Float64Array {
    return Float64Array.of(0, -1);
  }
  sample(eta: Float64Array, rng: Generator): number {
    return sampleGamma(rng, eta[0]! + 1, -eta[1]!);
  }
  toNatural(p: GammaParams): Float64Array {
    checkParam(p.shape > 0 && Number.isFinite(p.shape), "Gamma", "shape", p.shape, "a finite number > 0");
    checkParam(p.rate > 0 && Number.isFinite(p.rate), "Gamma", "rate", p.rate, "a finite number > 0");
    return Float64Array.of(p.shape - 1, -p.rate);
  }
  fromNatural(eta: Float64Array): GammaParams {
    return { shape: eta[0]! + 1, rate: -eta[1]! };
  }
  override firstImproperRow(eta: Float64Array, count: number): number {
    for (let i = 0; i < count; i++) if (!(eta[2 * i]! > -1 && eta[2 * i + 1]! < 0)) return i;
    return -1;
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    if (!(eta[0]! > -1)) {
      throw new VireoError("INVALID_PARAMETER", `${where}: Gamma shape = η₁ + 1 must be > 0, got ${fmt(eta[0]! + 1)}.`, { parameter: "shape" });
    }
    if (!(eta[1]! < 0)) {
      throw new VireoError("INVALID_PARAMETER", `${where}: Gamma rate = −η₂ must be > 0, got ${fmt(-eta[1]!)}.`, { parameter: "rate" });
    }
  }
  mean(eta: Float64Array): number {
    return (eta[0]! + 1) / -eta[1]!;
  }
  variance(eta: Float64Array): number {
    return (eta[0]! + 1) / (eta[1]! * eta[1]!);
  }

  /** The inverse of the regularised incomplete gamma P(a, b x). */
  override quantile(eta: Float64Array, p: number, out: Float64Array): boolean {
    const a = eta[0]! + 1, b = -eta[1]!;
    out[0] = invertCdf((x) => gammaP(a, b * x), p, 0, (a + 10 * Math.sqrt(a) + 10) / b, true);
    return true;
  }
  /**
   * (a − 1)/b = η₀/(−η₁); through the log bijector log|J| = log x adds 1 to η₀: a/b.
   */
  override mode(eta: Float64Array, out: Float64Array, unconstrained: boolean, where = this.key): boolean {
    const a1 = eta[0]! + (unconstrained ? 1 : 0), b = -eta[1]!;
    if (!(b > 0 && a1 > 0)) noInteriorMode(where, `shape${unconstrained ? "" : " − 1"} = ${fmt(a1)} and rate = ${fmt(b)} must both be positive`);
    out[0] = a1 / b;
    return true;
  }
  override get supportBijector(): Transform {
    return logTransform;
  }
  /** T = (log x, x): ∂⟨c, T⟩/∂x = c₀/x + c₁. */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    grad[0] += c[0]! / x[0]! + c[1]!;
  }
}

export const Gamma = new GammaFamily();
