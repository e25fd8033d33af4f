/**
 * Bernoulli(p) on {0, 1}.  T(x) = x,  η = logit p,  A(η) = log(1 + e^η),  h = 1.
 */
import { ExponentialFamily, type SupportViolation, checkParam } from "./family.js";
import { softplus, sigmoid } from "../special/functions.js";
import type { Generator } from "../random/generator.js";

export interface BernoulliParams {
  readonly p: number;
}

export class BernoulliFamily extends ExponentialFamily<number, BernoulliParams> {
  readonly name = "Bernoulli";
  readonly size = 1;

  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return x === 0 || x === 1 ? null : { column: null, expected: "0 or 1" };
  }
  sufficientStats(x: number, out = new Float64Array(1)): Float64Array {
    out[0] = x;
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    return softplus(eta[0]!);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(1)): Float64Array {
    out[0] = sigmoid(eta[0]!);
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  sample(eta: Float64Array, rng: Generator): number {
    return rng.uniform() < sigmoid(eta[0]!) ? 1 : 0;
  }
  toNatural(p: BernoulliParams): Float64Array {
    checkParam(p.p > 0 && p.p < 1, "Bernoulli", "p", p.p, "a probability strictly between 0 and 1");
    return Float64Array.of(Math.log(p.p) - Math.log1p(-p.p));
  }
  fromNatural(eta: Float64Array): BernoulliParams {
    return { p: sigmoid(eta[0]!) };
  }
  override firstImproperRow(): number {
    return -1;
  }
  protected checkDomain(): void {
    // Every finite logit is a proper Bernoulli.
  }
  mean(eta: Float64Array): number {
    return sigmoid(eta[0]!);
  }
  variance(eta: Float64Array): number {
    const p = sigmoid(eta[0]!);
    return p * (1 - p);
  }
}

export const Bernoulli = new BernoulliFamily();
