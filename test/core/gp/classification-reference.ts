/**
 * References for GP classification tests: a 2-D toy set with known probabilities, the Laplace
 * approximation (Rasmussen & Williams, Algorithms 3.1 and 3.2), a 5-bin calibration table and accuracy.
 */
import { Generator, sampleNormal, sampleBernoulli, sigmoid, choleskyInto, type Kernel } from "@vireo/core";
import { gaussHermite } from "@vireo/nodes";

/** Two-moons-like toy set: labels drawn from σ(f_true). */
export function toy(n: number, seed: number): { x: Float64Array; y: Float64Array; p: Float64Array } {
  const rng = new Generator(seed), x = new Float64Array(2 * n), y = new Float64Array(n), p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = sampleNormal(rng, 0, 1.2), b = sampleNormal(rng, 0, 1.2);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    const f = 3 * (1.6 - a * a - 0.6 * b * b + 0.8 * Math.sin(2 * b));
    p[i] = sigmoid(f);
    y[i] = sampleBernoulli(rng, p[i]!);
  }
  return { x, y, p };
}

/**
 * The Laplace approximation's predictive probabilities at `test` (m rows) from a GP with `kernel`
 * fitted to `train` (n rows); `kss` is the prior variance k(x*, x*) at a test point.
 */
export function laplacePredictions(kernel: Kernel, train: { x: Float64Array; y: Float64Array }, n: number, test: Float64Array, m: number, kss: number): Float64Array {
  const K = new Float64Array(n * n);
  kernel.matrix(train.x, n, train.x, n, true, K);
  const lap = laplace(K, n, train.y), ks = new Float64Array(n * m), pl = new Float64Array(m);
  kernel.matrix(train.x, n, test, m, false, ks);
  const col = new Float64Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) col[i] = ks[i * m + j]!;
    pl[j] = lap.predict(col, kss);
  }
  return pl;
}

/** Laplace approximation for GP classification with a logistic likelihood (R&W Alg. 3.1/3.2). */
export function laplace(K: Float64Array, n: number, y: Float64Array): { predict(kstar: Float64Array, kss: number): number } {
  const f = new Float64Array(n), W = new Float64Array(n), sw = new Float64Array(n), grad = new Float64Array(n);
  const B = new Float64Array(n * n), L = new Float64Array(n * n), a = new Float64Array(n);
  const solveL = (v: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let s = v[i]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * v[k]!;
      v[i] = s / L[i * n + i]!;
    }
  };
  const solveLt = (v: Float64Array): void => {
    for (let i = n - 1; i >= 0; i--) {
      let s = v[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * v[k]!;
      v[i] = s / L[i * n + i]!;
    }
  };
  const factor = (): void => {
    for (let i = 0; i < n; i++) {
      const pi = sigmoid(f[i]!);
      W[i] = pi * (1 - pi);
      sw[i] = Math.sqrt(W[i]!);
      grad[i] = y[i]! - pi;
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B[i * n + j] = (i === j ? 1 : 0) + sw[i]! * K[i * n + j]! * sw[j]!;
    choleskyInto(B, n, L, "Laplace B");
  };
  for (let it = 0; it < 100; it++) {
    factor();
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) b[i] = W[i]! * f[i]! + grad[i]!;
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += K[i * n + j]! * b[j]!;
      c[i] = sw[i]! * s;
    }
    solveL(c);
    solveLt(c);
    for (let i = 0; i < n; i++) a[i] = b[i]! - sw[i]! * c[i]!;
    let change = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += K[i * n + j]! * a[j]!;
      change = Math.max(change, Math.abs(s - f[i]!));
      f[i] = s;
    }
    if (change < 1e-10) break;
  }
  factor();
  const rule = gaussHermite(40);
  return {
    predict(kstar, kss) {
      let m = 0;
      for (let i = 0; i < n; i++) m += kstar[i]! * grad[i]!;
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = sw[i]! * kstar[i]!;
      solveL(v);
      let vv = 0;
      for (let i = 0; i < n; i++) vv += v[i]! * v[i]!;
      const sd = Math.sqrt(Math.max(kss - vv, 0));
      let p = 0;
      for (let k = 0; k < 40; k++) p += rule.weights[k]! * sigmoid(m + sd * rule.points[k]!);
      return p;
    },
  };
}

/** 5-bin calibration table: [count, mean predicted probability, observed frequency] per bin. */
export function calibration(p: Float64Array, y: Float64Array): number[][] {
  const bins = Array.from({ length: 5 }, () => [0, 0, 0]);
  for (let i = 0; i < p.length; i++) {
    const b = bins[Math.min(4, Math.floor(p[i]! * 5))]!;
    b[0]++;
    b[1] += p[i]!;
    b[2] += y[i]!;
  }
  return bins.map(([c, s, o]) => [c!, c ? s! / c : NaN, c ? o! / c : NaN]);
}

export function accuracy(p: Float64Array, y: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < p.length; i++) ok += (p[i]! > 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  return ok / p.length;
}

