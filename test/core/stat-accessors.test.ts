/**
 * Named statistics accessors of the vector and matrix families read the right entries: each is
 * checked, for two instances back to back, against the expectation written from the standard
 * parameters (or, for the chains, from the joint Gaussian and brute-force enumeration).
 */
import test from "ava";
import {
  MvNormal, Wishart, Dirichlet, Categorical, NormalWishart, GaussMarkovChain, CategoricalChain, digamma, mvdigamma, type ExponentialFamily,
} from "@vireo/core";

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b));

/** E[T] of instances with the given natural parameters, back to back. */
function statsOf(f: ExponentialFamily, etas: Float64Array[]): Float64Array {
  const out = new Float64Array(etas.length * f.size);
  etas.forEach((eta, i) => f.expectedStats(eta, out.subarray(i * f.size, (i + 1) * f.size)));
  return out;
}

test("MvNormal: ex = μ, exx = Σ + μμᵀ, and the offsets point at them", (t) => {
  const F = MvNormal(2), ps = [{ mean: Float64Array.of(1, -2), covariance: Float64Array.of(2, 0.3, 0.3, 1) }, { mean: Float64Array.of(0.5, 3), covariance: Float64Array.of(1, -0.2, -0.2, 0.5) }];
  const s = statsOf(F, ps.map((p) => F.toNatural(p)));
  ps.forEach((p, i) => {
    for (let j = 0; j < 2; j++) {
      t.true(close(F.ex(s, i, j), p.mean[j]!));
      t.is(s[F.meanOffset(i) + j], F.ex(s, i, j));
      for (let k = 0; k < 2; k++) {
        t.true(close(F.exx(s, i, j, k), p.covariance[j * 2 + k]! + p.mean[j]! * p.mean[k]!));
        t.is(s[F.outerOffset(i) + j * 2 + k], F.exx(s, i, j, k));
      }
    }
  });
});

test("Wishart: ex = νV, elogdet = ψ₂(ν/2) + 2 log 2 + log|V|", (t) => {
  const F = Wishart(2), ps = [{ df: 5, scale: Float64Array.of(1, 0.2, 0.2, 0.5) }, { df: 3.5, scale: Float64Array.of(2, -0.4, -0.4, 1) }];
  const s = statsOf(F, ps.map((p) => F.toNatural(p)));
  ps.forEach((p, i) => {
    const det = p.scale[0]! * p.scale[3]! - p.scale[1]! * p.scale[2]!;
    t.true(close(F.elogdet(s, i), mvdigamma(p.df / 2, 2) + 2 * Math.LN2 + Math.log(det)));
    t.is(s[F.logDetOffset(i)], F.elogdet(s, i));
    for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) {
      t.true(close(F.ex(s, i, j, k), p.df * p.scale[j * 2 + k]!));
      t.is(s[F.matrixOffset(i) + j * 2 + k], F.ex(s, i, j, k));
    }
  });
});

test("Dirichlet: elog = ψ(α_k) − ψ(Σα); Categorical: probability = p_k", (t) => {
  const D = Dirichlet(3), alphas = [Float64Array.of(1, 2, 3), Float64Array.of(0.5, 4, 1.5)];
  const s = statsOf(D, alphas.map((alpha) => D.toNatural({ alpha })));
  alphas.forEach((a, i) => {
    const sum = a[0]! + a[1]! + a[2]!;
    for (let k = 0; k < 3; k++) {
      t.true(close(D.elog(s, i, k), digamma(a[k]!) - digamma(sum)));
      t.is(s[D.offset(i) + k], D.elog(s, i, k));
    }
  });
  const C = Categorical(3), ps = [Float64Array.of(0.2, 0.5, 0.3), Float64Array.of(0.6, 0.1, 0.3)];
  const c = statsOf(C, ps.map((p) => C.toNatural({ p })));
  ps.forEach((p, i) => {
    for (let k = 0; k < 3; k++) {
      t.true(close(C.probability(c, i, k), p[k]!));
      t.is(c[C.offset(i) + k], C.probability(c, i, k));
    }
  });
});

