/**
 * Dense kernels: Cholesky, triangular and SPD solves, inverse and log-determinant on seeded SPD
 * matrices (row-major Float64Arrays, as the families and nodes call them); logsumexp and softmax on
 * extreme inputs; error codes for non-SPD and mismatched inputs.
 */
import test from "ava";
import {
  Generator,
  VireoError,
  array,
  matrix,
  cholesky,
  choleskyInto,
  choleskySolveInPlace,
  forwardSubstitute,
  backSubstituteTransposed,
  inverseFromCholesky,
  logDetFromCholesky,
  spdInverseDense,
  spdLogDetDense,
  logsumexp,
  logSumExpRange,
  softmax,
  softmaxRange,
  sampleStandardNormal,
} from "@vireo/core";
import { randomSpd, relFrob, frob, luLogAbsDet } from "./helpers.js";

const SIZES = [1, 2, 5, 10, 25, 50];
const TOL = 1e-10;

/** A B for dense row-major n×k · k×m. */
function mul(A: ArrayLike<number>, B: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let l = 0; l < k; l++) for (let j = 0; j < m; j++) C[i * m + j] += A[i * k + l]! * B[l * m + j]!;
  return C;
}
const transpose = (A: Float64Array, n: number) => Float64Array.from({ length: n * n }, (_, i) => A[(i % n) * n + Math.floor(i / n)]!);
const relErr = (a: Float64Array, b: Float64Array) => relFrob(array(a), array(b));

for (const n of SIZES) {
  const seed = 1000 + n;

  test(`cholesky: L Lᵀ reconstructs A, L lower with positive diagonal (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed), n).data;
    const L = cholesky(A, n);
    t.true(relErr(mul(L, transpose(L, n), n, n, n), A) < TOL);
    for (let i = 0; i < n; i++) {
      t.true(L[i * n + i]! > 0);
      for (let j = i + 1; j < n; j++) t.is(L[i * n + j], 0);
    }
    // Into a preallocated `out`, which may alias the input.
    const B = A.slice();
    t.is(choleskyInto(B, n, B), B);
    t.true(relErr(B, L) < 1e-15);
  });

  test(`choleskySolveInPlace and the triangular solves: residuals below 1e-10 (n=${n})`, (t) => {
    const rng = new Generator(seed + 7), A = randomSpd(rng, n).data, L = cholesky(A, n);
    const b = Float64Array.from({ length: n }, () => sampleStandardNormal(rng));
    const x = choleskySolveInPlace(L, n, b.slice());
    t.true(relErr(mul(A, x, n, n, 1), b) < TOL);
    const y = forwardSubstitute(L, n, b.slice());
    t.true(relErr(mul(L, y, n, n, 1), b) < TOL);
    const z = backSubstituteTransposed(L, n, b.slice());
    t.true(relErr(mul(transpose(L, n), z, n, n, 1), b) < TOL);
  });

  test(`spdInverseDense / inverseFromCholesky: A⁻¹ A ≈ I, symmetric (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed + 11), n).data, Ainv = spdInverseDense(A, n);
    const I = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
    t.true(relErr(mul(Ainv, A, n, n, n), I) < TOL);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) t.is(Ainv[i * n + j], Ainv[j * n + i]);
    t.true(relErr(inverseFromCholesky(cholesky(A, n), n, new Float64Array(n * n)), Ainv) < 1e-14);
  });

  test(`spdLogDetDense: equals 2·Σ log L_ii and an LU log-determinant (n=${n})`, (t) => {
    const A = randomSpd(new Generator(seed + 13), n);
    const ld = spdLogDetDense(A.data, n);
    t.true(Math.abs(ld - logDetFromCholesky(cholesky(A.data, n), n)) <= 1e-12 * Math.max(1, Math.abs(ld)));
    const lu = luLogAbsDet(A);
    t.true(Math.abs(ld - lu) <= 1e-10 * Math.max(1, Math.abs(lu)), `cholesky ${ld} vs LU ${lu}`);
  });
}

test("cholesky: known 3×3 factor and log-determinant", (t) => {
  // A = L Lᵀ with L = [[2,0,0],[1,3,0],[-1,2,4]], det A = (2·3·4)² = 576.
  const A = matrix([[4, 2, -2], [2, 10, 5], [-2, 5, 21]]);
  t.deepEqual(Array.from(cholesky(A.data, 3)), [2, 0, 0, 1, 3, 0, -1, 2, 4]);
  t.true(Math.abs(spdLogDetDense(A.data, 3) - Math.log(576)) < 1e-14);
  t.true(Math.abs(luLogAbsDet(A) - Math.log(576)) < 1e-14);
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
    const A = matrix(c.rows).data, n = c.rows.length;
    const ops: Array<[string, () => unknown]> = [
      ["cholesky", () => cholesky(A, n)],
      ["spdInverseDense", () => spdInverseDense(A, n)],
      ["spdLogDetDense", () => spdLogDetDense(A, n)],
    ];
    for (const [name, op] of ops) {
      const e = t.throws(op, { instanceOf: VireoError }, name);
      t.is(e?.code, "NOT_POSITIVE_DEFINITE", name);
      t.regex(e?.message ?? "", new RegExp(c.size), name);
      t.regex(e?.message ?? "", new RegExp(`pivot ${c.pivot}\\b`), name);
    }
  });
}

const MISMATCH: Array<[string, () => unknown]> = [
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
