/**
 * Kernels: Cholesky, triangular and SPD solves, inverse and log-determinant on seeded SPD matrices;
 * gemm / gemv / dot / axpy against naive loops (strided, transposed and offset views included);
 * logsumexp and softmax on extreme inputs; error codes for non-SPD and mismatched inputs.
 */
import test from "ava";
import {
  Generator,
  VireoError,
  array,
  zeros,
  eye,
  matrix,
  copy,
  choleskyFactor,
  solveLower,
  solveLowerTransposed,
  spdSolve,
  spdInverse,
  spdLogDet,
  gemm,
  gemv,
  dot,
  axpy,
  logsumexp,
  logSumExpRange,
  softmax,
  softmaxRange,
  sampleStandardNormal,
  type Arr,
} from "@vireo/core";
import { randomSpd, randomMatrix, naiveMatMul, relFrob, frob, luLogAbsDet } from "./helpers.js";

const SIZES = [1, 2, 5, 10, 25, 50];
const TOL = 1e-10;

/** ‖A X − B‖_F / ‖B‖_F for a vector or matrix right-hand side. */
function residual(A: Arr, X: Arr, B: Arr): number {
  const X2 = X.shape.length === 1 ? array(X.data, [X.shape[0]!, 1], [X.stride[0]!, 1], X.offset) : X;
  const B2 = B.shape.length === 1 ? array(B.data, [B.shape[0]!, 1], [B.stride[0]!, 1], B.offset) : B;
  return relFrob(naiveMatMul(A, X2), B2);
}

function lowerTimesTranspose(L: Arr): Arr {
  return naiveMatMul(L, L.transpose(1, 0));
}

for (const n of SIZES) {
  const seed = 1000 + n;

  test(`cholesky: L Lᵀ reconstructs A, L lower with positive diagonal (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed), n);
    const L = choleskyFactor(A);
    t.true(relFrob(lowerTimesTranspose(L), A) < TOL, `relative error ${relFrob(lowerTimesTranspose(L), A)}`);
    for (let i = 0; i < n; i++) {
      t.true(L.get(i, i) > 0);
      for (let j = i + 1; j < n; j++) t.is(L.get(i, j), 0);
    }
    // Into a preallocated `out`, and from a transposed (strided) view of the same symmetric matrix.
    const out = zeros([n, n]);
    t.is(choleskyFactor(A.transpose(1, 0), out), out);
    t.true(relFrob(out, L) < 1e-14);
  });

  test(`spdSolve: residuals below 1e-10 for vector and matrix right-hand sides (n=${n})`, (t) => {
    const rng = new Generator(seed);
    const A = randomSpd(rng, n);
    const b = array(Float64Array.from({ length: n }, () => sampleStandardNormal(rng)));
    const bCopy = copy(b);
    const x = spdSolve(A, b);
    t.true(residual(A, x, b) < TOL, `vector residual ${residual(A, x, b)}`);
    t.deepEqual(Array.from(b.data), Array.from(bCopy.data), "spdSolve must not modify B");
    for (const k of [1, 3, 7]) {
      const B = randomMatrix(rng, n, k);
      const X = spdSolve(A, B);
      t.deepEqual(X.shape, [n, k]);
      t.true(residual(A, X, B) < TOL, `matrix residual (k=${k}) ${residual(A, X, B)}`);
    }
    // A strided right-hand side: every second entry of a longer buffer.
    const buf = Float64Array.from({ length: 2 * n }, () => sampleStandardNormal(rng));
    const bs = array(buf, [n], [2], 1);
    t.true(residual(A, spdSolve(A, bs), bs) < TOL);
  });

  test(`solveLower / solveLowerTransposed: residuals below 1e-10 (n=${n})`, (t) => {
    const rng = new Generator(seed + 7);
    const A = randomSpd(rng, n);
    const L = choleskyFactor(A);
    const Lt = copy(L.transpose(1, 0));
    for (const k of [0, 1, 4]) {
      const B = k === 0 ? array(Float64Array.from({ length: n }, () => sampleStandardNormal(rng))) : randomMatrix(rng, n, k);
      const X1 = solveLower(L, copy(B));
      t.true(residual(L, X1, B) < TOL, `L x = b (k=${k}): ${residual(L, X1, B)}`);
      const X2 = solveLowerTransposed(L, copy(B));
      t.true(residual(Lt, X2, B) < TOL, `Lᵀ x = b (k=${k}): ${residual(Lt, X2, B)}`);
    }
    // In place: the returned array is the right-hand side itself.
    const b = array(new Float64Array(n).fill(1));
    t.is(solveLower(L, b), b);
  });

  test(`spdInverse: A⁻¹ A ≈ I, symmetric (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed + 11), n);
    const Ainv = spdInverse(A);
    t.true(relFrob(naiveMatMul(Ainv, A), eye(n)) < TOL, `‖A⁻¹A − I‖/‖I‖ = ${relFrob(naiveMatMul(Ainv, A), eye(n))}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) t.is(Ainv.get(i, j), Ainv.get(j, i));
  });

  test(`spdLogDet: equals 2·Σ log L_ii and an LU log-determinant (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed + 13), n);
    const L = choleskyFactor(A);
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log(L.get(i, i));
    const ld = spdLogDet(A);
    t.true(Math.abs(ld - 2 * s) <= 1e-12 * Math.max(1, Math.abs(ld)));
    const lu = luLogAbsDet(A);
    t.true(Math.abs(ld - lu) <= 1e-10 * Math.max(1, Math.abs(lu)), `cholesky ${ld} vs LU ${lu}`);
  });
}

