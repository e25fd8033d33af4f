/**
 * Special functions on the tape, for Gamma / Beta / Dirichlet log-densities in model factors:
 * d/dx log Γ(x) = ψ(x) and d/dx ψ(x) = ψ₁(x) (trigamma), all from @stdlib.
 */
import { gammaln as gammalnScalar, digamma as digammaScalar, trigamma as trigammaScalar } from "../special/functions.js";
import type { TNode } from "./tape.js";
import { unaryNode } from "./unary.js";

/** log Γ(a) element-wise. */
export function gammaln(a: TNode): TNode {
  const n = unaryNode("gammaln", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = gammalnScalar(av[i]!);
  n.backward = gammalnBackward;
  return n;
}
function gammalnBackward(n: TNode): void {
  const g = n.grad, a = n.a!, av = a.value, ga = a.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * digammaScalar(av[i]!);
}

/** ψ(a) = d/da log Γ(a) element-wise. */
export function digamma(a: TNode): TNode {
  const n = unaryNode("digamma", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = digammaScalar(av[i]!);
  n.backward = digammaBackward;
  return n;
}
function digammaBackward(n: TNode): void {
  const g = n.grad, a = n.a!, av = a.value, ga = a.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * trigammaScalar(av[i]!);
}
