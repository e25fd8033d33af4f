/**
 * The posterior of a gradient-fitted variable: q over the unconstrained z and the bijector onto
 * the support. Read like any other posterior (mean, variance, per-instance summaries), plus
 * draws. With the identity bijector the moments are q's own, exactly; through another bijector
 * they are Monte Carlo averages over a fixed-seed set of draws (MOMENT_DRAWS).
 */
import { Generator, PointMassQ, type ExponentialFamily, type Transform, type VariationalFamily } from "@vireo/core";
import { VireoError } from "@vireo/core";
import { Posterior } from "./posterior.js";
import type { GradientFit } from "./gradient.js";

/** Draws behind the moments of a variable with a non-identity bijector. */
export const MOMENT_DRAWS = 4000;

export class GradientPosterior extends Posterior {
  /** The variational family of z (all instances of a plate at once). */
  readonly q: VariationalFamily;
  readonly bijector: Transform;
  /** q's parameters λ (a copy). */
  readonly lambda: Float64Array;
  private moments: { mean: Float64Array; variance: Float64Array } | null = null;

  constructor(variable: string, family: ExponentialFamily, count: number, fit: GradientFit) {
    super(variable, family, count, new Float64Array(0));
    this.q = fit.q;
    this.bijector = fit.bijector;
    this.lambda = fit.lambda.slice();
    // An amortised q reads the rows its state holds now (the next minibatch refills them): take its moments at once.
    if (fit.q.amortised === true) this.computeMoments();
  }

  /** `n` draws of every instance, n × (count · valueSize), from `seed`. */
  samples(n: number, seed = 0): Float64Array {
    const m = this.count * this.family.valueSize, out = new Float64Array(n * m);
    const z = new Float64Array(this.q.dim), rng = new Generator(seed);
    for (let i = 0; i < n; i++) {
      this.q.sample(this.lambda, rng, z);
      this.bijector.forwardValue(z, out.subarray(i * m, (i + 1) * m));
    }
    return out;
  }

  override mean(): Float64Array {
    return this.computeMoments().mean.slice();
  }

  override variance(): Float64Array {
    return this.computeMoments().variance.slice();
  }

  override meanOf(i = 0): number | Float64Array {
    const v = this.family.valueSize, m = this.computeMoments().mean;
    return v === 1 && this.family.key === this.family.name ? m[i]! : m.slice(i * v, (i + 1) * v);
  }

  /** { mean, variance } of instance i. */
  override params(i = 0): unknown {
    const v = this.family.valueSize, { mean, variance } = this.computeMoments();
    return { mean: mean.slice(i * v, (i + 1) * v), variance: variance.slice(i * v, (i + 1) * v) };
  }

  override instance(): Float64Array {
    throw new VireoError(
      "INVALID_STATE",
      `'${this.variable}' is fitted by gradients (${this.q.name} through '${this.bijector.name}'): it has no natural parameters; read mean(), variance(), samples() or q and lambda.`,
      { variable: this.variable },
    );
  }

  private computeMoments(): { mean: Float64Array; variance: Float64Array } {
    if (this.moments !== null) return this.moments;
    const m = this.count * this.family.valueSize;
    const mean = new Float64Array(m), variance = new Float64Array(m);
    if (this.q instanceof PointMassQ) {
      // A point: its value through the bijector, exactly (no draws), and no spread.
      this.bijector.forwardValue(this.lambda, mean);
    } else if (this.bijector.name === "identity") {
      this.q.mean(this.lambda, mean);
      this.q.variance(this.lambda, variance);
    } else {
      const draws = this.samples(MOMENT_DRAWS);
      for (let i = 0; i < MOMENT_DRAWS; i++) for (let j = 0; j < m; j++) mean[j] += draws[i * m + j]! / MOMENT_DRAWS;
      for (let i = 0; i < MOMENT_DRAWS; i++) for (let j = 0; j < m; j++) variance[j] += (draws[i * m + j]! - mean[j]!) ** 2 / (MOMENT_DRAWS - 1);
    }
    return (this.moments = { mean, variance });
  }
}