test("cholesky: known 3×3 factor and log-determinant", (t) => {
  // A = L Lᵀ with L = [[2,0,0],[1,3,0],[-1,2,4]], det A = (2·3·4)² = 576.
  const A = matrix([[4, 2, -2], [2, 10, 5], [-2, 5, 21]]);
  const L = choleskyFactor(A);
  t.deepEqual(Array.from(L.data), [2, 0, 0, 1, 3, 0, -1, 2, 4]);
  t.true(Math.abs(spdLogDet(A) - Math.log(576)) < 1e-14);
  t.true(Math.abs(luLogAbsDet(A) - Math.log(576)) < 1e-14);
});

test("cholesky: `out` may alias the input", (t) => {
  const A = randomSpd(new Generator(5), 6);
  const expected = choleskyFactor(A);
  const B = copy(A);
  choleskyFactor(B, B);
  t.true(relFrob(B, expected) < 1e-15);
});

// ---------------------------------------------------------------- errors

const NOT_SPD: Array<{ name: string; rows: number[][]; size: string; pivot: number }> = [
  { name: "indefinite 3×3", rows: [[1, 2, 0], [2, 1, 0], [0, 0, 1]], size: "3×3", pivot: 1 },
  { name: "negative diagonal", rows: [[-1, 0], [0, 1]], size: "2×2", pivot: 0 },
  { name: "singular 3×3", rows: [[1, 1, 1], [1, 1, 1], [1, 1, 1]], size: "3×3", pivot: 1 },
  { name: "zero 1×1", rows: [[0]], size: "1×1", pivot: 0 },
  { name: "NaN entry", rows: [[1, 0, 0], [0, 1, 0], [0, NaN, 1]], size: "3×3", pivot: 2 },
  { name: "last pivot negative", rows: [[2, 1, 1], [1, 2, 1], [1, 1, -5]], size: "3×3", pivot: 2 },
];

for (const c of NOT_SPD) {
  test(`NOT_POSITIVE_DEFINITE names the size and the failing pivot: ${c.name}`, (t) => {
    const A = matrix(c.rows);
    const ops: Array<[string, () => unknown]> = [
      ["choleskyFactor", () => choleskyFactor(A)],
      ["spdSolve", () => spdSolve(A, zeros([A.shape[0]!]))],
      ["spdInverse", () => spdInverse(A)],
      ["spdLogDet", () => spdLogDet(A)],
    ];
    for (const [name, op] of ops) {
      const e = t.throws(op, { instanceOf: VireoError }, name);
      t.is(e?.code, "NOT_POSITIVE_DEFINITE", name);
      t.regex(e?.message ?? "", new RegExp(c.size), name);
      t.regex(e?.message ?? "", new RegExp(`pivot ${c.pivot}\\b`), name);
    }
  });
}

