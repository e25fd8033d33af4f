/**
 * Reductions on the tape: sum, mean and logsumexp over all elements or along one axis of a matrix.
 * A reduction is described by (outputs O, reduced length R, output stride os, reduced stride rs):
 * element r of output o sits at o·os + r·rs, which covers all three cases with one loop.
 */
import { VireoError } from "../errors.js";
import type { TNode } from "./tape.js";

function reduceNode(op: string, a: TNode, axis: number | undefined): TNode {
  if (axis !== undefined && axis !== 0 && !(axis === 1 && a.rank === 2)) {
    throw new VireoError("INVALID_OPTION", `${op}: axis ${axis} is not valid for a node of rank ${a.rank}; use undefined (all elements), 0, or 1 for matrices.`);
  }
  const t = a.tape;
  let n: TNode;
  if (axis === undefined || a.rank < 2) {
    n = t.node(op, 0, 1, 1);
    n.int = -1;
  } else if (axis === 0) {
    n = t.node(op, 1, a.d1, 1);
    n.int = 0;
  } else {
    n = t.node(op, 1, a.d0, 1);
    n.int = 1;
  }
  n.a = a;
  n.needsGrad = a.needsGrad;
  return n;
}

/** [R, os, rs] for the reduction of `n`. */
function geometry(n: TNode): [number, number, number] {
  const a = n.a!;
  if (n.int === -1) return [a.size, 0, 1];
  if (n.int === 0) return [a.d0, 1, a.d1];
  return [a.d1, a.d1, 1];
}

/** Σ a over all elements (a scalar) or along `axis` of a matrix. */
export function sum(a: TNode, axis?: number): TNode {
  const n = reduceNode("sum", a, axis);
  n.num = 1;
  fillSum(n);
  n.backward = sumBackward;
  return n;
}

/** The mean over all elements or along `axis` of a matrix. */
export function mean(a: TNode, axis?: number): TNode {
  const n = reduceNode("mean", a, axis);
  n.num = 1 / geometry(n)[0];
  fillSum(n);
  n.backward = sumBackward;
  return n;
}

function fillSum(n: TNode): void {
  const [R, os, rs] = geometry(n), av = n.a!.value, out = n.value, c = n.num;
  for (let o = 0; o < n.size; o++) {
    let s = 0;
    for (let r = 0, i = o * os; r < R; r++, i += rs) s += av[i]!;
    out[o] = c * s;
  }
}

function sumBackward(n: TNode): void {
  const [R, os, rs] = geometry(n), ga = n.a!.grad, g = n.grad, c = n.num;
  for (let o = 0; o < n.size; o++) {
    const go = c * g[o]!;
    for (let r = 0, i = o * os; r < R; r++, i += rs) ga[i] += go;
  }
}

/** log Σ exp(a) over all elements or along `axis`, shifted by the maximum so it never overflows. */
export function logsumexp(a: TNode, axis?: number): TNode {
  const n = reduceNode("logsumexp", a, axis);
  const [R, os, rs] = geometry(n), av = a.value, out = n.value;
  for (let o = 0; o < n.size; o++) {
    let m = -Infinity;
    for (let r = 0, i = o * os; r < R; r++, i += rs) if (av[i]! > m) m = av[i]!;
    if (m === -Infinity || m === Infinity) {
      out[o] = m;
      continue;
    }
    let s = 0;
    for (let r = 0, i = o * os; r < R; r++, i += rs) s += Math.exp(av[i]! - m);
    out[o] = m + Math.log(s);
  }
  n.backward = logsumexpBackward;
  return n;
}

function logsumexpBackward(n: TNode): void {
  // d lse / d a_i = softmax_i = exp(a_i − lse).
  const [R, os, rs] = geometry(n), a = n.a!, av = a.value, ga = a.grad, g = n.grad, out = n.value;
  for (let o = 0; o < n.size; o++) {
    const go = g[o]!, l = out[o]!;
    for (let r = 0, i = o * os; r < R; r++, i += rs) ga[i] += go * Math.exp(av[i]! - l);
  }
}
