/**
 * Every time-series node passes the message-vs-energy verification on every parameter edge and on
 * its message to the chain, at realistic chain statistics: smoothed moments from the Kalman filter
 * and RTS smoother, marginals and transition counts from forward–backward, on small random
 * problems drawn with a seeded Generator. Each check compares the node's message with central
 * differences of the node's own energy in the edge's expected statistics (verifyStructuredRule).
 */
import test, { type ExecutionContext } from "ava";
import {
  Generator, Gamma, Wishart, Dirichlet, Normal, sampleStandardNormal, sampleGamma, sampleWishart, sampleDirichlet,
  sampleCategorical, sampleMvNormalCov, kalmanFilter, rtsSmoother, allocateKalmanBuffers, allocateSmootherBuffers,
  forwardBackward, ForwardBackwardBuffers, spdInverseDense, spdLogDetDense, LOG_2PI, VireoError,
  type SmootherBuffers, type GaussianChainParams,
} from "@vireo/core";
import {
  LinearGaussianTransition, LinearGaussianEmission, CategoricalTransition, CategoricalEmission, GaussianEmission,
  precisionFromStats, expectPrecision, effectiveCovariance, expectedLogRows, subNormalisedRows,
  verifyStructuredRule, assertStructuredRuleVerified, type NoisePrecisionKind, type StructuredRule, type PrecisionExpectations,
} from "@vireo/nodes";

const TOL = 1e-6;
const rng = new Generator(73104);

function eye(n: number, s = 1): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = s;
  return a;
}
const normals = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * sampleStandardNormal(rng));

/** Runs the check, logs the worst error, and fails the test unless the rule passes non-vacuously. */
function verified(t: ExecutionContext, rule: StructuredRule): void {
  const c = verifyStructuredRule({ tolerance: TOL, ...rule });
  t.log(`${c.edge}: ${c.gradient.length} stats, max |Δ| ${c.maxAbsError.toExponential(2)}, max relative ${c.maxRelError.toExponential(2)}`);
  t.true(c.passed, `${c.edge}: entry ${c.worst} message ${c.message[c.worst]} vs gradient ${c.gradient[c.worst]} (relative ${c.maxRelError})`);
  // A check against an energy that does not depend on the statistics would pass vacuously.
  t.true(c.gradient.some((g) => Math.abs(g) > 1e-3), `${c.edge}: the energy does not depend on the edge's statistics`);
}

/** Expected statistics of a random proper q(Λ): Gamma [E log λ, E λ] or Wishart(n) [E log|Λ|, vec E Λ]. */
function randomPrecisionStats(kind: NoisePrecisionKind, n: number): Float64Array {
  if (kind === "Gamma") return Gamma.expectedStats(Gamma.toNatural({ shape: 2 + sampleGamma(rng, 3), rate: 0.5 + sampleGamma(rng, 2) }));
  const W = Wishart(n);
  return W.expectedStats(W.toNatural({ df: n + 2 + sampleGamma(rng, 3), scale: sampleWishart(rng, n + 3, eye(n, 0.3), n) }));
}

// ---------------------------------------------------------------------------------------------
// Linear Gaussian state-space model: d = 2 states, p = 3 observations, T = 15 steps, with a
// non-symmetric A so that the orientation of the cross-covariances matters.

const d = 2, p = 3, T = 15;
const lg = (() => {
  const A = Float64Array.of(0.9, 0.35, -0.25, 0.8);
  for (let i = 0; i < d * d; i++) A[i] = A[i]! + 0.05 * sampleStandardNormal(rng);
  const C = normals(p * d);
  const Q = sampleWishart(rng, d + 4, eye(d, 0.1), d), R = sampleWishart(rng, p + 4, eye(p, 0.15), p);
  const m0 = normals(d), P0 = eye(d);
  const par: GaussianChainParams = { d, p, A, Q, C, R, m0, P0 };
  const y = new Float64Array(T * p);
  let x = sampleMvNormalCov(rng, m0, P0);
  for (let t = 0; t < T; t++) {
    if (t > 0) {
      const ax = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) ax[i] = ax[i]! + A[i * d + k]! * x[k]!;
      x = sampleMvNormalCov(rng, ax, Q);
    }
    const cx = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let k = 0; k < d; k++) cx[a] = cx[a]! + C[a * d + k]! * x[k]!;
    y.set(sampleMvNormalCov(rng, cx, R), t * p);
  }
  const filt = allocateKalmanBuffers(T, d), s = allocateSmootherBuffers(T, d);
  kalmanFilter(par, y, T, filt);
  rtsSmoother(par, T, filt, s);
  return { A, C, y, s };
})();