const v = (n: number): Arr => zeros([n]);
const MISMATCH: Array<[string, () => unknown]> = [
  ["gemm inner dimensions", () => gemm(1, zeros([2, 3]), zeros([4, 2]), 0, zeros([2, 2]))],
  ["gemm output rows", () => gemm(1, zeros([2, 3]), zeros([3, 2]), 0, zeros([3, 2]))],
  ["gemm output columns", () => gemm(1, zeros([2, 3]), zeros([3, 2]), 0, zeros([2, 3]))],
  ["gemv x length", () => gemv(1, zeros([2, 3]), v(2), 0, v(2))],
  ["gemv y length", () => gemv(1, zeros([2, 3]), v(3), 0, v(3))],
  ["dot", () => dot(v(3), v(4))],
  ["axpy", () => axpy(1, v(3), v(2))],
  ["cholesky of a non-square matrix", () => choleskyFactor(zeros([2, 3]))],
  ["cholesky into a wrong-size out", () => choleskyFactor(eye(2), zeros([3, 3]))],
  ["spdSolve with a wrong-length vector", () => spdSolve(eye(3), v(2))],
  ["spdSolve with a wrong-height matrix", () => spdSolve(eye(3), zeros([4, 2]))],
  ["solveLower", () => solveLower(eye(3), v(4))],
  ["solveLowerTransposed", () => solveLowerTransposed(eye(3), zeros([2, 2]))],
  ["spdInverse of a non-square matrix", () => spdInverse(zeros([3, 2]))],
  ["spdLogDet of a vector", () => spdLogDet(v(3))],
  ["array with too few values", () => array(new Float64Array(5), [2, 3])],
  ["ragged matrix rows", () => matrix([[1, 2], [3]])],
];

for (const [name, op] of MISMATCH) {
  test(`DIMENSION_MISMATCH: ${name}`, (t) => {
    const e = t.throws(op, { instanceOf: VireoError });
    t.is(e?.code, "DIMENSION_MISMATCH");
    t.regex(e?.message ?? "", /\d/, "the message states the sizes involved");
  });
}

// ---------------------------------------------------------------- BLAS

/** An m×n view in one of several layouts, filled with seeded normals. */
type Layout = "dense" | "transposed" | "offset" | "strided";
function view(rng: Generator, m: number, n: number, layout: Layout): Arr {
  switch (layout) {
    case "dense":
      return randomMatrix(rng, m, n);
    case "transposed":
      return randomMatrix(rng, n, m).transpose(1, 0);
    case "offset":
      // The interior of a larger matrix: offset ≠ 0 and row stride ≠ n.
      return randomMatrix(rng, m + 2, n + 3).lo(1, 2).hi(m, n);
    case "strided":
      return randomMatrix(rng, 2 * m, 3 * n).step(2, 3);
  }
}

const GEMM: Array<{ m: number; k: number; n: number; a: Layout; b: Layout; c: Layout; alpha: number; beta: number }> = [
  { m: 1, k: 1, n: 1, a: "dense", b: "dense", c: "dense", alpha: 1, beta: 0 },
  { m: 3, k: 4, n: 5, a: "dense", b: "dense", c: "dense", alpha: 1, beta: 0 },
  { m: 5, k: 3, n: 2, a: "transposed", b: "dense", c: "dense", alpha: 2.5, beta: 0 },
  { m: 4, k: 6, n: 3, a: "dense", b: "transposed", c: "dense", alpha: -1, beta: 1 },
  { m: 7, k: 2, n: 9, a: "transposed", b: "transposed", c: "dense", alpha: 0.5, beta: -0.75 },
  { m: 6, k: 5, n: 4, a: "offset", b: "strided", c: "offset", alpha: 1.25, beta: 2 },
  { m: 8, k: 8, n: 8, a: "strided", b: "offset", c: "transposed", alpha: -2, beta: 0.5 },
  { m: 33, k: 17, n: 9, a: "dense", b: "dense", c: "strided", alpha: 1, beta: 3 },
  { m: 16, k: 40, n: 16, a: "transposed", b: "dense", c: "dense", alpha: 0, beta: 2 },
  { m: 2, k: 64, n: 3, a: "dense", b: "transposed", c: "dense", alpha: 1, beta: 1 },
];

