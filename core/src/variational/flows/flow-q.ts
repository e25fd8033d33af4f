/**
 * A normalising-flow variational family: a diagonal Gaussian base z₀ = μ + σ⊙ε pushed through a
 * stack of bijectors z = f_L ∘ … ∘ f_1(z₀). Sampling is exact, and so is
 *   log q(z) = log N(z₀; μ, σ²) − Σ_l log|det ∂f_l/∂z_{l−1}|,
 * computed on the tape along the draw (λ-differentiable), or at any z through the layers' exact
 * inverses. H[q] has no closed form, so the objective uses −log q(z) per draw
 * (`closedFormEntropy: false`). A model variable on a constrained support composes its support
 * bijector (../transform.ts) after the flow, as for any other family.
 *
 * λ = [μ (d), log σ (d), layer 1 parameters, …, layer L parameters].
 */
import { VireoError } from "../../errors.js";
import { LOG_2PI } from "../../special/functions.js";
import { Generator } from "../../random/generator.js";
import { sampleStandardNormal } from "../../random/samplers.js";
import { Tape, type TNode } from "../../autodiff/tape.js";
import { add, mul, sub, scale, shift, square } from "../../autodiff/arith.js";
import { exp } from "../../autodiff/unary.js";
import { slice } from "../../autodiff/indexing.js";
import { sum } from "../../autodiff/reduce.js";
import { type VariationalFamily, type VariationalFamilyFactory, type DrawWithLogDensity, requireDim, requireLength } from "../family.js";
import type { Bijector, BijectorSpec } from "./bijector.js";

export interface FlowQOptions {
  /** Initial base means (default 0). */
  readonly mean?: ArrayLike<number>;
  /** Initial base standard deviation (default 1). */
  readonly sd?: number;
  /** Seed of the small random parts of the layers' starting parameters (default 1). */
  readonly seed?: number;
  /** Draws behind the Monte Carlo `mean` and `variance` (default 4000, fixed seed). */
  readonly momentDraws?: number;
}