/**
 * The chain's expected sufficient statistics as moments, the coordinates in which a Gaussian
 * factor's message is linear: [E x_t (T·d) | E x_t x_tᵀ (T·d²) | E x_t x_{t−1}ᵀ (T·d², zero at t = 0)].
 */
function chainMoments(s: SmootherBuffers): Float64Array {
  const dd = d * d, out = new Float64Array(T * d + 2 * T * dd);
  const { smoothedMean: m, smoothedCov: P, crossCov: X } = s;
  out.set(m.subarray(0, T * d), 0);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        out[T * d + t * dd + i * d + j] = P[t * dd + i * d + j]! + m[t * d + i]! * m[t * d + j]!;
        if (t > 0) out[T * d + T * dd + t * dd + i * d + j] = X[t * dd + i * d + j]! + m[t * d + i]! * m[(t - 1) * d + j]!;
      }
    }
  }
  return out;
}

/** The smoother's view (means, covariances, Cov(x_t, x_{t−1})) of chain moments. */
function smootherFromMoments(st: Float64Array): SmootherBuffers {
  const dd = d * d, s = allocateSmootherBuffers(T, d);
  s.smoothedMean.set(st.subarray(0, T * d));
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        s.smoothedCov[t * dd + i * d + j] = st[T * d + t * dd + i * d + j]! - st[t * d + i]! * st[t * d + j]!;
        if (t > 0) s.crossCov[t * dd + i * d + j] = st[T * d + T * dd + t * dd + i * d + j]! - st[t * d + i]! * st[(t - 1) * d + j]!;
      }
    }
  }
  return s;
}

