/**
 * Element-wise arithmetic on the tape. Binary ops take operands of the same shape, or one operand
 * of size 1 (a scalar broadcast against the other). One loop serves all three cases: a broadcast
 * operand is read with stride 0.
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "./tape.js";

function binaryNode(op: string, a: TNode, b: TNode): TNode {
  const t = sameTape(op, a, b);
  let big = a;
  if (a.size !== b.size) {
    if (a.size === 1) big = b;
    else if (b.size !== 1) {
      throw new VireoError("DIMENSION_MISMATCH", `${op}: operand shapes ${describe(a)} and ${describe(b)} differ; expected equal shapes or one scalar operand.`);
    }
  } else if (a.rank !== b.rank || a.d0 !== b.d0) {
    if (a.size !== 1) {
      throw new VireoError("DIMENSION_MISMATCH", `${op}: operand shapes ${describe(a)} and ${describe(b)} differ; expected equal shapes or one scalar operand.`);
    }
    big = a.rank >= b.rank ? a : b;
  }
  const n = t.node(op, big.rank, big.d0, big.d1);
  n.a = a;
  n.b = b;
  n.needsGrad = a.needsGrad || b.needsGrad;
  return n;
}

const strideOf = (x: TNode, n: TNode): number => (x.size === 1 && n.size !== 1 ? 0 : 1);

/** a + b */
export function add(a: TNode, b: TNode): TNode {
  const n = binaryNode("add", a, b);
  const av = a.value, bv = b.value, out = n.value, sa = strideOf(a, n), sb = strideOf(b, n);
  for (let i = 0; i < n.size; i++) out[i] = av[i * sa]! + bv[i * sb]!;
  n.backward = addBackward;
  return n;
}
function addBackward(n: TNode): void {
  const g = n.grad, a = n.a!, b = n.b!;
  if (a.needsGrad) { const ga = a.grad, s = strideOf(a, n); for (let i = 0; i < n.size; i++) ga[i * s] += g[i]!; }
  if (b.needsGrad) { const gb = b.grad, s = strideOf(b, n); for (let i = 0; i < n.size; i++) gb[i * s] += g[i]!; }
}

/** a − b */
export function sub(a: TNode, b: TNode): TNode {
  const n = binaryNode("sub", a, b);
  const av = a.value, bv = b.value, out = n.value, sa = strideOf(a, n), sb = strideOf(b, n);
  for (let i = 0; i < n.size; i++) out[i] = av[i * sa]! - bv[i * sb]!;
  n.backward = subBackward;
  return n;
}
function subBackward(n: TNode): void {
  const g = n.grad, a = n.a!, b = n.b!;
  if (a.needsGrad) { const ga = a.grad, s = strideOf(a, n); for (let i = 0; i < n.size; i++) ga[i * s] += g[i]!; }
  if (b.needsGrad) { const gb = b.grad, s = strideOf(b, n); for (let i = 0; i < n.size; i++) gb[i * s] -= g[i]!; }
}

/** a ⊙ b */
export function mul(a: TNode, b: TNode): TNode {
  const n = binaryNode("mul", a, b);
  const av = a.value, bv = b.value, out = n.value, sa = strideOf(a, n), sb = strideOf(b, n);
  for (let i = 0; i < n.size; i++) out[i] = av[i * sa]! * bv[i * sb]!;
  n.backward = mulBackward;
  return n;
}
function mulBackward(n: TNode): void {
  const g = n.grad, a = n.a!, b = n.b!, av = a.value, bv = b.value, sa = strideOf(a, n), sb = strideOf(b, n);
  if (a.needsGrad) { const ga = a.grad; for (let i = 0; i < n.size; i++) ga[i * sa] += g[i]! * bv[i * sb]!; }
  if (b.needsGrad) { const gb = b.grad; for (let i = 0; i < n.size; i++) gb[i * sb] += g[i]! * av[i * sa]!; }
}

/** a ⊘ b */
export function div(a: TNode, b: TNode): TNode {
  const n = binaryNode("div", a, b);
  const av = a.value, bv = b.value, out = n.value, sa = strideOf(a, n), sb = strideOf(b, n);
  for (let i = 0; i < n.size; i++) out[i] = av[i * sa]! / bv[i * sb]!;
  n.backward = divBackward;
  return n;
}
function divBackward(n: TNode): void {
  const g = n.grad, a = n.a!, b = n.b!, bv = b.value, out = n.value, sa = strideOf(a, n), sb = strideOf(b, n);
  if (a.needsGrad) { const ga = a.grad; for (let i = 0; i < n.size; i++) ga[i * sa] += g[i]! / bv[i * sb]!; }
  // d(a/b)/db = −(a/b)/b: reuses the stored quotient.
  if (b.needsGrad) { const gb = b.grad; for (let i = 0; i < n.size; i++) gb[i * sb] -= (g[i]! * out[i]!) / bv[i * sb]!; }
}

function unaryNode(op: string, a: TNode): TNode {
  const n = a.tape.node(op, a.rank, a.d0, a.d1);
  n.a = a;
  n.needsGrad = a.needsGrad;
  return n;
}

/** c·a for a constant number c. */
export function scale(a: TNode, c: number): TNode {
  const n = unaryNode("scale", a);
  n.num = c;
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = c * av[i]!;
  n.backward = scaleBackward;
  return n;
}
function scaleBackward(n: TNode): void {
  const g = n.grad, ga = n.a!.grad, c = n.num;
  for (let i = 0; i < n.size; i++) ga[i] += c * g[i]!;
}

/** a + c for a constant number c. */
export function shift(a: TNode, c: number): TNode {
  const n = unaryNode("shift", a);
  n.num = c;
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = av[i]! + c;
  n.backward = passBackward;
  return n;
}
function passBackward(n: TNode): void {
  const g = n.grad, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += g[i]!;
}

/** −a */
export function neg(a: TNode): TNode {
  return scale(a, -1);
}

/** a² element-wise. */
export function square(a: TNode): TNode {
  const n = unaryNode("square", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = av[i]! * av[i]!;
  n.backward = squareBackward;
  return n;
}
function squareBackward(n: TNode): void {
  const g = n.grad, a = n.a!, av = a.value, ga = a.grad;
  for (let i = 0; i < n.size; i++) ga[i] += 2 * av[i]! * g[i]!;
}

/** √a element-wise (a > 0 for a finite gradient). */
export function sqrt(a: TNode): TNode {
  const n = unaryNode("sqrt", a);
  const av = a.value, out = n.value;
  for (let i = 0; i < n.size; i++) out[i] = Math.sqrt(av[i]!);
  n.backward = sqrtBackward;
  return n;
}
function sqrtBackward(n: TNode): void {
  const g = n.grad, out = n.value, ga = n.a!.grad;
  for (let i = 0; i < n.size; i++) ga[i] += (0.5 * g[i]!) / out[i]!;
}
