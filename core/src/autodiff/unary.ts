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
  // One exponential per element serves both the value and the derivative: with e = e^{−|x|},
  // softplus(x) = max(x, 0) + log1p(e) and σ(x) = 1/(1 + e) for x ≥ 0, e/(1 + e) below. σ is kept
  // for the backward rule when a gradient is needed. softplus runs once per data row per sample
  // (logistic likelihoods), so it is the hot loop: Math.log1p (fdlibm in V8, 1 ulp) rather than the
  // generic special-function path.
  if (!n.needsGrad) {
    for (let i = 0; i < n.size; i++) {
      const x = av[i]!;
      out[i] = (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
    return n;
  }
  const slope = n.scratch(n.size);
  for (let i = 0; i < n.size; i++) {
    const x = av[i]!, e = Math.exp(-Math.abs(x)), r = 1 / (1 + e);
    out[i] = (x > 0 ? x : 0) + Math.log1p(e);
    slope[i] = x >= 0 ? r : e * r;
  }
  n.backward = softplusBackward;
  return n;
}
function softplusBackward(n: TNode): void {
  const g = n.grad, slope = n.aux, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]! * slope[i]!;
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