/** The Gaussian factor the VB Kalman filter uses for a noise term: precision E[Λ]⁻¹⁻¹ and its log-scale. */
function effectiveFactor(pe: PrecisionExpectations): { precision: Float64Array; logNorm: number } {
  const n = pe.n, cov = new Float64Array(n * n);
  const corr = effectiveCovariance(pe, cov);
  return { precision: spdInverseDense(cov, n), logNorm: -0.5 * n * LOG_2PI - 0.5 * spdLogDetDense(cov, n) + corr };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

for (const kind of ["Gamma", "Wishart"] as const) {
  test(`LinearGaussianTransition: message to the ${kind} transition precision`, (t) => {
    verified(t, {
      edge: `LinearGaussianTransition.precision (${kind})`,
      stats: randomPrecisionStats(kind, d),
      energy: (st) => LinearGaussianTransition.expectedLogFactor(lg.s, T, lg.A, precisionFromStats(kind, d, st)),
      message: (out) => LinearGaussianTransition.precisionMessage(kind, lg.s, T, lg.A, out),
    });
  });

  test(`LinearGaussianEmission: message to the ${kind} observation precision`, (t) => {
    verified(t, {
      edge: `LinearGaussianEmission.precision (${kind})`,
      stats: randomPrecisionStats(kind, p),
      energy: (st) => LinearGaussianEmission.expectedLogFactor(lg.y, p, lg.s, T, lg.C, precisionFromStats(kind, p, st)),
      message: (out) => LinearGaussianEmission.precisionMessage(kind, lg.y, p, lg.s, T, lg.C, out),
    });
  });

  test(`LinearGaussianTransition: message to the chain (effective Gaussian factor, ${kind} precision)`, (t) => {
    const pe = precisionFromStats(kind, d, randomPrecisionStats(kind, d));
    const { precision: L, logNorm } = effectiveFactor(pe);
    const A = lg.A, dd = d * d;
    // log N(x_t; A x_{t−1}, E[Λ]⁻¹): −½ x_tᵀ L x_t + x_tᵀ L A x_{t−1} − ½ x_{t−1}ᵀ Aᵀ L A x_{t−1}.
    const LA = new Float64Array(dd), ALA = new Float64Array(dd);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) LA[i * d + j] = LA[i * d + j]! + L[i * d + k]! * A[k * d + j]!;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) ALA[i * d + j] = ALA[i * d + j]! + A[k * d + i]! * LA[k * d + j]!;
    const message = (out: Float64Array) => {
      for (let s = 0; s < T; s++) {
        for (let i = 0; i < dd; i++) {
          if (s > 0) out[T * d + s * dd + i] = out[T * d + s * dd + i]! - 0.5 * L[i]!;
          if (s < T - 1) out[T * d + s * dd + i] = out[T * d + s * dd + i]! - 0.5 * ALA[i]!;
          if (s > 0) out[T * d + T * dd + s * dd + i] = out[T * d + T * dd + s * dd + i]! + LA[i]!;
        }
      }
    };
    const stats = chainMoments(lg.s);
    const energy = (st: Float64Array) => LinearGaussianTransition.expectedLogFactor(smootherFromMoments(st), T, A, pe);
    verified(t, { edge: `LinearGaussianTransition.chain (${kind})`, stats, energy, message });
    // The factor is exactly linear in the moments, and its constant is the effective log-normaliser.
    const msg = new Float64Array(stats.length);
    message(msg);
    const value = energy(stats), predicted = dot(msg, stats) + (T - 1) * logNorm;
    t.true(Math.abs(value - predicted) <= 1e-9 * Math.max(1, Math.abs(value)), `energy ${value} vs ⟨message, stats⟩ + constant ${predicted}`);
  });

  test(`LinearGaussianEmission: message to the chain (effective Gaussian factor, ${kind} precision)`, (t) => {
    const pe = precisionFromStats(kind, p, randomPrecisionStats(kind, p));
    const { precision: L, logNorm } = effectiveFactor(pe);
    const { C, y } = lg, dd = d * d;
    // log N(y_t; C x_t, E[Λ]⁻¹): −½ y_tᵀ L y_t + y_tᵀ L C x_t − ½ x_tᵀ Cᵀ L C x_t.
    const LC = new Float64Array(p * d), CLC = new Float64Array(dd);
    for (let a = 0; a < p; a++) for (let j = 0; j < d; j++) for (let b = 0; b < p; b++) LC[a * d + j] = LC[a * d + j]! + L[a * p + b]! * C[b * d + j]!;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let a = 0; a < p; a++) CLC[i * d + j] = CLC[i * d + j]! + C[a * d + i]! * LC[a * d + j]!;
    let yLy = 0;
    const message = (out: Float64Array) => {
      for (let s = 0; s < T; s++) {
        for (let j = 0; j < d; j++) for (let a = 0; a < p; a++) out[s * d + j] = out[s * d + j]! + y[s * p + a]! * LC[a * d + j]!;
        for (let i = 0; i < dd; i++) out[T * d + s * dd + i] = out[T * d + s * dd + i]! - 0.5 * CLC[i]!;
      }
    };
    for (let s = 0; s < T; s++) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) yLy += y[s * p + a]! * L[a * p + b]! * y[s * p + b]!;
    const stats = chainMoments(lg.s);
    const energy = (st: Float64Array) => LinearGaussianEmission.expectedLogFactor(y, p, smootherFromMoments(st), T, C, pe);
    verified(t, { edge: `LinearGaussianEmission.chain (${kind})`, stats, energy, message });
    const msg = new Float64Array(stats.length);
    message(msg);
    const value = energy(stats), predicted = dot(msg, stats) - 0.5 * yLy + T * logNorm;
    t.true(Math.abs(value - predicted) <= 1e-9 * Math.max(1, Math.abs(value)), `energy ${value} vs ⟨message, stats⟩ + constant ${predicted}`);
  });
}

