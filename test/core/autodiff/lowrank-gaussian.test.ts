/**
 * The low-rank-plus-diagonal Gaussian family against dense references: entropy = ½ log det(2πe Σ)
 * with Σ = BBᵀ + diag(σ²) formed densely, log q against the dense Gaussian density, the score
 * against central differences of log q, tape gradients of entropy and reparameterised draws by
 * finite differences, and the sample covariance of draws within 5 SE.
 */
import test from "ava";
import { Generator, Tape, checkGradient, lowRankGaussian, spdLogDetDense, spdInverseDense, LOG_2PI } from "@vireo/core";

const d = 4, r = 2;
const fam = lowRankGaussian(d, { rank: r });
const lam = Float64Array.from([0.3, -0.2, 0.5, 1.0, -0.3, 0.1, 0.2, -0.4, 0.5, -0.2, 0.3, 0.8, -0.6, 0.1, 0.4, 0.25]);

test("entropy and log density equal the dense Gaussian formulas", (t) => {
  t.is(fam.nParams, lam.length);
  const S = fam.covariance(lam), P = spdInverseDense(S, d), logDet = spdLogDetDense(S, d);
  const tape = new Tape();
  const h = fam.entropy(fam.prepare(tape.constant(lam))).value[0]!;
  t.true(Math.abs(h - 0.5 * (logDet + d * (1 + LOG_2PI))) < 1e-12);
  const z = Float64Array.from([0.1, 0.7, -0.4, 1.3]);
  let q = 0;
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) q += (z[i]! - lam[i]!) * P[i * d + k]! * (z[k]! - lam[k]!);
  t.true(Math.abs(fam.logDensity(lam, z) - -0.5 * (q + logDet + d * LOG_2PI)) < 1e-12);
  // Score against central differences of log q.
  const g = new Float64Array(fam.nParams), eps = 1e-6;
  fam.score(lam, z, g);
  for (let i = 0; i < lam.length; i++) {
    const a = Float64Array.from(lam), b = Float64Array.from(lam);
    a[i] += eps;
    b[i] -= eps;
    const fd = (fam.logDensity(a, z) - fam.logDensity(b, z)) / (2 * eps);
    t.true(Math.abs(g[i]! - fd) < 1e-6 * Math.max(1, Math.abs(fd)), `score[${i}] ${g[i]} vs ${fd}`);
  }
});

test("tape gradients of entropy and reparameterised draws match finite differences", (t) => {
  const e = checkGradient((_t, [l]) => fam.entropy(fam.prepare(l!)), [{ value: Float64Array.from(lam) }]);
  t.true(e.maxError < 1e-6, `entropy gradient error ${e.maxError}`);
  const eps = Float64Array.from({ length: fam.noiseSize }, (_, i) => Math.sin(i + 1));
  const z = checkGradient((tp, [l]) => fam.reparam(fam.prepare(l!), tp.constant(eps)), [{ value: Float64Array.from(lam) }]);
  t.true(z.maxError < 1e-6, `reparam gradient error ${z.maxError}`);
});

test("draws have mean μ and covariance BBᵀ + diag(σ²) within 5 SE", (t) => {
  const n = 40_000, rng = new Generator(3), x = new Float64Array(d), S = fam.covariance(lam);
  const m = new Float64Array(d), C = new Float64Array(d * d), C2 = new Float64Array(d * d);
  const draws: Float64Array[] = [];
  for (let s = 0; s < n; s++) {
    fam.sample(lam, rng, x);
    draws.push(Float64Array.from(x));
    for (let i = 0; i < d; i++) m[i] += x[i]! / n;
  }
  for (const xs of draws) {
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
      const c = (xs[i]! - lam[i]!) * (xs[k]! - lam[k]!);
      C[i * d + k] += c / n;
      C2[i * d + k] += (c * c) / n;
    }
  }
  for (let i = 0; i < d; i++) t.true(Math.abs(m[i]! - lam[i]!) < 5 * Math.sqrt(S[i * d + i]! / n), `mean ${i}`);
  for (let i = 0; i < d * d; i++) {
    const se = Math.sqrt((C2[i]! - C[i]! ** 2) / n);
    t.true(Math.abs(C[i]! - S[i]!) < 5 * se, `cov ${i}: ${C[i]} vs ${S[i]} (SE ${se})`);
  }
});
