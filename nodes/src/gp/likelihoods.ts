/**
 * Non-Gaussian likelihoods for GP models (classification and counts): each owns its variational
 * expectation E_{N(f|μ,s)}[log p(y|f)] with derivatives in μ and s, and its predictive summaries.
 * Bernoulli-logit and Bernoulli-probit use Gauss–Hermite quadrature (the quadrature sum's exact
 * derivatives, as the non-conjugate nodes do); Poisson with the log link is closed form,
 * E[y f − e^f − log y!] = yμ − e^{μ+s/2} − log y!, which needs no quadrature.
 */
import { VireoError, fmt, gammaln, sigmoid, erfc, type GpLikelihood } from "@vireo/core";
import { gaussHermite, expectWithGradient, type GaussHermiteRule, type ScalarLogLik } from "../nonconjugate/gauss-hermite.js";
import { logistic } from "../nonconjugate/bernoulli-logit.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log Φ(z), stable for z → −∞. */
export function logNormalCdf(z: number): number {
  if (z > -30) return Math.log(0.5 * erfc(-z / Math.SQRT2));
  // Φ(z) ≈ φ(z)/(−z) (1 − 1/z² + 3/z⁴) for very negative z.
  const z2 = z * z;
  return -0.5 * z2 - LOG_SQRT_2PI - Math.log(-z) + Math.log(1 - 1 / z2 + 3 / (z2 * z2));
}

/** φ(z)/Φ(z) (inverse Mills ratio), stable for z → −∞. */
function millsRatio(z: number): number {
  if (z > -30) return Math.exp(-0.5 * z * z - LOG_SQRT_2PI) / (0.5 * erfc(-z / Math.SQRT2));
  const z2 = z * z;
  return -z / (1 - 1 / z2 + 3 / (z2 * z2));
}

const probit: ScalarLogLik = {
  f: (a, y) => logNormalCdf((2 * y - 1) * a),
  d1: (a, y) => (2 * y - 1) * millsRatio((2 * y - 1) * a),
  d2: (a, y) => {
    const z = (2 * y - 1) * a, r = millsRatio(z);
    return -r * (z + r);
  },
};

function checkBinary(y: Float64Array, what: string, name: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new VireoError("INVALID_DATA", `${what}: target at row ${i} is ${fmt(y[i]!)}; the ${name} likelihood takes labels 0 or 1.`, { row: i });
  }
}

/** A parameter-free likelihood whose expectation is a Gauss–Hermite sum. */
class QuadratureLikelihood implements GpLikelihood {
  readonly size = 0;
  readonly parameterNames: readonly string[] = Object.freeze([]);
  readonly conjugate = false;
  private readonly rule: GaussHermiteRule;
  private readonly out = new Float64Array(3);

  constructor(readonly name: string, private readonly lik: ScalarLogLik, points: number, private readonly probability: (mu: number, s: number, rule: GaussHermiteRule) => number) {
    this.rule = gaussHermite(points);
  }

  getParams(): void {}
  setParams(): void {}

  checkTargets(y: Float64Array, what: string): void {
    checkBinary(y, what, this.name);
  }

  expectations(y: Float64Array, mu: Float64Array, s: Float64Array, n: number, dmu: Float64Array, ds: Float64Array): number {
    const out = this.out;
    let total = 0;
    for (let i = 0; i < n; i++) {
      expectWithGradient(this.rule, mu[i]!, s[i]!, this.lik, y[i]!, 0, 0, out);
      total += out[0]!;
      dmu[i] = out[1]!;
      ds[i] = out[2]!;
    }
    return total;
  }

  predict(mu: number, s: number, out: Float64Array): void {
    const p = this.probability(mu, s, this.rule);
    out[0] = p;
    out[1] = p * (1 - p);
  }
}

export interface QuadratureOptions {
  /** Gauss–Hermite points (default 20). */
  readonly points?: number;
}

/** P(y = 1 | f) = σ(f); the predictive probability is E[σ(f)] by the same quadrature. */
export function bernoulliLogitLikelihood(options: QuadratureOptions = {}): GpLikelihood {
  return new QuadratureLikelihood("bernoulliLogit", logistic, options.points ?? 20, (mu, s, rule) => {
    const sd = Math.sqrt(s);
    let p = 0;
    for (let k = 0; k < rule.points.length; k++) p += rule.weights[k]! * sigmoid(mu + sd * rule.points[k]!);
    return p;
  });
}

/** P(y = 1 | f) = Φ(f); the predictive probability is exactly Φ(μ / √(1 + s)). */
export function bernoulliProbitLikelihood(options: QuadratureOptions = {}): GpLikelihood {
  return new QuadratureLikelihood("bernoulliProbit", probit, options.points ?? 20, (mu, s) => Math.exp(logNormalCdf(mu / Math.sqrt(1 + s))));
}

/** y ~ Poisson(e^f): counts. Closed-form expectation; predictive mean e^{μ+s/2}. */
export class PoissonLogLikelihood implements GpLikelihood {
  readonly name = "poissonLog";
  readonly size = 0;
  readonly parameterNames: readonly string[] = Object.freeze([]);
  readonly conjugate = false;

  getParams(): void {}
  setParams(): void {}

  checkTargets(y: Float64Array, what: string): void {
    for (let i = 0; i < y.length; i++) {
      if (!(y[i]! >= 0 && Number.isInteger(y[i]!))) throw new VireoError("INVALID_DATA", `${what}: target at row ${i} is ${fmt(y[i]!)}; the poissonLog likelihood takes counts (integers ≥ 0).`, { row: i });
    }
  }

  expectations(y: Float64Array, mu: Float64Array, s: Float64Array, n: number, dmu: Float64Array, ds: Float64Array): number {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(mu[i]! + 0.5 * s[i]!);
      total += y[i]! * mu[i]! - e - gammaln(y[i]! + 1);
      dmu[i] = y[i]! - e;
      ds[i] = -0.5 * e;
    }
    return total;
  }

  predict(mu: number, s: number, out: Float64Array): void {
    const m = Math.exp(mu + 0.5 * s);
    out[0] = m;
    out[1] = m + (Math.exp(s) - 1) * m * m;
  }
}

export function poissonLogLikelihood(): GpLikelihood {
  return new PoissonLogLikelihood();
}