test("precisionFromStats agrees with expectPrecision and rejects wrong lengths", (t) => {
  for (const [kind, n] of [["Gamma", 3], ["Wishart", 2]] as const) {
    const eta = kind === "Gamma" ? Gamma.toNatural({ shape: 3, rate: 2 }) : Wishart(n).toNatural({ df: 5, scale: eye(n, 0.4) });
    const a = expectPrecision(kind, n, eta), b = precisionFromStats(kind, n, kind === "Gamma" ? Gamma.expectedStats(eta) : Wishart(n).expectedStats(eta));
    t.is(a.meanLogDet, b.meanLogDet);
    t.deepEqual(Array.from(a.mean), Array.from(b.mean));
  }
  const e = t.throws(() => precisionFromStats("Wishart", 2, new Float64Array(4)), { instanceOf: VireoError });
  t.is(e.code, "DIMENSION_MISMATCH");
});

// ---------------------------------------------------------------------------------------------
// Hidden Markov models: K = 3 states, M = 4 symbols or scalar Gaussian emissions, T = 40 steps.
// Statistics come from forward–backward under random (not fitted) variational posteriors.

const K = 3, M = 4, TH = 40;

function randomDirichletRows(rows: number, n: number): Float64Array {
  const eta = new Float64Array(rows * n), fam = Dirichlet(n);
  for (let r = 0; r < rows; r++) eta.set(fam.toNatural({ alpha: Float64Array.from({ length: n }, () => 0.5 + sampleGamma(rng, 2)) }), r * n);
  return eta;
}

/** Simulates a state path from random π and A (rows drawn from a Dirichlet). */
function simulateStates(): Int32Array {
  const pi = sampleDirichlet(rng, new Float64Array(K).fill(2));
  const A = new Float64Array(K * K);
  for (let i = 0; i < K; i++) A.set(sampleDirichlet(rng, Float64Array.from({ length: K }, (_, j) => (i === j ? 8 : 1))), i * K);
  const z = new Int32Array(TH);
  z[0] = sampleCategorical(rng, pi);
  for (let t = 1; t < TH; t++) z[t] = sampleCategorical(rng, A, z[t - 1]! * K, K);
  return z;
}

const elogPi = Dirichlet(K).expectedStats(randomDirichletRows(1, K));
const elogA = expectedLogRows(randomDirichletRows(K, K), K, K);

function runForwardBackward(logEmit: Float64Array): ForwardBackwardBuffers {
  const fb = new ForwardBackwardBuffers(TH, K);
  forwardBackward(subNormalisedRows(elogPi), subNormalisedRows(elogA), logEmit, fb);
  return fb;
}

const cat = (() => {
  const z = simulateStates();
  const B = new Float64Array(K * M);
  for (let k = 0; k < K; k++) B.set(sampleDirichlet(rng, new Float64Array(M).fill(1.5)), k * M);
  const y = Int32Array.from(z, (k) => sampleCategorical(rng, B, k * M, M));
  const elogB = expectedLogRows(randomDirichletRows(K, M), K, M);
  const logEmit = new Float64Array(TH * K);
  CategoricalEmission.logEmissions(y, elogB, K, M, logEmit);
  return { y, elogB, fb: runForwardBackward(logEmit) };
})();

test("CategoricalTransition: message to the Dirichlet rows of the transition matrix", (t) => {
  const xi = cat.fb.transitionCounts;
  verified(t, {
    edge: "CategoricalTransition.matrix",
    stats: elogA,
    energy: (st) => CategoricalTransition.expectedLogFactor(xi, st, K),
    message: (out) => CategoricalTransition.matrixMessage(xi, K, out),
  });
});

test("CategoricalTransition (one row): message to the Dirichlet initial distribution", (t) => {
  const g0 = cat.fb.marginals.slice(0, K);
  verified(t, {
    edge: "CategoricalTransition.initial",
    stats: elogPi,
    energy: (st) => CategoricalTransition.expectedLogFactor(g0, st, K, 1),
    message: (out) => CategoricalTransition.matrixMessage(g0, K, out, 1),
  });
  t.is(t.throws(() => CategoricalTransition.expectedLogFactor(g0, elogA, K, 1), { instanceOf: VireoError }).code, "DIMENSION_MISMATCH");
});

