/**
 * A flow layer: an invertible map y = f(z; p) of R^d onto itself with its log|det ∂f/∂z|, both on
 * the tape and differentiable in the layer's parameters p and in z, plus an exact numeric inverse.
 * Layers stack over a Gaussian base in `flowQ`; the support bijectors of ../transform.ts then map
 * the flow's output onto a constrained variable, so any stack composes with any support.
 */
import type { TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";

export interface FlowStep {
  readonly y: TNode;
  /** log|det ∂y/∂z|, a scalar node. */
  readonly logDet: TNode;
}

export interface Bijector {
  /** e.g. "Planar", "AffineCoupling(hidden 8)". */
  readonly name: string;
  readonly dim: number;
  /** Length of this layer's slice of λ. */
  readonly nParams: number;
  /** Writes starting parameters (close to the identity map, with small random parts to break symmetry). */
  init(out: Float64Array, rng: Generator): void;
  /** y = f(z; p) and log|det ∂f/∂z| on the tape; `p` is the layer's parameter slice. */
  forward(p: TNode, z: TNode): FlowStep;
  /** z = f⁻¹(y; p) numerically into `z`. */
  inverse(p: Float64Array, y: Float64Array, z: Float64Array): void;
}

/** A factory for a layer of dimension d (so a stack can be described before d is known). */
export type BijectorSpec = (dim: number, index: number) => Bijector;
