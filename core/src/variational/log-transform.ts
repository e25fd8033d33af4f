/**
 * Positive variables: x = e^z element-wise, log|det J| = Σ z_i.
 */
import type { TNode } from "../autodiff/tape.js";
import { exp } from "../autodiff/unary.js";
import { sum } from "../autodiff/reduce.js";
import type { Transform } from "./transform.js";

export const logTransform: Transform = {
  name: "log",
  elementwise: true,
  outputSize: (dim) => dim,
  forward: (z: TNode) => exp(z),
  logDetJacobian: (z: TNode) => sum(z),
  forwardValue(z, x) {
    let s = 0;
    for (let i = 0; i < z.length; i++) {
      x[i] = Math.exp(z[i]!);
      s += z[i]!;
    }
    return s;
  },
  inverseValue(x, z) {
    for (let i = 0; i < x.length; i++) z[i] = Math.log(x[i]!);
  },
};
