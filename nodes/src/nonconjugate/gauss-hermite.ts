/**
 * Gauss–Hermite quadrature for Gaussian expectations: E[h(a)], a ~ N(m, v), ≈ Σ_k p_k h(m + √v z_k).
 * Non-conjugate nodes evaluate their 1-D expected log-factor this way. Quadrature is deterministic,
 * so E_q[log f] is a smooth function of q and the node's message can be its exact gradient: the
 * ELBO the engine reports and the messages it follows agree (verifyNode passes to round-off).
 */
import { VireoError } from "@vireo/core";

/** Nodes z_k and weights p_k (Σ p_k = 1) for expectations under the standard normal. */
export interface GaussHermiteRule {
  readonly points: Float64Array;
  readonly weights: Float64Array;
}

const cache = new Map<number, GaussHermiteRule>();

/**
 * The n-point rule, computed once per n by Newton's method on the orthonormal Hermite recurrence
 * (the root guesses of Numerical Recipes' gauher), then rescaled from weight e^{−x²} to N(0, 1).
 */
export function gaussHermite(n: number): GaussHermiteRule {
  if (!(Number.isInteger(n) && n >= 2 && n <= 100)) {
    throw new VireoError("INVALID_OPTION", `Gauss–Hermite quadrature: the number of points must be an integer in [2, 100], got ${n}.`, { parameter: "points" });
  }
  const hit = cache.get(n);
  if (hit) return hit;
  const x = new Float64Array(n), w = new Float64Array(n);
  const PIM4 = Math.pow(Math.PI, -0.25);
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -0.16667);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0]!;
    else if (i === 3) z = 1.91 * z - 0.91 * x[1]!;
    else z = 2 * z - x[i - 2]!;
    let pp = 0, converged = false;
    for (let it = 0; it < 100 && !converged; it++) {
      let p1 = PIM4, p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const step = p1 / pp;
      z -= step;
      converged = Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z));
    }
    if (!converged) throw new VireoError("NUMERICAL_FAILURE", `Gauss–Hermite quadrature: Newton's method did not converge for root ${i} of ${n}.`);
    x[i] = z;
    x[n - 1 - i] = -z;
    w[i] = w[n - 1 - i] = 2 / (pp * pp);
  }
  const rule: GaussHermiteRule = {
    points: x.map((v) => Math.SQRT2 * v),
    weights: w.map((v) => v / Math.sqrt(Math.PI)),
  };
  cache.set(n, rule);
  return rule;
}

/**
 * A scalar log-likelihood log f(a; y, c1, c2) of a Gaussian argument a with known data y and up to
 * two known parameters, with its first two derivatives in a. Plain functions of numbers: the hot
 * loop makes no closure per row.
 */
export interface ScalarLogLik {
  f(a: number, y: number, c1: number, c2: number): number;
  d1(a: number, y: number, c1: number, c2: number): number;
  d2(a: number, y: number, c1: number, c2: number): number;
}

/**
 * Writes [E h(a), ∂/∂m, ∂/∂v] of the quadrature estimate for a ~ N(m, v), h = lik.f(·; y, c1, c2),
 * into out[0..2]. ∂/∂v is taken as Σ p_k h'(a_k) z_k / (2√v): the exact derivative of the quadrature
 * sum (not the Price form ½E[h''], which differs by the quadrature error), so messages are the
 * true gradient of the reported energy. At v = 0 the two coincide and ½h''(m) is used.
 */
export function expectWithGradient(
  rule: GaussHermiteRule, m: number, v: number, lik: ScalarLogLik, y: number, c1: number, c2: number, out: Float64Array,
): void {
  if (!(v > 0)) {
    out[0] = lik.f(m, y, c1, c2);
    out[1] = lik.d1(m, y, c1, c2);
    out[2] = 0.5 * lik.d2(m, y, c1, c2);
    return;
  }
  const sd = Math.sqrt(v), z = rule.points, p = rule.weights;
  let e = 0, gm = 0, gz = 0;
  for (let k = 0; k < z.length; k++) {
    const a = m + sd * z[k]!, d = lik.d1(a, y, c1, c2);
    e += p[k]! * lik.f(a, y, c1, c2);
    gm += p[k]! * d;
    gz += p[k]! * d * z[k]!;
  }
  out[0] = e;
  out[1] = gm;
  out[2] = gz / (2 * sd);
}

/** E h(a) alone, for energies (no derivatives). */
export function expectOnly(rule: GaussHermiteRule, m: number, v: number, lik: ScalarLogLik, y: number, c1: number, c2: number): number {
  if (!(v > 0)) return lik.f(m, y, c1, c2);
  const sd = Math.sqrt(v), z = rule.points, p = rule.weights;
  let e = 0;
  for (let k = 0; k < z.length; k++) e += p[k]! * lik.f(m + sd * z[k]!, y, c1, c2);
  return e;
}

/** E_q[log f] of a Gaussian argument and its gradient in (mean, variance): what a node needs. */
export interface GaussianExpectation {
  /** [E log f(a), ∂/∂m, ∂/∂v] for a ~ N(m, v) into out[0..2]. */
  withGradient(y: number, m: number, v: number, c1: number, c2: number, out: Float64Array): void;
  /** E log f(a) alone. */
  value(y: number, m: number, v: number, c1: number, c2: number): number;
}

/** The quadrature-based GaussianExpectation of a scalar log-likelihood with an n-point rule. */
export function quadratureExpectation(lik: ScalarLogLik, points: number): GaussianExpectation {
  const rule = gaussHermite(points);
  return {
    withGradient: (y, m, v, c1, c2, out) => expectWithGradient(rule, m, v, lik, y, c1, c2, out),
    value: (y, m, v, c1, c2) => expectOnly(rule, m, v, lik, y, c1, c2),
  };
}

/** Checks a node type's damping option: a CVI step size in (0, 1]. */
export function checkDamping(damping: number, node: string): number {
  if (!(typeof damping === "number" && damping > 0 && damping <= 1)) {
    throw new VireoError("INVALID_OPTION", `${node}: damping (the CVI step size) must be in (0, 1], got ${damping}.`, { parameter: "damping", node });
  }
  return damping;
}
