/**
 * Point-mass q(z) = δ(z − λ): VI with this family is MAP estimation (its entropy is 0, so the
 * ELBO is the log joint at λ), and a model that gives its parameters point masses and its
 * per-row latents their exact conditional q is EM. The point lives in the variable's
 * unconstrained space, so with a support transform it is the mode of the density of z (the
 * Jacobian term included), not of x.
 */
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";
import { type VariationalFamily, type VariationalFamilyFactory, type DrawWithLogDensity, requireDim, requireLength, tileMean } from "./family.js";

export interface PointMassOptions {
  /** Initial point (default 0). */
  readonly value?: ArrayLike<number>;
}

export class PointMassQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize = 0;
  readonly reparameterizable = true;
  readonly discrete = false;
  readonly degenerate = true;

  constructor(readonly dim: number, private readonly options: PointMassOptions = {}) {
    requireDim(dim, "pointMass");
    requireLength(options.value, dim, "pointMass", "value");
    this.name = `PointMass(${dim})`;
    this.nParams = dim;
  }

  init(out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = this.options.value?.[i] ?? 0;
  }

  prepare(lambda: TNode): TNode[] {
    return [lambda];
  }

  drawNoise(): void {}

  reparam(parts: TNode[]): TNode {
    return parts[0]!;
  }

  /** 0: a point mass carries no entropy relative to itself (the counting measure at λ). */
  entropy(parts: TNode[]): TNode {
    return parts[0]!.tape.scalar(0);
  }

  /** z = λ and log q = 0 (density relative to the point's own counting measure). */
  reparamWithLogDensity(parts: TNode[]): DrawWithLogDensity {
    return { z: parts[0]!, logq: parts[0]!.tape.scalar(0) };
  }

  sample(lambda: Float64Array, _rng: Generator, out: Float64Array): void {
    out.set(lambda.subarray(0, this.dim));
  }

  logDensity(): number {
    return 0;
  }

  score(_lambda: Float64Array, _z: Float64Array, out: Float64Array): void {
    out.fill(0, 0, this.nParams);
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    out.set(lambda.subarray(0, this.dim));
  }

  variance(_lambda: Float64Array, out: Float64Array): void {
    out.fill(0, 0, this.dim);
  }
}

/**
 * A point mass: MAP / EM as VI. `pointMass(d)` is the family of dimension d; `pointMass()` (or with
 * options only) lets the model graph size it from the variable it fits (a product of points, so it
 * covers a whole plate as one vectorised parameter).
 */
export function pointMass(options?: PointMassOptions): VariationalFamilyFactory;
export function pointMass(d: number, options?: PointMassOptions): PointMassQ;
export function pointMass(d?: number | PointMassOptions, options?: PointMassOptions): PointMassQ | VariationalFamilyFactory {
  if (typeof d === "number") return new PointMassQ(d, options);
  const opts = d ?? {};
  return {
    kind: "variational-family-factory", name: "PointMass", factorises: true,
    create: (dim) => new PointMassQ(dim, { ...opts, value: tileMean(opts.value, dim) }),
  };
}
