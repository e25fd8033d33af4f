/**
 * GP kernels: hyperparameter and input gradients of Σ G_ij K_ij against central finite
 * differences, for every kernel and for sums and products; sums/products are PSD (Cholesky succeeds,
 * with the jitter it needed reported).
 */
import test from "ava";
import {
  type Kernel, squaredExponential, matern12, matern32, matern52, periodic, linear, white, sumKernel, productKernel,
  choleskyWithJitter, Generator, isVireoError,
} from "@vireo/core";

function randomMatrix(n: number, seed: number, scale = 1): Float64Array {
  const rng = new Generator(seed);
  return Float64Array.from({ length: n }, () => scale * (2 * rng.uniform() - 1));
}

/** Σ G_ij K(X1, X2)_ij + Σ g_i diag K(X1)_i for the kernel's current parameters. */
function contraction(k: Kernel, X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, G: Float64Array, gd: Float64Array): number {
  const K = new Float64Array(n1 * n2), d = new Float64Array(n1);
  k.matrix(X1, n1, X2, n2, same, K);
  k.diag(X1, n1, d);
  let s = 0;
  for (let i = 0; i < n1 * n2; i++) s += G[i]! * K[i]!;
  for (let i = 0; i < n1; i++) s += gd[i]! * d[i]!;
  return s;
}

const cases: [string, () => Kernel][] = [
  ["squaredExponential ARD", () => squaredExponential({ dim: 2, variance: 1.3, lengthscale: [0.7, 1.6] })],
  ["squaredExponential shared", () => squaredExponential({ dim: 2, variance: 0.8, lengthscale: 0.9 })],
  ["matern12", () => matern12({ dim: 2, variance: 1.1, lengthscale: [0.8, 1.2] })],
  ["matern32", () => matern32({ dim: 2, variance: 0.9, lengthscale: 1.1 })],
  ["matern52", () => matern52({ dim: 2, variance: 1.4, lengthscale: [1.3, 0.6] })],
  ["periodic", () => periodic({ dim: 2, variance: 1.2, lengthscale: 0.8, period: 1.7 })],
  ["linear ARD", () => linear({ dim: 2, variance: [0.5, 2] })],
  ["white", () => white({ dim: 2, variance: 0.3 })],
  ["sum", () => sumKernel(squaredExponential({ dim: 2, lengthscale: [0.5, 1] }), linear({ dim: 2, variance: 0.4 }), white({ dim: 2, variance: 0.1 }))],
  ["product", () => productKernel(periodic({ dim: 2, period: 2 }), matern52({ dim: 2, variance: 0.7, lengthscale: 1.5 }))],
  ["sum of products", () => sumKernel(productKernel(squaredExponential({ dim: 2 }), periodic({ dim: 2, period: 1.3 })), matern32({ dim: 2, lengthscale: [0.4, 0.9] }))],
];

for (const [name, make] of cases) {
  test(`${name}: hyperparameter gradient matches finite differences`, (t) => {
    const k = make();
    const n1 = 5, n2 = 4, X1 = randomMatrix(n1 * 2, 1, 1.5), X2 = randomMatrix(n2 * 2, 2, 1.5);
    for (const same of [false, true]) {
      const B = same ? X1 : X2, m = same ? n1 : n2;
      const G = randomMatrix(n1 * m, 3), gd = randomMatrix(n1, 4);
      const grad = new Float64Array(k.size);
      k.gradient(X1, n1, B, m, same, G, grad, 0);
      k.diagGradient(X1, n1, gd, grad, 0);
      const theta = new Float64Array(k.size);
      k.getParams(theta, 0);
      for (let p = 0; p < k.size; p++) {
        const h = 1e-6 * theta[p]!, up = Float64Array.from(theta), dn = Float64Array.from(theta);
        up[p] += h;
        dn[p] -= h;
        k.setParams(up, 0);
        const fu = contraction(k, X1, n1, B, m, same, G, gd);
        k.setParams(dn, 0);
        const fd = contraction(k, X1, n1, B, m, same, G, gd);
        k.setParams(theta, 0);
        const numeric = (fu - fd) / (2 * h);
        t.true(Math.abs(numeric - grad[p]!) <= 1e-6 * (1 + Math.abs(numeric)), `${k.parameterNames[p]} (same=${same}): analytic ${grad[p]} vs numeric ${numeric}`);
      }
    }
  });

  test(`${name}: input gradient matches finite differences`, (t) => {
    const k = make();
    const n1 = 4, n2 = 5, X1 = randomMatrix(n1 * 2, 5, 1.5), X2 = randomMatrix(n2 * 2, 6, 1.5), G = randomMatrix(n1 * n2, 7);
    const gX = new Float64Array(n1 * 2);
    k.inputGradient(X1, n1, X2, n2, G, gX);
    const zero = new Float64Array(n1);
    for (let p = 0; p < n1 * 2; p++) {
      const h = 1e-6, up = Float64Array.from(X1), dn = Float64Array.from(X1);
      up[p] += h;
      dn[p] -= h;
      const numeric = (contraction(k, up, n1, X2, n2, false, G, zero) - contraction(k, dn, n1, X2, n2, false, G, zero)) / (2 * h);
      t.true(Math.abs(numeric - gX[p]!) <= 1e-6 * (1 + Math.abs(numeric)), `x[${p}]: analytic ${gX[p]} vs numeric ${numeric}`);
    }
  });

  test(`${name}: K(X, X) is positive semi-definite (Cholesky succeeds, jitter reported)`, (t) => {
    const k = make(), n = 30, X = randomMatrix(n * 2, 8, 2);
    const K = new Float64Array(n * n), L = new Float64Array(n * n);
    k.matrix(X, n, X, n, true, K);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) t.true(Math.abs(K[i * n + j]! - K[j * n + i]!) < 1e-12);
    const { jitter } = choleskyWithJitter(K, n, L, 0, name);
    t.true(jitter >= 0 && Number.isFinite(jitter));
    // The factor reproduces K + jitter·I.
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c <= j; c++) s += L[i * n + c]! * L[j * n + c]!;
      err = Math.max(err, Math.abs(s - K[i * n + j]! - (i === j ? jitter : 0)));
    }
    t.true(err < 1e-9, `reconstruction error ${err}`);
  });
}

test("a rank-deficient kernel matrix needs jitter, and the jitter is reported", (t) => {
  const k = linear({ dim: 1 }), n = 6, X = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const K = new Float64Array(n * n), L = new Float64Array(n * n);
  k.matrix(X, n, X, n, true, K);
  const { jitter } = choleskyWithJitter(K, n, L, 0, "linear Gram");
  t.true(jitter > 0);
});

test("non-positive hyperparameters are refused, naming the kernel and parameter", (t) => {
  const e1 = t.throws(() => squaredExponential({ lengthscale: -1 }));
  t.true(isVireoError(e1, "INVALID_PARAMETER") && /squaredExponential.*lengthscale/.test(e1.message));
  const e2 = t.throws(() => periodic({ period: 0 }));
  t.true(isVireoError(e2, "INVALID_PARAMETER") && /periodic.*period/.test(e2.message));
  const e3 = t.throws(() => sumKernel(squaredExponential({ dim: 2 }), linear({ dim: 1 })));
  t.true(isVireoError(e3, "DIMENSION_MISMATCH"));
});