export class FlowQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize: number;
  readonly reparameterizable = true;
  readonly discrete = false;
  readonly closedFormEntropy = false;
  readonly layers: readonly Bijector[];
  /** Offset of each layer's parameters in λ. */
  private readonly offsets: Int32Array;
  private readonly tape = new Tape();
  private readonly bufA: Float64Array;
  private readonly bufB: Float64Array;

  constructor(readonly dim: number, layers: readonly BijectorSpec[], private readonly options: FlowQOptions = {}) {
    requireDim(dim, "flowQ");
    requireLength(options.mean, dim, "flowQ", "mean");
    if (!Array.isArray(layers) || layers.length === 0 || layers.some((l) => typeof l !== "function")) {
      throw new VireoError("INVALID_PARAMETER", "flowQ: give a non-empty list of layers, e.g. flowQ(2, [planar(), planar()]) or flowQ(d, repeat(4, affineCoupling())).", { parameter: "layers" });
    }
    this.layers = layers.map((spec, i) => spec(dim, i));
    this.offsets = new Int32Array(this.layers.length);
    let o = 2 * dim;
    this.layers.forEach((l, i) => {
      this.offsets[i] = o;
      o += l.nParams;
    });
    this.nParams = o;
    this.noiseSize = dim;
    this.name = `Flow(${dim}; ${this.layers.map((l) => l.name).join(" → ")})`;
    this.bufA = new Float64Array(dim);
    this.bufB = new Float64Array(dim);
  }

  init(out: Float64Array): void {
    const d = this.dim, logSd = Math.log(this.options.sd ?? 1), rng = new Generator(this.options.seed ?? 1);
    for (let i = 0; i < d; i++) {
      out[i] = this.options.mean?.[i] ?? 0;
      out[d + i] = logSd;
    }
    this.layers.forEach((l, i) => l.init(out.subarray(this.offsets[i]!, this.offsets[i]! + l.nParams), rng));
  }

  /** parts = [μ, log σ, σ, layer parameter slices…]. */
  prepare(lambda: TNode): TNode[] {
    const d = this.dim, logSd = slice(lambda, d, d);
    const parts = [slice(lambda, 0, d), logSd, exp(logSd)];
    this.layers.forEach((l, i) => parts.push(slice(lambda, this.offsets[i]!, l.nParams)));
    return parts;
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < this.dim; i++) eps[i] = sampleStandardNormal(rng);
  }

  reparamWithLogDensity(parts: TNode[], eps: TNode): DrawWithLogDensity {
    let z = add(parts[0]!, mul(parts[2]!, eps));
    let logq = shift(sub(scale(sum(square(eps)), -0.5), sum(parts[1]!)), -0.5 * this.dim * LOG_2PI);
    for (let i = 0; i < this.layers.length; i++) {
      const step = this.layers[i]!.forward(parts[3 + i]!, z);
      z = step.y;
      logq = sub(logq, step.logDet);
    }
    return { z, logq };
  }

  reparam(parts: TNode[], eps: TNode): TNode {
    return this.reparamWithLogDensity(parts, eps).z;
  }

  entropy(): TNode {
    throw new VireoError(
      "INVALID_OPTION",
      `${this.name}: a flow's entropy has no closed form; the objective must use −log q(z) per draw (reparamWithLogDensity), as createBbvi does for families with closedFormEntropy false.`,
    );
  }

  sampleWithLogDensity(lambda: Float64Array, rng: Generator, out: Float64Array): number {
    this.tape.reset();
    const eps = this.bufA;
    this.drawNoise(rng, eps);
    const { z, logq } = this.reparamWithLogDensity(this.prepare(this.tape.constant(lambda)), this.tape.constant(eps));
    out.set(z.value);
    return logq.value[0]!;
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    this.sampleWithLogDensity(lambda, rng, out);
  }

  /** log q(z): invert the layers back to the base draw, then evaluate the forward log-dets there. */
  logDensity(lambda: Float64Array, z: Float64Array): number {
    const d = this.dim;
    let y = this.bufA, x = this.bufB;
    y.set(z.subarray(0, d));
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      l.inverse(lambda.subarray(this.offsets[i]!, this.offsets[i]! + l.nParams), y, x);
      [y, x] = [x, y];
    }
    // y is now the base draw z₀: ε = (z₀ − μ)/σ, and the forward pass from ε gives log q exactly.
    for (let i = 0; i < d; i++) y[i] = (y[i]! - lambda[i]!) * Math.exp(-lambda[d + i]!);
    this.tape.reset();
    const eps = Float64Array.from(y);
    return this.reparamWithLogDensity(this.prepare(this.tape.constant(lambda)), this.tape.constant(eps)).logq.value[0]!;
  }

  score(): void {
    throw new VireoError(
      "INVALID_OPTION",
      `${this.name}: flows are fitted with the reparameterization estimator; remove estimator 'score' for this variable (the default 'auto' picks 'reparam').`,
    );
  }

  private moments(lambda: Float64Array, out: Float64Array, second: boolean): void {
    const d = this.dim, n = this.options.momentDraws ?? 4000, rng = new Generator(0x5eed);
    const z = new Float64Array(d), m = new Float64Array(d), v = new Float64Array(d);
    for (let s = 1; s <= n; s++) {
      this.sample(lambda, rng, z);
      for (let i = 0; i < d; i++) {
        const delta = z[i]! - m[i]!;
        m[i] += delta / s;
        v[i] += delta * (z[i]! - m[i]!);
      }
    }
    for (let i = 0; i < d; i++) out[i] = second ? v[i]! / (n - 1) : m[i]!;
  }

  /** E_q[z], by Monte Carlo over a fixed set of draws (no closed form). */
  mean(lambda: Float64Array, out: Float64Array): void {
    this.moments(lambda, out, false);
  }

  /** Var_q[z_i], by Monte Carlo over a fixed set of draws (no closed form). */
  variance(lambda: Float64Array, out: Float64Array): void {
    this.moments(lambda, out, true);
  }
}

/**
 * A flow family: a diagonal Gaussian base under the given layers, applied in order. `flowQ(d, layers)`
 * is the family of dimension d; `flowQ(layers)` lets the model graph size it from its variable.
 */
export function flowQ(layers: readonly BijectorSpec[], options?: FlowQOptions): VariationalFamilyFactory;
export function flowQ(d: number, layers: readonly BijectorSpec[], options?: FlowQOptions): FlowQ;
export function flowQ(
  d: number | readonly BijectorSpec[], layers?: readonly BijectorSpec[] | FlowQOptions, options?: FlowQOptions,
): FlowQ | VariationalFamilyFactory {
  if (typeof d === "number") return new FlowQ(d, layers as readonly BijectorSpec[], options);
  const specs = d, opts = (layers ?? {}) as FlowQOptions;
  return { kind: "variational-family-factory", name: "Flow", factorises: false, create: (dim) => new FlowQ(dim, specs, opts) };
}

/** n copies of one layer spec, e.g. flowQ(2, repeat(8, planar())). */
export function repeat(n: number, layer: BijectorSpec): BijectorSpec[] {
  if (!Number.isInteger(n) || n < 1) {
    throw new VireoError("INVALID_PARAMETER", `repeat: the number of layers must be a positive integer, got ${n}.`, { parameter: "n" });
  }
  return Array.from({ length: n }, () => layer);
}
