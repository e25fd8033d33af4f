/**
 * Level-3 triangular kernels (core/src/linalg/triangular.ts) and the GEMM's α: every result
 * against a plain triple loop or row-by-row substitution written here, at sizes below, at and
 * across the block edges (recursive halving down to 16-row blocks, 4×4 tiles, 512-column GEMM panels) so both the
 * substitution-only and the GEMM-blocked paths run.
 */
import test from "ava";
import { Generator, sampleStandardNormal, gemmStrided, trsmLower, trsmLowerTransposed, gemmLowerNT, mirrorLower } from "@vireo/core";

function randomMatrix(rng: Generator, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => sampleStandardNormal(rng));
}

/** A well-conditioned lower factor (diagonal 1..2, off-diagonal scaled by 1/√m) with junk above the diagonal. */
function lowerFactor(rng: Generator, m: number): Float64Array {
  const L = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (j < i) L[i * m + j] = sampleStandardNormal(rng) / Math.sqrt(m);
      else if (j === i) L[i * m + j] = 1 + rng.uniform();
      else L[i * m + j] = 1e6 * sampleStandardNormal(rng); // must never be read
    }
  }
  return L;
}

/** Row-by-row forward substitution: X = L⁻¹ B. */
function referenceSolve(L: Float64Array, m: number, B: Float64Array, n: number, transposed: boolean): Float64Array {
  const X = Float64Array.from(B);
  const at = (i: number, k: number) => (transposed ? L[k * m + i]! : L[i * m + k]!);
  const order = transposed ? [...Array(m).keys()].reverse() : [...Array(m).keys()];
  for (const i of order) {
    for (let j = 0; j < n; j++) {
      let s = X[i * n + j]!;
      for (let k = 0; k < m; k++) if (transposed ? k > i : k < i) s -= at(i, k) * X[k * n + j]!;
      X[i * n + j] = s / L[i * m + i]!;
    }
  }
  return X;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / Math.max(scale, 1e-300);
}

const SHAPES: [number, number][] = [[1, 1], [5, 3], [16, 7], [17, 4], [33, 1], [50, 130], [100, 600], [37, 5]];

for (const [m, n] of SHAPES) {
  test(`trsmLower / trsmLowerTransposed ${m}×${m} with ${n} right-hand sides match substitution and never read above the diagonal`, (t) => {
    const rng = new Generator(m * 1000 + n);
    const L = lowerFactor(rng, m), B = randomMatrix(rng, m, n);
    for (const transposed of [false, true]) {
      const X = Float64Array.from(B);
      (transposed ? trsmLowerTransposed : trsmLower)(L, m, X, n);
      const ref = referenceSolve(L, m, B, n, transposed);
      t.true(maxRelDiff(X, ref) < 1e-12, `transposed=${transposed}: relative difference ${maxRelDiff(X, ref)}`);
      // Residual: op(L) X = B.
      let worst = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) {
          const l = transposed ? (i <= k ? L[k * m + i]! : 0) : (k <= i ? L[i * m + k]! : 0);
          s += l * X[k * n + j]!;
        }
        worst = Math.max(worst, Math.abs(s - B[i * n + j]!));
      }
      t.true(worst < 1e-11, `transposed=${transposed}: residual ${worst}`);
    }
  });
}

for (const [m, k] of [[1, 3], [4, 4], [16, 9], [20, 1000], [100, 37], [41, 600]] as [number, number][]) {
  test(`gemmLowerNT ${m}×${k}: the lower triangle of α A Bᵀ, overwrite and accumulate; mirrorLower symmetrises`, (t) => {
    const rng = new Generator(7 * m + k);
    const A = randomMatrix(rng, m, k), B = randomMatrix(rng, m, k), C0 = randomMatrix(rng, m, m);
    const ref = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[j * k + p]!;
      ref[i * m + j] = s;
    }
    for (const accumulate of [false, true]) {
      const C = Float64Array.from(C0);
      gemmLowerNT(-0.5, m, k, A, B, C, accumulate);
      let worst = 0, untouched = true;
      for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) {
        const want = (accumulate ? C0[i * m + j]! : 0) - 0.5 * ref[i * m + j]!;
        worst = Math.max(worst, Math.abs(C[i * m + j]! - want) / (1 + Math.abs(want)));
      }
      // Above the diagonal, outside the smallest diagonal blocks (≤ 16 rows), C is left as it was.
      for (let i = 0; i < m; i++) for (let j = i + 16; j < m; j++) if (C[i * m + j] !== C0[i * m + j]) untouched = false;
      t.true(worst < 1e-12, `accumulate=${accumulate}: ${worst}`);
      t.true(untouched);
      mirrorLower(C, m);
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) t.is(C[j * m + i], C[i * m + j]);
    }
  });
}

test("gemmStrided scales the product by α on the packed and the small paths", (t) => {
  const rng = new Generator(3);
  for (const [m, n, k] of [[2, 3, 2], [30, 21, 17]] as [number, number, number][]) {
    const A = randomMatrix(rng, m, k), B = randomMatrix(rng, k, n), C = randomMatrix(rng, m, n), C1 = Float64Array.from(C);
    gemmStrided(m, n, k, A, 0, k, 1, B, 0, n, 1, C1, 0, n, true, -2.5);
    let worst = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
      worst = Math.max(worst, Math.abs(C1[i * n + j]! - (C[i * n + j]! - 2.5 * s)));
    }
    t.true(worst < 1e-12, `${m}×${n}×${k}: ${worst}`);
  }
});
