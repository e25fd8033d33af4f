/**
 * Categorical(p) over {0, …, K−1}.  T(x) = one-hot(x),  η = log p (over-complete: adding a constant
 * to every entry changes nothing),  A(η) = log Σ e^{η_k},  ∇A = softmax(η),  h = 1.
 */
import { ExponentialFamily, checkParam, checkLength, familyConstructor, type SupportViolation } from "./family.js";
import { VireoError } from "../errors.js";
import { logSumExpRange, softmaxRange } from "../linalg/reduce.js";
import { sampleCategorical, sampleDirichlet } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";

export interface CategoricalParams {
  readonly p: Float64Array;
}

export class CategoricalFamily extends ExponentialFamily<number, CategoricalParams> {
  readonly name = "Categorical";
  readonly size: number;
  override readonly dim: number;
  protected override readonly dimensional = true;

  constructor(K: number) {
    super();
    if (!(Number.isInteger(K) && K >= 2)) {
      throw new VireoError("INVALID_PARAMETER", `Categorical: the number of categories K must be an integer ≥ 2, got ${K}.`, { parameter: "K" });
    }
    this.size = K;
    this.dim = K;
  }

  /** A value is one category index, not a vector. */
  override get scalarValue(): boolean {
    return true;
  }
  /** Known categories stay indices: one-hot statistics over a large vocabulary would waste memory. */
  override get implicitKnownStats(): boolean {
    return true;
  }
  override supportViolation(values: Float64Array, offset: number): SupportViolation | null {
    const x = values[offset]!;
    return Number.isInteger(x) && x >= 0 && x < this.dim ? null : { column: null, expected: `a category index in 0..${this.dim - 1}` };
  }
  /** Random probabilities per instance, drawn from a flat Dirichlet: identical selectors never separate. */
  override randomStart(rng: Generator, eta: Float64Array, count: number): boolean {
    const K = this.dim, p = new Float64Array(K), ones = new Float64Array(K).fill(1);
    for (let i = 0; i < count; i++) {
      sampleDirichlet(rng, ones, p);
      for (let k = 0; k < K; k++) eta[i * K + k] = Math.log(Math.max(p[k]!, 1e-300));
    }
    return true;
  }
  /** η = log p up to a constant: E[T] = softmax(η). */
  override get softmaxStats(): boolean {
    return true;
  }
  sufficientStats(x: number, out = new Float64Array(this.size)): Float64Array {
    out.fill(0);
    out[x] = 1;
    return out;
  }
  logBase(): number {
    return 0;
  }
  logPartition(eta: Float64Array): number {
    return logSumExpRange(eta, 0, this.size);
  }
  expectedStats(eta: Float64Array, out = new Float64Array(this.size)): Float64Array {
    softmaxRange(eta, 0, this.size, out, 0);
    return out;
  }
  expectedLogBase(): number {
    return 0;
  }
  override entropy(eta: Float64Array): number {
    const lse = logSumExpRange(eta, 0, this.size);
    let h = 0;
    for (let k = 0; k < this.size; k++) {
      const lp = eta[k]! - lse;
      if (lp > -745) h -= Math.exp(lp) * lp;
    }
    return h;
  }
  override expectedStatsRows(eta: Float64Array, out: Float64Array, count: number, wantLogNormaliser = false, weights: Float64Array | null = null): number {
    const K = this.size;
    let s = 0;
    if (weights === null) for (let i = 0, o = 0; i < count; i++, o += K) s += softmaxRange(eta, o, K, out, o);
    else for (let i = 0, o = 0; i < count; i++, o += K) s += weights[i]! * softmaxRange(eta, o, K, out, o);
    return wantLogNormaliser ? s : 0;
  }
  override entropyRows(eta: Float64Array, count: number, weights: Float64Array | null = null): number {
    const K = this.size;
    let h = 0;
    for (let i = 0, o = 0; i < count; i++, o += K) {
      const lse = logSumExpRange(eta, o, K);
      let hi = 0;
      for (let k = 0; k < K; k++) {
        const lp = eta[o + k]! - lse;
        if (lp > -745) hi -= Math.exp(lp) * lp;
      }
      h += weights === null ? hi : weights[i]! * hi;
    }
    return h;
  }
  sample(eta: Float64Array, rng: Generator): number {
    return sampleCategorical(rng, this.expectedStats(eta));
  }
  toNatural(p: CategoricalParams): Float64Array {
    checkLength("Categorical", "p", p.p.length, this.size);
    let s = 0;
    for (let k = 0; k < this.size; k++) {
      checkParam(p.p[k]! > 0 && p.p[k]! <= 1, "Categorical", `p[${k}]`, p.p[k]!, "a probability in (0, 1]");
      s += p.p[k]!;
    }
    checkParam(Math.abs(s - 1) < 1e-9, "Categorical", "sum(p)", s, "probabilities summing to 1");
    return Float64Array.from(p.p, (x) => Math.log(x));
  }
  fromNatural(eta: Float64Array): CategoricalParams {
    return { p: this.expectedStats(eta) };
  }
  override firstImproperRow(): number {
    return -1;
  }
  protected checkDomain(): void {
    // Every finite vector of log-weights is a proper Categorical.
  }
  mean(eta: Float64Array): Float64Array {
    return this.expectedStats(eta);
  }
  variance(eta: Float64Array): Float64Array {
    const p = this.expectedStats(eta);
    return p.map((x) => x * (1 - x));
  }
}

/** The Categorical family over K categories (one shared instance per K). */
export const Categorical = familyConstructor("Categorical", (K) => new CategoricalFamily(K), () =>
  "a constant category needs its number of categories; declare it with model.constant(name, value, Categorical(K)).");