for (const [idx, c] of GEMM.entries()) {
  test(`gemm vs a naive triple loop: ${c.m}×${c.k} · ${c.k}×${c.n}, A ${c.a}, B ${c.b}, C ${c.c}, α=${c.alpha}, β=${c.beta}`, (t) => {
    const rng = new Generator(200 + idx);
    const A = view(rng, c.m, c.k, c.a);
    const B = view(rng, c.k, c.n, c.b);
    const C = view(rng, c.m, c.n, c.c);
    const C0 = copy(C);
    const AB = naiveMatMul(A, B);
    const expected = zeros([c.m, c.n]);
    for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) {
      expected.set(i, j, c.alpha * AB.get(i, j) + c.beta * C0.get(i, j));
    }
    t.is(gemm(c.alpha, A, B, c.beta, C), C);
    t.true(relFrob(C, expected) < 1e-13, `relative error ${relFrob(C, expected)}`);
  });
}

test("gemm with β = 0 ignores NaN already in C", (t) => {
  const C = zeros([2, 2]);
  C.data.fill(NaN);
  gemm(1, eye(2), matrix([[1, 2], [3, 4]]), 0, C);
  t.deepEqual(Array.from(C.data), [1, 2, 3, 4]);
});

const GEMV: Array<{ m: number; n: number; a: Layout; alpha: number; beta: number }> = [
  { m: 1, n: 1, a: "dense", alpha: 1, beta: 0 },
  { m: 4, n: 7, a: "dense", alpha: 2, beta: 0 },
  { m: 7, n: 4, a: "transposed", alpha: -1, beta: 1 },
  { m: 5, n: 5, a: "offset", alpha: 0.5, beta: -2 },
  { m: 30, n: 11, a: "strided", alpha: 1, beta: 0.25 },
];

for (const [idx, c] of GEMV.entries()) {
  test(`gemv vs a naive loop: ${c.m}×${c.n}, A ${c.a}, α=${c.alpha}, β=${c.beta}, strided x and y`, (t) => {
    const rng = new Generator(300 + idx);
    const A = view(rng, c.m, c.n, c.a);
    const x = randomMatrix(rng, 2 * c.n, 1).pick(null, 0).step(2);
    const y = randomMatrix(rng, c.m, 3).pick(null, 1);
    const y0 = copy(y);
    const expected = new Float64Array(c.m);
    for (let i = 0; i < c.m; i++) {
      let s = 0;
      for (let j = 0; j < c.n; j++) s += A.get(i, j) * x.get(j);
      expected[i] = c.alpha * s + c.beta * y0.get(i);
    }
    t.is(gemv(c.alpha, A, x, c.beta, y), y);
    t.true(relFrob(y, array(expected)) < 1e-13);
  });
}

for (const n of [0, 1, 3, 100, 1001]) {
  test(`dot and axpy vs naive loops (n=${n}, strided views)`, (t) => {
    const rng = new Generator(400 + n);
    const x = randomMatrix(rng, n, 2).pick(null, 1);
    const y = randomMatrix(rng, 3 * n + 1, 1).pick(null, 0).lo(1).step(3);
    let s = 0;
    for (let i = 0; i < n; i++) s += x.get(i) * y.get(i);
    t.true(Math.abs(dot(x, y) - s) <= 1e-13 * Math.max(1, Math.abs(s)));
    const y0 = copy(y);
    t.is(axpy(-1.5, x, y), y);
    for (let i = 0; i < n; i++) t.is(y.get(i), y0.get(i) + -1.5 * x.get(i));
  });
}

// ---------------------------------------------------------------- reductions

