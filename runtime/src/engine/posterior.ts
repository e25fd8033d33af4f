/**
 * A variable's posterior q as returned to users: the family, a copy of the natural parameters of
 * every instance, and summaries (mean, variance, standard parameters).
 */
import type { ExponentialFamily } from "@vireo/core";

export interface PosteriorSummary {
  readonly variable: string;
  readonly family: string;
  readonly count: number;
  /** Means, instance after instance (for Categorical: the K probabilities of each instance). */
  readonly mean: readonly number[];
  /** Variances in the same layout as `mean`. */
  readonly variance: readonly number[];
}

export class Posterior {
  readonly variable: string;
  readonly family: ExponentialFamily;
  readonly count: number;
  /** Natural parameters, count × family.size (a copy; safe to keep). */
  readonly natural: Float64Array;

  constructor(variable: string, family: ExponentialFamily, count: number, natural: Float64Array) {
    this.variable = variable;
    this.family = family;
    this.count = count;
    this.natural = natural.slice();
  }

  /** Natural parameters of instance i (a view). */
  instance(i = 0): Float64Array {
    return this.natural.subarray(i * this.family.size, (i + 1) * this.family.size);
  }

  /** Standard parameters of instance i (e.g. { mean, variance } for a Normal); of the whole block for a chain. */
  params(i = 0): unknown {
    return this.family.fromNatural(this.family.coupledRows ? this.natural : this.instance(i));
  }

  /** Means of all instances, back to back. */
  mean(): Float64Array {
    if (this.family.coupledRows) return this.family.mean(this.natural) as Float64Array;
    return this.collect((eta) => this.family.mean(eta));
  }

  /** Variances (per component) of all instances, back to back. */
  variance(): Float64Array {
    if (this.family.coupledRows) return this.family.variance(this.natural) as Float64Array;
    return this.collect((eta) => this.family.variance(eta));
  }

  /** Mean of instance i as a number (scalar families) or array. */
  meanOf(i = 0): number | Float64Array {
    return this.family.mean(this.instance(i));
  }

  /** A plain, serialisable summary (means and variances as number arrays). */
  summary(): PosteriorSummary {
    return { variable: this.variable, family: this.family.key, count: this.count, mean: Array.from(this.mean()), variance: Array.from(this.variance()) };
  }

  private collect(f: (eta: Float64Array) => number | Float64Array): Float64Array {
    const parts: (number | Float64Array)[] = [];
    let len = 0;
    for (let i = 0; i < this.count; i++) {
      const m = f(this.instance(i));
      parts.push(m);
      len += typeof m === "number" ? 1 : m.length;
    }
    const out = new Float64Array(len);
    let o = 0;
    for (const m of parts) {
      if (typeof m === "number") out[o++] = m;
      else {
        out.set(m, o);
        o += m.length;
      }
    }
    return out;
  }
}
