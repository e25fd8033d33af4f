/**
 * A LogNormal family written as a plugin author would, from docs/writing-a-node.md: a positive
 * x with log x ~ N(μ, σ²). The density is (2π)^{−½} exp(ηᵀT(x) − A(η)) with
 *   T(x) = [log x, (log x)²],  η = [μ/σ² − 1, −1/(2σ²)],  A(η) = −(η₁ + 1)²/(4η₂) − ½ log(−2η₂).
 * The 1/x of the density sits in η₁ (the −1) rather than in the base measure, which stays
 * constant: the engine forms q ∝ h(x) exp(Σ messages · T(x)), and node messages (the gradient
 * of E[log f], whose −log x is −T₁) already carry that term.
 * Besides the exponential-family facts it states its support, so bad data is reported by row
 * exactly as for a built-in family.
 */
import { ExponentialFamily, LOG_2PI, VireoError, fmt, checkParam, sampleStandardNormal, type Generator, type SupportViolation } from "@vireo/core";

export interface LogNormalParams {
  /** Mean of log x. */
  readonly mu: number;
  /** Variance of log x. */
  readonly sigma2: number;
}

export class LogNormalFamily extends ExponentialFamily<number, LogNormalParams> {
  readonly name = "LogNormal";
  readonly size = 2;

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return x > 0 && x < Infinity ? null : { column: null, expected: "a positive number" };
  }
  sufficientStats(x: number, out = new Float64Array(2)): Float64Array {
    const l = Math.log(x);
    out[0] = l;
    out[1] = l * l;
    return out;
  }
  logBase(): number {
    return -0.5 * LOG_2PI;
  }
  logPartition(eta: Float64Array): number {
    const a = eta[0]! + 1;
    return (-a * a) / (4 * eta[1]!) - 0.5 * Math.log(-2 * eta[1]!);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(2)): Float64Array {
    const v = -0.5 / eta[1]!, m = (eta[0]! + 1) * v;
    out[0] = m;
    out[1] = m * m + v;
    return out;
  }
  expectedLogBase(): number {
    return -0.5 * LOG_2PI;
  }
  /** log x ~ N(0, 1). */
  override startingPoint(): Float64Array {
    return Float64Array.of(-1, -0.5);
  }
  sample(eta: Float64Array, rng: Generator): number {
    const { mu, sigma2 } = this.fromNatural(eta);
    return Math.exp(mu + Math.sqrt(sigma2) * sampleStandardNormal(rng));
  }
  toNatural(p: LogNormalParams): Float64Array {
    checkParam(Number.isFinite(p.mu), "LogNormal", "mu", p.mu, "a finite number");
    checkParam(p.sigma2 > 0 && Number.isFinite(p.sigma2), "LogNormal", "sigma2", p.sigma2, "a finite number > 0");
    return Float64Array.of(p.mu / p.sigma2 - 1, -0.5 / p.sigma2);
  }
  fromNatural(eta: Float64Array): LogNormalParams {
    const v = -0.5 / eta[1]!;
    return { mu: (eta[0]! + 1) * v, sigma2: v };
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    if (!(eta[1]! < 0)) throw new VireoError("INVALID_PARAMETER", `${where}: LogNormal η₂ must be < 0, got ${fmt(eta[1]!)}.`, { parameter: "sigma2" });
  }
  mean(eta: Float64Array): number {
    const { mu, sigma2 } = this.fromNatural(eta);
    return Math.exp(mu + 0.5 * sigma2);
  }
  variance(eta: Float64Array): number {
    const { mu, sigma2 } = this.fromNatural(eta);
    return Math.expm1(sigma2) * Math.exp(2 * mu + sigma2);
  }
}

export const LogNormal = new LogNormalFamily();