test("NormalWishart: E[Λμ] = νWm, E[μᵀΛμ] = d/β + ν mᵀWm, E[log|Λ|], E[Λ] = νW", (t) => {
  const F = NormalWishart(2);
  const ps = [
    { mean: Float64Array.of(1, -1), precisionScale: 2, df: 4, scale: Float64Array.of(0.5, 0.1, 0.1, 0.3) },
    { mean: Float64Array.of(-0.5, 2), precisionScale: 0.5, df: 6, scale: Float64Array.of(1, -0.3, -0.3, 2) },
  ];
  const s = statsOf(F, ps.map((p) => F.toNatural(p)));
  ps.forEach((p, i) => {
    const W = p.scale, m = p.mean, nu = p.df;
    const Wm = [W[0]! * m[0]! + W[1]! * m[1]!, W[2]! * m[0]! + W[3]! * m[1]!];
    for (let j = 0; j < 2; j++) t.true(close(F.eprecisionTimesMean(s, i, j), nu * Wm[j]!));
    t.true(close(F.equadratic(s, i), 2 / p.precisionScale + nu * (m[0]! * Wm[0]! + m[1]! * Wm[1]!)));
    t.true(close(F.elogdet(s, i), mvdigamma(nu / 2, 2) + 2 * Math.LN2 + Math.log(W[0]! * W[3]! - W[1]! * W[2]!)));
    for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) t.true(close(F.eprecision(s, i, j, k), nu * W[j * 2 + k]!));
  });
});

test("GaussMarkovChain: ex, exx and exxPrevious of a two-step chain equal the joint Gaussian's moments", (t) => {
  // Joint precision [[2, −0.5], [−0.5, 3]] and information h = [1, −1]: rows [h_t, −½Λ_tt, −Λ_{t,t−1}].
  const F = GaussMarkovChain(1), eta = Float64Array.of(1, -1, 0, -1, -1.5, 0.5), s = new Float64Array(6);
  F.expectedStatsRows(eta, s, 2);
  const det = 2 * 3 - 0.25, cov = [3 / det, 0.5 / det, 0.5 / det, 2 / det];
  const mu = [cov[0]! * 1 + cov[1]! * -1, cov[2]! * 1 + cov[3]! * -1];
  for (let r = 0; r < 2; r++) {
    t.true(close(F.ex(s, r, 0), mu[r]!));
    t.is(s[F.meanOffset(r)], F.ex(s, r, 0));
    t.true(close(F.exx(s, r, 0, 0), cov[r * 3]! + mu[r]! * mu[r]!));
    t.is(s[F.outerOffset(r)], F.exx(s, r, 0, 0));
  }
  t.true(close(F.exxPrevious(s, 1, 0, 0), cov[1]! + mu[0]! * mu[1]!));
  t.is(s[F.lagOuterOffset(1)], F.exxPrevious(s, 1, 0, 0));
});

test("CategoricalChain: marginal and pairwise (from z_{t−1} to z_t) equal brute-force enumeration", (t) => {
  const K = 2, F = CategoricalChain(K);
  const psi = [[0.3, -0.2], [-0.5, 0.4]], phi = [0.7, -0.1, 0.2, 0.9]; // Φ_1 at from·K + to
  const eta = Float64Array.of(psi[0]![0]!, psi[0]![1]!, 0, 0, 0, 0, psi[1]![0]!, psi[1]![1]!, ...phi), s = new Float64Array(eta.length);
  F.expectedStatsRows(eta, s, 2);
  const joint = [0, 1].flatMap((a) => [0, 1].map((b) => Math.exp(psi[0]![a]! + psi[1]![b]! + phi[a * K + b]!)));
  const Z = joint.reduce((x, y) => x + y);
  for (let a = 0; a < K; a++) {
    t.true(close(F.marginal(s, 0, a), (joint[a * K]! + joint[a * K + 1]!) / Z));
    t.true(close(F.marginal(s, 1, a), (joint[a]! + joint[K + a]!) / Z));
    for (let b = 0; b < K; b++) {
      t.true(close(F.pairwise(s, 1, a, b), joint[a * K + b]! / Z));
      t.is(s[F.pairwiseOffset(1) + a * K + b], F.pairwise(s, 1, a, b));
    }
  }
  t.is(s[F.marginalOffset(1)], F.marginal(s, 1, 0));
});
