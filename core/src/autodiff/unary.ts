/**
 * Element-wise transcendental functions on the tape. Each backward rule reuses the stored output
 * where the derivative is a function of it (exp, sigmoid, tanh), so no extra pass is needed.
 */
import { log1p as log1pScalar, sigmoid as sigmoidScalar } from "../special/functions.js";
import type { TNode } from "./tape.js";

/** A tape node for an element-wise op on `a` (same shape; needs a gradient when `a` does). */
export function unaryNode(op: string, a: TNode): TNode {
  const n = a.tape.node(op, a.rank, a.d0, a.d1);
  n.a = a;
  n.needsGrad = a.needsGrad;
  return n;
}

/** e^a */
export function exp(a: TNode): TNode {
  const n = unaryNode("exp", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = Math.exp(av[i]!);
  n.backward = expBackward;
  return n;
}
function expBackward(n: TNode): void {
  const g = n.grad, out = n.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * out[i]!;
}

/** log a (natural). */
export function log(a: TNode): TNode {
  const n = unaryNode("log", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = Math.log(av[i]!);
  n.backward = logBackward;
  return n;
}
function logBackward(n: TNode): void {
  const g = n.grad, a = n.a!, av = a.value, ga = a.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! / av[i]!;
}

/** log(1 + a), accurate for small a. */
export function log1p(a: TNode): TNode {
  const n = unaryNode("log1p", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = log1pScalar(av[i]!);
  n.backward = log1pBackward;
  return n;
}
function log1pBackward(n: TNode): void {
  const g = n.grad, a = n.a!, av = a.value, ga = a.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! / (1 + av[i]!);
}

/** log(1 + e^a) without overflow; its derivative is sigmoid(a). */
export function softplus(a: TNode): TNode {
  const n = unaryNode("softplus", a);
  const av = a.value, out = n.value;
  // Math.log1p (fdlibm in V8) is accurate to 1 ulp and several times faster than the generic
  // special-function path; softplus runs once per data row per sample, so it is the hot loop.
  for (let i = 0; i < n.size; i++) {
    const x = av[i]!;
    out[i] = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }
  n.backward = softplusBackward;
  return n;
}
function softplusBackward(n: TNode): void {
  // σ(x) = 1 − e^{−softplus(x)}: reuses the stored output instead of re-reading the input.
  const g = n.grad, out = n.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] -= g[i]! * Math.expm1(-out[i]!);
}

/** 1 / (1 + e^−a). */
export function sigmoid(a: TNode): TNode {
  const n = unaryNode("sigmoid", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = sigmoidScalar(av[i]!);
  n.backward = sigmoidBackward;
  return n;
}
function sigmoidBackward(n: TNode): void {
  const g = n.grad, out = n.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * out[i]! * (1 - out[i]!);
}

/** tanh a. */
export function tanh(a: TNode): TNode {
  const n = unaryNode("tanh", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = Math.tanh(av[i]!);
  n.backward = tanhBackward;
  return n;
}
function tanhBackward(n: TNode): void {
  const g = n.grad, out = n.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * (1 - out[i]! * out[i]!);
}
