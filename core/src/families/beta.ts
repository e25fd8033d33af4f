/**
 * Beta(α, β) on (0, 1).  T(x) = [log x, log(1 − x)],  η = [α − 1, β − 1],
 * A(η) = log B(α, β),  h(x) = 1.
 */
import { ExponentialFamily, type SupportViolation, checkParam , noInteriorMode } from "./family.js";
import { VireoError, fmt } from "../errors.js";
import { invertCdf, betaInc } from "../special/incomplete.js";
import { betaln, digamma } from "../special/functions.js";
import { sampleBeta } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { logitTransform } from "../variational/logit-transform.js";
import type { Transform } from "../variational/transform.js";

export interface BetaParams {
  readonly alpha: number;
  readonly beta: number;
}

export class BetaFamily extends ExponentialFamily<number, BetaParams> {
  readonly name = "Beta";
  readonly size = 2;

  // Statistics layout per instance i: [E[log p], E[log(1 − p)]].
  /** E[log p] of instance i. */
  elog(stats: Float64Array, i: number): number {
    return stats[2 * i]!;
  }
  /** E[log(1 − p)] of instance i. */
  elog1m(stats: Float64Array, i: number): number {
    return stats[2 * i + 1]!;
  }

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return x > 0 && x < 1 ? null : { column: null, expected: "a number in (0, 1)" };
  }
  sufficientStats(x: number, out = new Float64Array(2)): Float64Array {
    out[0] = Math.log(x);
    out[1] = Math.log1p(-x);
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    return betaln(eta[0]! + 1, eta[1]! + 1);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(2)): Float64Array {
    const a = eta[0]! + 1, b = eta[1]! + 1, dab = digamma(a + b);
    out[0] = digamma(a) - dab;
    out[1] = digamma(b) - dab;
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  sample(eta: Float64Array, rng: Generator): number {
    return sampleBeta(rng, eta[0]! + 1, eta[1]! + 1);
  }
  toNatural(p: BetaParams): Float64Array {
    checkParam(p.alpha > 0 && Number.isFinite(p.alpha), "Beta", "alpha", p.alpha, "a finite number > 0");
    checkParam(p.beta > 0 && Number.isFinite(p.beta), "Beta", "beta", p.beta, "a finite number > 0");
    return Float64Array.of(p.alpha - 1, p.beta - 1);
  }
  fromNatural(eta: Float64Array): BetaParams {
    return { alpha: eta[0]! + 1, beta: eta[1]! + 1 };
  }
  override firstImproperRow(eta: Float64Array, count: number): number {
    for (let i = 0; i < count; i++) if (!(eta[2 * i]! > -1 && eta[2 * i + 1]! > -1)) return i;
    return -1;
  }
  protected checkDomain(eta: Float64Array, where: string): void {
    for (let i = 0; i < 2; i++) {
      if (!(eta[i]! > -1)) {
        const name = i === 0 ? "alpha" : "beta";
        throw new VireoError("INVALID_PARAMETER", `${where}: Beta ${name} = η${i + 1} + 1 must be > 0, got ${fmt(eta[i]! + 1)}.`, { parameter: name });
      }
    }
  }
  mean(eta: Float64Array): number {
    const a = eta[0]! + 1, b = eta[1]! + 1;
    return a / (a + b);
  }
  variance(eta: Float64Array): number {
    const a = eta[0]! + 1, b = eta[1]! + 1, s = a + b;
    return (a * b) / (s * s * (s + 1));
  }

  /** The inverse of the regularised incomplete beta I_x(α, β). */
  override quantile(eta: Float64Array, p: number, out: Float64Array): boolean {
    const a = eta[0]! + 1, b = eta[1]! + 1;
    out[0] = invertCdf((x) => betaInc(a, b, x), p, 0, 1);
    return true;
  }
  /**
   * (α − 1)/(α + β − 2); through the logit bijector log|J| = log x + log(1 − x) adds 1 to both:
   * α/(α + β).
   */
  override mode(eta: Float64Array, out: Float64Array, unconstrained: boolean, where = this.key): boolean {
    const a = eta[0]! + (unconstrained ? 1 : 0), b = eta[1]! + (unconstrained ? 1 : 0);
    if (!(a >= 0 && b >= 0 && a + b > 0)) noInteriorMode(where, `α${unconstrained ? "" : " − 1"} = ${fmt(a)}, β${unconstrained ? "" : " − 1"} = ${fmt(b)} must be ≥ 0 and not both 0`);
    out[0] = a / (a + b);
    return true;
  }
  override get supportBijector(): Transform {
    return logitTransform;
  }
  /** T = (log x, log(1 − x)): ∂⟨c, T⟩/∂x = c₀/x − c₁/(1 − x). */
  override statsGradient(x: Float64Array, c: Float64Array, grad: Float64Array): void {
    grad[0] += c[0]! / x[0]! - c[1]! / (1 - x[0]!);
  }
}

export const Beta = new BetaFamily();
