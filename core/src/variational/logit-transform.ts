/**
 * Variables in (0, 1): x = σ(z) element-wise, log|det J| = Σ [log σ(z_i) + log(1 − σ(z_i))]
 * = −Σ [softplus(−z_i) + softplus(z_i)] (stable for large |z|).
 */
import { sigmoid as sigmoidScalar, softplus as softplusScalar } from "../special/functions.js";
import type { TNode } from "../autodiff/tape.js";
import { sigmoid, softplus } from "../autodiff/unary.js";
import { add, neg } from "../autodiff/arith.js";
import { sum } from "../autodiff/reduce.js";
import type { Transform } from "./transform.js";

export const logitTransform: Transform = {
  name: "logit",
  elementwise: true,
  outputSize: (dim) => dim,
  forward: (z: TNode) => sigmoid(z),
  logDetJacobian: (z: TNode) => neg(sum(add(softplus(z), softplus(neg(z))))),
  forwardValue(z, x) {
    let s = 0;
    for (let i = 0; i < z.length; i++) {
      x[i] = sigmoidScalar(z[i]!);
      s -= softplusScalar(z[i]!) + softplusScalar(-z[i]!);
    }
    return s;
  },
  inverseValue(x, z) {
    for (let i = 0; i < x.length; i++) z[i] = Math.log(x[i]!) - Math.log1p(-x[i]!);
  },
};