const LSE: Array<{ name: string; x: number[]; expected: number }> = [
  { name: "near +1000", x: [1000, 1000, 999], expected: 1000 + Math.log(2 + Math.exp(-1)) },
  { name: "near −1000", x: [-1000, -1000], expected: -1000 + Math.LN2 },
  { name: "mixed ±1000", x: [1000, -1000, 0], expected: 1000 },
  { name: "single value", x: [-1234.5], expected: -1234.5 },
  { name: "with −∞", x: [-Infinity, 3, -Infinity], expected: 3 },
  { name: "all −∞", x: [-Infinity, -Infinity], expected: -Infinity },
  { name: "with +∞", x: [1, Infinity], expected: Infinity },
  { name: "empty", x: [], expected: -Infinity },
  { name: "ordinary", x: [0.1, -0.7, 2.3], expected: Math.log(Math.exp(0.1) + Math.exp(-0.7) + Math.exp(2.3)) },
];

for (const c of LSE) {
  test(`logsumexp: ${c.name}`, (t) => {
    const got = logsumexp(Float64Array.from(c.x));
    if (Number.isFinite(c.expected)) t.true(Math.abs(got - c.expected) <= 1e-14 * Math.max(1, Math.abs(c.expected)), `${got} vs ${c.expected}`);
    else t.is(got, c.expected);
    // The Arr and range forms agree with the Float64Array form.
    t.is(logsumexp(array(Float64Array.from(c.x))), got);
    t.is(logSumExpRange([7, ...c.x, 9], 1, c.x.length), got);
  });
}

test("logsumexp over 10^6 values: log Σ_{i=1..n} i = log(n(n+1)/2), and a constant shifted to ±1000", (t) => {
  const n = 1_000_000;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.log(i + 1);
  const expected = Math.log((n * (n + 1)) / 2);
  t.true(Math.abs(logsumexp(x) - expected) <= 1e-12 * expected);
  for (const c of [1000, -1000]) {
    const y = new Float64Array(n).fill(c);
    t.true(Math.abs(logsumexp(y) - (c + Math.log(n))) <= 1e-12 * Math.abs(c));
    for (let i = 0; i < n; i++) y[i] = c + x[i]!;
    t.true(Math.abs(logsumexp(y) - (c + expected)) <= 1e-12 * Math.abs(c + expected));
  }
  // A strided view over every other value.
  const evens = array(x, [n / 2], [2], 0);
  let s = 0;
  for (let i = 0; i < n; i += 2) s += i + 1;
  t.true(Math.abs(logsumexp(evens) - Math.log(s)) <= 1e-12 * Math.log(s));
});

test("softmax: sums to 1, is shift invariant and stays finite at ±1000", (t) => {
  const rng = new Generator(77);
  const cases: Float64Array[] = [
    Float64Array.of(1000, 999, -1000),
    Float64Array.of(-1000, -1001, -1002),
    Float64Array.of(0),
    Float64Array.from({ length: 1000 }, () => 30 * sampleStandardNormal(rng)),
  ];
  for (const x of cases) {
    const p = softmax(x);
    let s = 0;
    for (const v of p) {
      t.true(v >= 0 && v <= 1);
      s += v;
    }
    t.true(Math.abs(s - 1) < 1e-12, `sum ${s}`);
    const shifted = softmax(x.map((v) => v + 500));
    t.true(relFrob(array(shifted), array(p)) < 1e-12);
  }
  // softmax(1000, 999, −1000) = (1, e⁻¹, 0)/(1 + e⁻¹).
  const p = softmax(Float64Array.of(1000, 999, -1000));
  t.true(Math.abs(p[0]! - 1 / (1 + Math.exp(-1))) < 1e-15);
  t.is(p[2], 0);
  // The range form returns the log-normaliser and may alias its input.
  const buf = Float64Array.of(9, 1, 2, 3, 9);
  const lse = softmaxRange(buf, 1, 3, buf, 1);
  t.true(Math.abs(lse - Math.log(Math.E + Math.E ** 2 + Math.E ** 3)) < 1e-14);
  t.true(Math.abs(buf[1]! + buf[2]! + buf[3]! - 1) < 1e-15);
  t.is(buf[0], 9);
  t.is(buf[4], 9);
});

test("frob helper sanity (guards the reference arithmetic)", (t) => {
  t.is(frob(matrix([[3, 0], [0, 4]])), 5);
  t.is(luLogAbsDet(matrix([[0, 2], [3, 0]])), Math.log(6));
});
