/**
 * Shared helpers for the core tests: seeded test matrices, naive reference kernels, and the
 * moment / standard-error arithmetic behind the 5-SE Monte Carlo checks.
 */
import type { ExecutionContext } from "ava";
import { Generator, sampleStandardNormal, zeros, type Arr } from "@vireo/core";

/** Tolerance, in standard errors, of every Monte Carlo check. */
export const Z = 5;

/** An n×m dense row-major matrix of seeded standard normals. */
export function randomMatrix(rng: Generator, n: number, m: number): Arr {
  const a = zeros([n, m]);
  for (let i = 0; i < n * m; i++) a.data[i] = sampleStandardNormal(rng);
  return a;
}

/** A = B Bᵀ + n·I with B of seeded standard normals: symmetric positive definite, well conditioned. */
export function randomSpd(rng: Generator, n: number): Arr {
  const B = randomMatrix(rng, n, n);
  const A = zeros([n, n]);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += B.data[i * n + k]! * B.data[j * n + k]!;
      A.data[i * n + j] = s;
    }
  }
  return A;
}

/** Naive C = A B for 2-D views (a new dense array). */
export function naiveMatMul(A: Arr, B: Arr): Arr {
  const m = A.shape[0]!, k = A.shape[1]!, n = B.shape[1]!;
  const C = zeros([m, n]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A.get(i, p) * B.get(p, j);
      C.data[i * n + j] = s;
    }
  }
  return C;
}

/** Frobenius norm of a 2-D view (or 1-D). */
export function frob(a: Arr): number {
  let s = 0;
  if (a.shape.length === 1) for (let i = 0; i < a.shape[0]!; i++) s += a.get(i) ** 2;
  else for (let i = 0; i < a.shape[0]!; i++) for (let j = 0; j < a.shape[1]!; j++) s += a.get(i, j) ** 2;
  return Math.sqrt(s);
}

/** ‖a − b‖_F / ‖b‖_F over two views of equal shape. */
export function relFrob(a: Arr, b: Arr): number {
  let s = 0;
  if (a.shape.length === 1) for (let i = 0; i < a.shape[0]!; i++) s += (a.get(i) - b.get(i)) ** 2;
  else for (let i = 0; i < a.shape[0]!; i++) for (let j = 0; j < a.shape[1]!; j++) s += (a.get(i, j) - b.get(i, j)) ** 2;
  return Math.sqrt(s) / frob(b);
}

/** log |det A| by LU with partial pivoting (an implementation independent of Cholesky). */
export function luLogAbsDet(A: Arr): number {
  const n = A.shape[0]!;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = A.get(i, j);
  let logdet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[p * n + c]!)) p = r;
    if (p !== c) for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j]!, a[c * n + j]!];
    const piv = a[c * n + c]!;
    logdet += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      for (let j = c; j < n; j++) a[r * n + j] = a[r * n + j]! - f * a[c * n + j]!;
    }
  }
  return logdet;
}

/** Sample mean, variance and fourth central moment (two passes over a stored array). */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  /** Sample variance (n − 1 denominator). */
  readonly variance: number;
  /** Fourth central sample moment (n denominator). */
  readonly m4: number;
}

export function moments(xs: ArrayLike<number>): Moments {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = s / n;
  let s2 = 0, s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    s2 += d2;
    s4 += d2 * d2;
  }
  return { n, mean, variance: s2 / (n - 1), m4: s4 / n };
}

/** Asserts |estimate − expected| ≤ Z·se (plus a round-off floor), with a readable message. */
export function within(t: ExecutionContext, estimate: number, expected: number, se: number, label: string): void {
  const tol = Z * se + 1e-12 * (1 + Math.abs(expected));
  const dev = Math.abs(estimate - expected);
  // VIREO_SHOW_Z=1 logs every deviation in standard errors (to spot a wrong SE formula, which would
  // show as deviations that are all tiny or all near the limit).
  if (process.env.VIREO_SHOW_Z) t.log(`${label}: ${se > 0 ? ((estimate - expected) / se).toFixed(2) : "exact"} SE`);
  t.true(
    dev <= tol,
    `${label}: estimate ${estimate} vs expected ${expected}: |Δ| = ${dev.toExponential(3)} = ` +
      `${se > 0 ? (dev / se).toFixed(2) : "∞"} SE (allowed ${Z} SE, SE = ${se.toExponential(3)})`,
  );
}

/**
 * Checks the sample mean and variance of `xs` against the true mean, variance and (when known)
 * fourth central moment; without `mu4` the SE of the variance uses the sample fourth moment.
 */
export function checkMeanVar(t: ExecutionContext, xs: ArrayLike<number>, mean: number, variance: number, label: string, mu4?: number): void {
  const m = moments(xs);
  within(t, m.mean, mean, Math.sqrt(variance / m.n), `${label} mean`);
  // Var(s²) = (μ₄ − σ⁴)/n + 2σ⁴/(n(n − 1)) exactly; with no known μ₄ the sample fourth central
  // moment stands in.
  const fourth = mu4 ?? m.m4;
  const s4 = variance * variance;
  within(t, m.variance, variance, Math.sqrt(Math.max(fourth - s4, 0) / m.n + (2 * s4) / (m.n * (m.n - 1))), `${label} variance`);
}

/** Central fourth moment from the raw moments E[X], E[X²], E[X³], E[X⁴]. */
export function centralFourth(r1: number, r2: number, r3: number, r4: number): number {
  return r4 - 4 * r1 * r3 + 6 * r1 * r1 * r2 - 3 * r1 ** 4;
}

/** Mean, variance and central fourth moment of Beta(a, b), from E[X^r] = Π (a+i)/(a+b+i). */
export function betaMoments(a: number, b: number): { mean: number; variance: number; mu4: number } {
  const raw = [1];
  for (let r = 1; r <= 4; r++) raw.push(raw[r - 1]! * (a + r - 1) / (a + b + r - 1));
  const mean = raw[1]!;
  const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
  return { mean, variance, mu4: centralFourth(raw[1]!, raw[2]!, raw[3]!, raw[4]!) };
}

/** max_i |a_i − b_i| / max_i |b_i|: a norm-relative distance between two vectors. */
export function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return s === 0 ? d : d / s;
}

/** Composite Simpson's rule for ∫_a^b f with an even number of panels. */
export function simpson(f: (x: number) => number, a: number, b: number, panels: number): number {
  const n = panels % 2 === 0 ? panels : panels + 1;
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}