test("CategoricalTransition: message to the chain's pairwise statistics (the sub-normalised transition weights)", (t) => {
  const weights = subNormalisedRows(elogA);
  verified(t, {
    edge: "CategoricalTransition.chain",
    stats: cat.fb.transitionCounts.slice(),
    energy: (st) => CategoricalTransition.expectedLogFactor(st, elogA, K),
    message: (out) => {
      for (let i = 0; i < K * K; i++) out[i] = Math.log(weights[i]!);
    },
  });
});

test("CategoricalEmission: message to the Dirichlet rows of the emission matrix", (t) => {
  const { y, elogB, fb } = cat;
  verified(t, {
    edge: "CategoricalEmission.matrix",
    stats: elogB,
    energy: (st) => CategoricalEmission.expectedLogFactor(y, fb.marginals, st, K, M),
    message: (out) => CategoricalEmission.matrixMessage(y, fb.marginals, K, M, out),
  });
});

test("CategoricalEmission: message to the chain (log emission weights in the marginals γ_tk)", (t) => {
  const { y, elogB, fb } = cat;
  verified(t, {
    edge: "CategoricalEmission.chain",
    stats: fb.marginals.slice(),
    energy: (st) => CategoricalEmission.expectedLogFactor(y, st, elogB, K, M),
    message: (out) => CategoricalEmission.logEmissions(y, elogB, K, M, out),
  });
});

const gauss = (() => {
  const z = simulateStates();
  const mu = [-2, 0.5, 3], sd = [0.6, 1, 0.4];
  const y = Float64Array.from(z, (k) => mu[k]! + sd[k]! * sampleStandardNormal(rng));
  const meanStats = new Float64Array(2 * K), precisionStats = new Float64Array(2 * K);
  for (let k = 0; k < K; k++) {
    meanStats.set(Normal.expectedStats(Normal.toNatural({ mean: mu[k]! + 0.3 * sampleStandardNormal(rng), variance: 0.05 + 0.2 * sampleGamma(rng, 2) })), 2 * k);
    precisionStats.set(Gamma.expectedStats(Gamma.toNatural({ shape: 2 + sampleGamma(rng, 3), rate: 1 + sampleGamma(rng, 2) })), 2 * k);
  }
  const e = GaussianEmission.expectationsFromStats(meanStats, precisionStats, K);
  const logEmit = new Float64Array(TH * K);
  GaussianEmission.logEmissions(y, e, K, logEmit);
  return { y, meanStats, precisionStats, e, logEmit, fb: runForwardBackward(logEmit) };
})();

test("GaussianEmission: message to the per-state means (Normal [E μ, E μ²])", (t) => {
  const { y, meanStats, precisionStats, e, fb } = gauss;
  verified(t, {
    edge: "GaussianEmission.mean",
    stats: meanStats,
    energy: (st) => GaussianEmission.expectedLogFactorFrom(y, fb.marginals, GaussianEmission.expectationsFromStats(st, precisionStats, K), K),
    message: (out) => GaussianEmission.meanMessage(y, fb.marginals, e, K, out),
  });
});

test("GaussianEmission: message to the per-state precisions (Gamma [E log τ, E τ])", (t) => {
  const { y, meanStats, precisionStats, e, fb } = gauss;
  verified(t, {
    edge: "GaussianEmission.precision",
    stats: precisionStats,
    energy: (st) => GaussianEmission.expectedLogFactorFrom(y, fb.marginals, GaussianEmission.expectationsFromStats(meanStats, st, K), K),
    message: (out) => GaussianEmission.precisionMessage(y, fb.marginals, e, K, out),
  });
});

test("GaussianEmission: message to the chain (log emission weights in the marginals γ_tk)", (t) => {
  const { y, e, fb, logEmit } = gauss;
  verified(t, {
    edge: "GaussianEmission.chain",
    stats: fb.marginals.slice(),
    energy: (st) => GaussianEmission.expectedLogFactorFrom(y, st, e, K),
    message: (out) => GaussianEmission.logEmissions(y, e, K, out),
  });
  // The engine's form of the energy (from precomputed log emissions) is the same number.
  const a = GaussianEmission.expectedLogFactor(fb.marginals, logEmit, TH, K), b = GaussianEmission.expectedLogFactorFrom(y, fb.marginals, e, K);
  t.true(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)), `${a} vs ${b}`);
});

