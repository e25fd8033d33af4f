/**
 * A variable's posterior q as returned to users: the family, a copy of the natural parameters of
 * every instance, and summaries (mean, variance, standard parameters).
 */
import { VireoError, type ExponentialFamily, type Generator } from "@vireo/core";

/** The standard-parameter shape of a family, e.g. { mean, variance } for Normal. */
export type ParamsOf<F> = F extends ExponentialFamily<any, infer P> ? P : unknown;
/** The value type of a family: number for scalar families, Float64Array for vector ones. */
export type ValueOf<F> = F extends ExponentialFamily<infer X, any> ? X : unknown;

/** A posterior as plain JSON: what `JSON.stringify(result)` writes for each variable. */
export interface PosteriorJSON {
  readonly variable: string;
  readonly family: string;
  readonly count: number;
  /** Natural parameters, count × size, instance after instance. */
  readonly natural: number[];
  readonly mean: number[];
  readonly variance: number[];
}

export interface PosteriorSummary {
  readonly variable: string;
  readonly family: string;
  readonly count: number;
  /** Means, instance after instance (for Categorical: the K probabilities of each instance). */
  readonly mean: readonly number[];
  /** Variances in the same layout as `mean`. */
  readonly variance: readonly number[];
}

/**
 * The summary of `count` instances of a family whose rows are independent (not coupledRows),
 * read straight off their natural parameters (what Posterior.summary gives, without the copy).
 */
export function summaryOf(variable: string, family: ExponentialFamily, count: number, natural: Float64Array): PosteriorSummary {
  const mean: number[] = [], variance: number[] = [], k = family.size;
  for (let i = 0; i < count; i++) {
    const eta = count === 1 ? natural : natural.subarray(i * k, (i + 1) * k);
    const m = family.mean(eta) as number | Float64Array, v = family.variance(eta) as number | Float64Array;
    if (typeof m === "number") mean.push(m);
    else for (let j = 0; j < m.length; j++) mean.push(m[j]!);
    if (typeof v === "number") variance.push(v);
    else for (let j = 0; j < v.length; j++) variance.push(v[j]!);
  }
  return { variable, family: family.key, count, mean, variance };
}

export class Posterior<F extends ExponentialFamily<any, any> = ExponentialFamily> {
  readonly variable: string;
  readonly family: F;
  readonly count: number;
  /** Natural parameters, count × family.size (a copy; safe to keep). */
  readonly natural: Float64Array;

  constructor(variable: string, family: F, count: number, natural: Float64Array) {
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
  params(i = 0): ParamsOf<F> {
    return this.family.fromNatural(this.family.coupledRows ? this.natural : this.instance(i)) as ParamsOf<F>;
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

  /**
   * This posterior typed by its family, e.g. `result.posteriors.mu.as(Normal).params().mean`
   * (a number, no cast). Checked: throws INVALID_OPTION unless `family` is the posterior's family.
   */
  as<G extends ExponentialFamily<any, any>>(family: G): Posterior<G> {
    if (family.key !== this.family.key) {
      throw new VireoError("INVALID_OPTION", `Posterior of '${this.variable}' is ${this.family.key}, not ${family.key}; call .as(${this.family.key}) instead.`, { variable: this.variable });
    }
    return this as unknown as Posterior<G>;
  }

  /** One draw from q of instance i (a number for scalar families, an array for vector ones). */
  sample(rng: Generator, i = 0): ValueOf<F> {
    this.checkInstance("sample", i);
    return this.family.sample(this.family.coupledRows ? this.natural : this.instance(i), rng) as ValueOf<F>;
  }

  /**
   * Quantiles of q of instance i, per component (one array per probability; scalar families have
   * one component). Exact where the family inverts its marginal CDFs (Normal, MvNormal, Gamma,
   * Beta, Dirichlet: `rng` is then not needed); otherwise estimated from `draws` samples of `rng`
   * (default 20 000), whose Monte Carlo error for a p-quantile is √(p(1−p)/draws)/density.
   */
  quantiles(probabilities: readonly number[], rng?: Generator, options: { draws?: number; instance?: number } = {}): Float64Array[] {
    const draws = options.draws ?? 20_000, i = options.instance ?? 0;
    for (const p of probabilities) {
      if (!(p >= 0 && p <= 1)) throw new VireoError("INVALID_OPTION", `quantiles of '${this.variable}': probabilities must lie in [0, 1], got ${p}.`);
    }
    if (!(Number.isInteger(draws) && draws >= 2)) throw new VireoError("INVALID_OPTION", `quantiles of '${this.variable}': draws must be an integer ≥ 2, got ${draws}.`);
    this.checkInstance("quantiles", i);
    const eta = this.family.coupledRows ? this.natural : this.instance(i);
    if (!this.family.coupledRows) {
      const out = probabilities.map(() => new Float64Array(this.family.valueSize));
      if (probabilities.length === 0 || probabilities.every((p, k) => this.family.quantile(eta, p, out[k]!))) return out;
    }
    if (rng === undefined) {
      throw new VireoError("INVALID_OPTION", `quantiles of '${this.variable}': ${this.family.key} has no exact marginal quantiles; pass a generator to estimate them from draws, e.g. quantiles(ps, new Generator(1)).`, { variable: this.variable });
    }
    const first = this.family.sample(eta, rng) as number | Float64Array;
    const width = typeof first === "number" ? 1 : first.length;
    const columns = Array.from({ length: width }, () => new Float64Array(draws));
    for (let n = 0; n < draws; n++) {
      const x = n === 0 ? first : (this.family.sample(eta, rng) as number | Float64Array);
      if (typeof x === "number") columns[0]![n] = x;
      else for (let c = 0; c < width; c++) columns[c]![n] = x[c]!;
    }
    for (const col of columns) col.sort();
    // Type-7 interpolation between order statistics (R's default).
    return probabilities.map((p) => Float64Array.from(columns, (col) => {
      const h = (draws - 1) * p, lo = Math.floor(h), hi = Math.min(lo + 1, draws - 1);
      return col[lo]! + (h - lo) * (col[hi]! - col[lo]!);
    }));
  }

  /** The central credible interval of mass `level` (default 0.95) per component: [lower, upper] (exact where quantiles are). */
  interval(rng?: Generator, level = 0.95, options: { draws?: number; instance?: number } = {}): [Float64Array, Float64Array] {
    if (!(level > 0 && level < 1)) throw new VireoError("INVALID_OPTION", `interval of '${this.variable}': level must lie in (0, 1), got ${level}.`);
    const [lower, upper] = this.quantiles([(1 - level) / 2, (1 + level) / 2], rng, options);
    return [lower!, upper!];
  }

  /** Plain JSON (natural parameters, means, variances); `JSON.stringify` of results uses it. */
  toJSON(): PosteriorJSON {
    return {
      variable: this.variable, family: this.family.key, count: this.count,
      natural: Array.from(this.natural), mean: Array.from(this.mean()), variance: Array.from(this.variance()),
    };
  }

  private checkInstance(where: string, i: number): void {
    const count = this.family.coupledRows ? 1 : this.count;
    if (!(Number.isInteger(i) && i >= 0 && i < count)) {
      throw new VireoError("INVALID_OPTION", `${where} of '${this.variable}': instance ${i} is out of range; it has ${count} instance${count === 1 ? "" : "s"} (0 to ${count - 1}).`, { variable: this.variable });
    }
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
