/**
 * A data-driven start for the coefficients w of a generalised linear node: the Laplace
 * approximation of the likelihood at its maximum, found by iteratively reweighted least squares
 * (the start glm() uses). Row n's predictor starts at the link of its own response (for Poisson-log,
 * a_n = log(y_n + ½), so the intercept lands near the log of the mean count); each IRLS step solves
 *   (Σ h_n x_n x_nᵀ + εI) w = Σ h_n x_n z_n,   z_n = a_n + g_n / h_n,
 * with g_n = ∂ log f/∂a and h_n = −∂² log f/∂a² at a_n (from the node's Gaussian expectation at
 * variance 0, where ∂E/∂v = ½ ∂²/∂a²). The message at the maximum w* is the node's ordinary
 * message for a point mass q(w) = δ(w*): the second-order expansion of the log-likelihood there.
 * Started from it, the damped conjugate-computation updates begin next to the posterior instead of
 * taking a first step from w = 0 that overshoots by about the mean count.
 */
import { choleskyInto, choleskySolveInPlace } from "@vireo/core";
import type { NodeContext, MessageRule } from "../contract/node.js";
import { weightAt, instanceOf } from "../contract/node.js";
import type { GaussianExpectation } from "./gauss-hermite.js";

/** IRLS steps at most; the Poisson and logistic likelihoods converge in well under 20. */
const MAX_STEPS = 30;

/**
 * The start rule for edge w. Falls back to `rule` (the message at the current q) when w has more
 * than one instance (mixtures, indexed coefficients) or the weighted least squares is singular.
 */
export function irlsStart(E: GaussianExpectation, initialPredictor: (y: number) => number, rule: MessageRule): MessageRule {
  return (ctx: NodeContext, out: Float64Array): void => {
    const { out: y, w, x } = ctx.edges;
    if (w!.count !== 1 || w!.layout !== "broadcast" || ctx.rows === 0) return rule(ctx, out);
    const D = w!.family!.dim, N = ctx.rows, xs = x!.values, ys = y!.values;
    const a = new Float64Array(N), g = new Float64Array(3), A = new Float64Array(D * D), L = new Float64Array(D * D), b = new Float64Array(D);
    let coef: Float64Array = new Float64Array(D);
    for (let n = 0; n < N; n++) a[n] = initialPredictor(ys[instanceOf(y!, n)]!);
    for (let step = 0; step < MAX_STEPS; step++) {
      A.fill(0);
      b.fill(0);
      for (let n = 0; n < N; n++) {
        E.withGradient(ys[instanceOf(y!, n)]!, a[n]!, 0, 0, 0, g);
        const h = Math.max(-2 * g[2]!, 1e-12), z = a[n]! + g[1]! / h, wn = weightAt(ctx.weights, n) * h, xo = instanceOf(x!, n) * D;
        for (let i = 0; i < D; i++) {
          const xi = xs[xo + i]!;
          b[i] += wn * z * xi;
          for (let j = 0; j < D; j++) A[i * D + j] += wn * xi * xs[xo + j]!;
        }
      }
      let trace = 0;
      for (let i = 0; i < D; i++) trace += A[i * D + i]!;
      for (let i = 0; i < D; i++) A[i * D + i] += 1e-10 * (trace / D) + 1e-12;
      try {
        choleskyInto(A, D, L, "IRLS start");
      } catch {
        return rule(ctx, out);
      }
      const next = choleskySolveInPlace(L, D, b.slice());
      if (!next.every(Number.isFinite)) return rule(ctx, out);
      let change = 0, size = 0;
      for (let i = 0; i < D; i++) {
        change = Math.max(change, Math.abs(next[i]! - coef[i]!));
        size = Math.max(size, Math.abs(next[i]!));
      }
      coef = next;
      for (let n = 0; n < N; n++) {
        const xo = instanceOf(x!, n) * D;
        let s = 0;
        for (let i = 0; i < D; i++) s += xs[xo + i]! * coef[i]!;
        a[n] = s;
      }
      if (change <= 1e-9 * (1 + size)) break;
    }
    // The ordinary message, evaluated for a point mass at the maximum (predictor mean a_n, variance 0).
    for (let n = 0; n < N; n++) {
      E.withGradient(ys[instanceOf(y!, n)]!, a[n]!, 0, 0, 0, g);
      const wn = weightAt(ctx.weights, n), xo = instanceOf(x!, n) * D;
      const lin = wn * (g[1]! - 2 * g[2]! * a[n]!), quad = wn * g[2]!;
      for (let i = 0; i < D; i++) {
        const xi = xs[xo + i]!;
        out[i] += lin * xi;
        const row = D + i * D, c = quad * xi;
        for (let j = 0; j < D; j++) out[row + j] += c * xs[xo + j]!;
      }
    }
  };
}