// ---------------------------------------------------------------------------------------------
// The check must be able to fail: deliberately broken rules, each a plausible mistake.

test("broken rule: an isotropic Gamma precision message that forgets the dimension fails", (t) => {
  const stats = randomPrecisionStats("Gamma", p);
  const c = verifyStructuredRule({
    edge: "broken LinearGaussianEmission.precision",
    stats,
    energy: (st) => LinearGaussianEmission.expectedLogFactor(lg.y, p, lg.s, T, lg.C, precisionFromStats("Gamma", p, st)),
    // ½·count instead of ½·n·count on E[log λ]: right for n = 1, wrong for p = 3.
    message: (out) => {
      const S = LinearGaussianEmission.scatter(lg.y, p, lg.s, T, lg.C, new Float64Array(p * p));
      let tr = 0;
      for (let a = 0; a < p; a++) tr += S[a * p + a]!;
      out[0] = out[0]! + 0.5 * T;
      out[1] = out[1]! - 0.5 * tr;
    },
  });
  t.false(c.passed);
  t.is(c.worst, 0);
  t.true(c.maxRelError > 0.5);
});

test("broken rule: a transition precision message with Cov(x_{t−1}, x_t) in place of Cov(x_t, x_{t−1}) fails", (t) => {
  const dd = d * d, s = lg.s;
  const swapped: SmootherBuffers = { ...s, crossCov: s.crossCov.slice() };
  for (let u = 0; u < T; u++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) swapped.crossCov[u * dd + i * d + j] = s.crossCov[u * dd + j * d + i]!;
  const c = verifyStructuredRule({
    edge: "broken LinearGaussianTransition.precision",
    stats: randomPrecisionStats("Wishart", d),
    energy: (st) => LinearGaussianTransition.expectedLogFactor(s, T, lg.A, precisionFromStats("Wishart", d, st)),
    message: (out) => LinearGaussianTransition.precisionMessage("Wishart", swapped, T, lg.A, out),
    tolerance: TOL,
  });
  t.false(c.passed, `relative error ${c.maxRelError}`);
  t.true(c.worst >= 1);
});

test("broken rule: log emission weights without the Gaussian normaliser fail (and assert throws INVALID_NODE)", (t) => {
  // Dropping −½ log 2π leaves the forward–backward posteriors unchanged but breaks the bound.
  const { y, e, fb } = gauss;
  const rule: StructuredRule = {
    edge: "broken GaussianEmission.chain",
    stats: fb.marginals.slice(),
    energy: (st) => GaussianEmission.expectedLogFactorFrom(y, st, e, K),
    message: (out) => {
      GaussianEmission.logEmissions(y, e, K, out);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + 0.5 * LOG_2PI;
    },
  };
  t.false(verifyStructuredRule(rule).passed);
  const err = t.throws(() => assertStructuredRuleVerified(rule), { instanceOf: VireoError });
  t.is(err.code, "INVALID_NODE");
  t.regex(err.message, /broken GaussianEmission\.chain/);
});

test("verifyStructuredRule: NaN messages fail, bad inputs raise INVALID_OPTION, passing rules return the report", (t) => {
  const stats = Float64Array.of(0.3, -1.2, 2);
  const energy = (st: Float64Array) => 2 * st[0]! - st[1]! + 0.5 * st[2]!;
  const good = assertStructuredRuleVerified({ stats, energy, message: (out) => out.set([2, -1, 0.5]) });
  t.true(good.passed);
  t.true(good.maxRelError < 1e-9);
  t.deepEqual(Array.from(stats), [0.3, -1.2, 2]);
  const nan = verifyStructuredRule({ stats, energy, message: (out) => out.set([2, NaN, 0.5]) });
  t.false(nan.passed);
  t.is(nan.worst, 1);
  for (const bad of [
    { stats: new Float64Array(0), energy, message: () => {} },
    { stats, energy: () => NaN, message: () => {} },
    { stats, energy, message: () => {}, step: 0 },
  ]) {
    t.is(t.throws(() => verifyStructuredRule(bad), { instanceOf: VireoError }).code, "INVALID_OPTION");
  }
});
