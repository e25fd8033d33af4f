/**
 * Poisson(rate λ) on {0, 1, 2, …}.  T(x) = x,  η = log λ,  A(η) = e^η,  h(x) = 1/x!.
 */
import { ExponentialFamily, checkParam } from "./family.js";
import { gammaln } from "../special/functions.js";
import { samplePoisson } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";

export interface PoissonParams {
  readonly rate: number;
}

export class PoissonFamily extends ExponentialFamily<number, PoissonParams> {
  readonly name = "Poisson";
  readonly size = 1;

  sufficientStats(x: number, out = new Float64Array(1)): Float64Array {
    out[0] = x;
    return out;
  }
  logBase(x: number): number {
    return -gammaln(x + 1);
  }
  logPartition(eta: Float64Array): number {
    return Math.exp(eta[0]!);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(1)): Float64Array {
    out[0] = Math.exp(eta[0]!);
    return out;
  }
  /**
   * −E[log x!]: no closed form, so sum the pmf over the bulk of the support (λ ± 40√λ covers it to
   * far below round-off); above λ = 10⁵ use the asymptotic entropy series instead.
   */
  expectedLogBase(eta: Float64Array): number {
    const lam = Math.exp(eta[0]!);
    if (lam > 1e5) {
      const h = 0.5 * Math.log(2 * Math.PI * Math.E * lam) - 1 / (12 * lam) - 1 / (24 * lam * lam) - 19 / (360 * lam * lam * lam);
      return -(h - lam + lam * eta[0]!);
    }
    const lo = Math.max(0, Math.floor(lam - 40 * Math.sqrt(lam) - 40));
    const hi = Math.ceil(lam + 40 * Math.sqrt(lam) + 40);
    let s = 0;
    for (let k = lo; k <= hi; k++) {
      const lf = gammaln(k + 1);
      s += Math.exp(k * eta[0]! - lam - lf) * lf;
    }
    return -s;
  }
  sample(eta: Float64Array, rng: Generator): number {
    return samplePoisson(rng, Math.exp(eta[0]!));
  }
  toNatural(p: PoissonParams): Float64Array {
    checkParam(p.rate > 0 && Number.isFinite(p.rate), "Poisson", "rate", p.rate, "a finite number > 0");
    return Float64Array.of(Math.log(p.rate));
  }
  fromNatural(eta: Float64Array): PoissonParams {
    return { rate: Math.exp(eta[0]!) };
  }
  protected checkDomain(): void {
    // Every finite log-rate is a proper Poisson.
  }
  mean(eta: Float64Array): number {
    return Math.exp(eta[0]!);
  }
  variance(eta: Float64Array): number {
    return Math.exp(eta[0]!);
  }
}

export const Poisson = new PoissonFamily();
