/**
 * Every tape op's gradient against central finite differences, table-driven. Inputs are seeded and
 * kept inside each op's domain (log of positives, triangular factors with a dominant diagonal).
 */
import test from "ava";
import { Generator, sampleStandardNormal, checkGradient, ad, type Tape, type TNode } from "@vireo/core";

const TOL = 1e-6;

function randn(rng: Generator, n: number, scale = 1, shift = 0): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = shift + scale * sampleStandardNormal(rng);
  return x;
}
function positive(rng: Generator, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.5 + 2 * rng.uniform();
  return x;
}
function lowerWell(rng: Generator, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) L[i * n + j] = 0.5 * sampleStandardNormal(rng);
    L[i * n + i] = 1.5 + rng.uniform();
  }
  return L;
}
function spd(rng: Generator, n: number): Float64Array {
  const B = randn(rng, n * n), A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = i === j ? n : 0;
    for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
    A[i * n + j] = s;
  }
  return A;
}

interface Case {
  readonly name: string;
  readonly inputs: (rng: Generator) => { value: Float64Array; shape?: number[] }[];
  readonly build: (t: Tape, p: TNode[]) => TNode;
}

const cases: Case[] = [
  { name: "add (same shape)", inputs: (r) => [{ value: randn(r, 6), shape: [2, 3] }, { value: randn(r, 6), shape: [2, 3] }], build: (_t, [a, b]) => ad.add(a!, b!) },
  { name: "add (scalar broadcast)", inputs: (r) => [{ value: randn(r, 5) }, { value: randn(r, 1), shape: [] }], build: (_t, [a, b]) => ad.add(a!, b!) },
  { name: "sub", inputs: (r) => [{ value: randn(r, 4) }, { value: randn(r, 4) }], build: (_t, [a, b]) => ad.sub(a!, b!) },
  { name: "sub (scalar − vector)", inputs: (r) => [{ value: randn(r, 1), shape: [] }, { value: randn(r, 4) }], build: (_t, [a, b]) => ad.sub(a!, b!) },
  { name: "mul", inputs: (r) => [{ value: randn(r, 5) }, { value: randn(r, 5) }], build: (_t, [a, b]) => ad.mul(a!, b!) },
  { name: "mul (broadcast)", inputs: (r) => [{ value: randn(r, 1), shape: [] }, { value: randn(r, 5) }], build: (_t, [a, b]) => ad.mul(a!, b!) },
  { name: "div", inputs: (r) => [{ value: randn(r, 5) }, { value: positive(r, 5) }], build: (_t, [a, b]) => ad.div(a!, b!) },
  { name: "div (vector / scalar)", inputs: (r) => [{ value: randn(r, 5) }, { value: positive(r, 1), shape: [] }], build: (_t, [a, b]) => ad.div(a!, b!) },
  { name: "scale", inputs: (r) => [{ value: randn(r, 4) }], build: (_t, [a]) => ad.scale(a!, -2.5) },
  { name: "shift", inputs: (r) => [{ value: randn(r, 4) }], build: (_t, [a]) => ad.mul(ad.shift(a!, 1.5), a!) },
  { name: "neg", inputs: (r) => [{ value: randn(r, 4) }], build: (_t, [a]) => ad.neg(a!) },
  { name: "square", inputs: (r) => [{ value: randn(r, 4) }], build: (_t, [a]) => ad.square(a!) },
  { name: "sqrt", inputs: (r) => [{ value: positive(r, 4) }], build: (_t, [a]) => ad.sqrt(a!) },
  { name: "exp", inputs: (r) => [{ value: randn(r, 6) }], build: (_t, [a]) => ad.exp(a!) },
  { name: "log", inputs: (r) => [{ value: positive(r, 6) }], build: (_t, [a]) => ad.log(a!) },
  { name: "log1p", inputs: (r) => [{ value: positive(r, 6) }], build: (_t, [a]) => ad.log1p(a!) },
  { name: "softplus", inputs: (r) => [{ value: randn(r, 6, 3) }], build: (_t, [a]) => ad.softplus(a!) },
  { name: "sigmoid", inputs: (r) => [{ value: randn(r, 6, 3) }], build: (_t, [a]) => ad.sigmoid(a!) },
  { name: "tanh", inputs: (r) => [{ value: randn(r, 6) }], build: (_t, [a]) => ad.tanh(a!) },
  { name: "matmul (matrix · vector)", inputs: (r) => [{ value: randn(r, 12), shape: [4, 3] }, { value: randn(r, 3) }], build: (_t, [A, b]) => ad.matmul(A!, b!) },
  { name: "matmul (matrix · matrix)", inputs: (r) => [{ value: randn(r, 6), shape: [2, 3] }, { value: randn(r, 12), shape: [3, 4] }], build: (_t, [A, B]) => ad.matmul(A!, B!) },
  { name: "sum (all)", inputs: (r) => [{ value: randn(r, 6), shape: [2, 3] }], build: (_t, [a]) => ad.sum(ad.square(a!)) },
  { name: "sum (axis 0)", inputs: (r) => [{ value: randn(r, 6), shape: [2, 3] }], build: (_t, [a]) => ad.sum(a!, 0) },
  { name: "sum (axis 1)", inputs: (r) => [{ value: randn(r, 6), shape: [2, 3] }], build: (_t, [a]) => ad.sum(a!, 1) },
  { name: "mean (all)", inputs: (r) => [{ value: randn(r, 5) }], build: (_t, [a]) => ad.mean(ad.exp(a!)) },
  { name: "mean (axis 0)", inputs: (r) => [{ value: randn(r, 6), shape: [3, 2] }], build: (_t, [a]) => ad.mean(a!, 0) },
  { name: "mean (axis 1)", inputs: (r) => [{ value: randn(r, 6), shape: [3, 2] }], build: (_t, [a]) => ad.mean(a!, 1) },
  { name: "logsumexp (all)", inputs: (r) => [{ value: randn(r, 5, 3) }], build: (_t, [a]) => ad.logsumexp(a!) },
  { name: "logsumexp (axis 0)", inputs: (r) => [{ value: randn(r, 6, 3), shape: [3, 2] }], build: (_t, [a]) => ad.logsumexp(a!, 0) },
  { name: "logsumexp (axis 1)", inputs: (r) => [{ value: randn(r, 6, 3), shape: [2, 3] }], build: (_t, [a]) => ad.logsumexp(a!, 1) },
  { name: "gather (repeated indices)", inputs: (r) => [{ value: randn(r, 5) }], build: (_t, [a]) => ad.gather(a!, Int32Array.from([4, 0, 4, 2])) },
  { name: "slice", inputs: (r) => [{ value: randn(r, 7) }], build: (_t, [a]) => ad.slice(a!, 2, 4, [2, 2]) },
  { name: "reshape", inputs: (r) => [{ value: randn(r, 6) }], build: (_t, [a]) => ad.matmul(ad.reshape(a!, [2, 3]), ad.slice(a!, 0, 3)) },
  { name: "lowerFromPacked", inputs: (r) => [{ value: randn(r, 8, 0.5) }], build: (_t, [v]) => ad.lowerFromPacked(v!, 3, 2) },
  { name: "triSolve (vector)", inputs: (r) => [{ value: lowerWell(r, 4), shape: [4, 4] }, { value: randn(r, 4) }], build: (_t, [L, b]) => ad.triSolve(L!, b!) },
  { name: "triSolve (matrix)", inputs: (r) => [{ value: lowerWell(r, 3), shape: [3, 3] }, { value: randn(r, 6), shape: [3, 2] }], build: (_t, [L, b]) => ad.triSolve(L!, b!) },
  { name: "logDetTriangular", inputs: (r) => [{ value: lowerWell(r, 4), shape: [4, 4] }], build: (_t, [L]) => ad.logDetTriangular(L!) },
  { name: "logDetSpd", inputs: (r) => [{ value: spd(r, 4), shape: [4, 4] }], build: (_t, [A]) => ad.logDetSpd(A!) },
  { name: "gammaln", inputs: (r) => [{ value: positive(r, 5) }], build: (_t, [a]) => ad.gammaln(a!) },
  { name: "digamma", inputs: (r) => [{ value: positive(r, 5) }], build: (_t, [a]) => ad.digamma(a!) },
  { name: "composite (logistic log-likelihood)", inputs: (r) => [{ value: randn(r, 3) }], build: (t, [w]) => {
    const X = t.constant(Float64Array.from([1, 0.5, -1, 0.2, -0.3, 2, -1, 1, 0.1, 0.7, 0.7, -0.4]), [4, 3]);
    const y = t.constant(Float64Array.from([1, 0, 1, 1]));
    const eta = ad.matmul(X, w!);
    return ad.sum(ad.sub(ad.mul(y, eta), ad.softplus(eta)));
  } },
];

for (const c of cases) {
  test(`gradient of ${c.name} matches finite differences`, (t) => {
    const rng = new Generator(7);
    const r = checkGradient(c.build, c.inputs(rng));
    t.true(r.maxError < TOL, `${c.name}: max error ${r.maxError.toExponential(3)} at input ${r.worst.input}[${r.worst.element}]: analytic ${r.worst.analytic} vs numeric ${r.worst.numeric}`);
  });
}

test("the checker itself catches a wrong gradient", (t) => {
  // A deliberately wrong rule: the value of exp with the backward of square.
  const r = checkGradient((_t, [a]) => {
    const n = ad.square(a!);
    n.value.set(a!.value.map(Math.exp));
    return n;
  }, [{ value: Float64Array.from([0.3, -0.7, 1.2]) }]);
  t.true(r.maxError > 1e-2);
});
