/**
 * A bijection x = T(z) from an unconstrained draw z to a model variable x on a constrained support.
 * With q over z, the ELBO in x-space gains the term log|det ∂T/∂z|, so the model's density of x
 * becomes a density of z. Each transform has a tape form (for reparameterised variables) and a
 * numeric form (for score-function variables).
 */
import type { TNode } from "../autodiff/tape.js";

export interface Transform {
  /** e.g. "log", "stickBreaking". */
  readonly name: string;
  /** Length of x for an unconstrained z of length `dim`. */
  outputSize(dim: number): number;
  /** x = T(z) on the tape. */
  forward(z: TNode): TNode;
  /** log|det ∂T/∂z| on the tape, a scalar. */
  logDetJacobian(z: TNode): TNode;
  /** x = T(z) into `x`; returns log|det ∂T/∂z|. */
  forwardValue(z: Float64Array, x: Float64Array): number;
  /** z = T⁻¹(x) into `z` (a point-mass q set in closed form goes back to its unconstrained point). */
  inverseValue?(x: Float64Array, z: Float64Array): void;
  /** Length of z for a value x of length `size` (default: the same length). */
  inputSize?(size: number): number;
  /** True when T maps each entry on its own, so a whole plate of values maps in one call. */
  readonly elementwise?: boolean;
  /** True when T reads a discrete q's draws (no tape form, no Jacobian), e.g. oneHotIndex(K). */
  readonly discrete?: boolean;
}

/** Length of the unconstrained z that `t` maps onto a value of `size` numbers. */
export function transformInputSize(t: Transform, size: number): number {
  return t.inputSize ? t.inputSize(size) : size;
}

/** x = z: no constraint, no Jacobian term. */
export const identityTransform: Transform = {
  name: "identity",
  elementwise: true,
  outputSize: (dim) => dim,
  forward: (z) => z,
  logDetJacobian: (z) => z.tape.scalar(0),
  forwardValue(z, x) {
    x.set(z);
    return 0;
  },
  inverseValue(x, z) {
    z.set(x);
  },
};
