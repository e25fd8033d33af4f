/**
 * The generalised-Pareto fit recovers (k, σ) of known GPD samples within 5 asymptotic standard
 * errors (Var k̂ ≈ (1 + k)²/n, Var σ̂/σ ≈ 2(1 + k)/n), and PSIS behaves as theory says on Gaussian
 * proposals: for target N(0, τ²) and proposal N(0, 1) the ratio tail has k = 1 − 1/τ² (τ > 1),
 * and the importance estimate of the target's normaliser is right.
 */
import test from "ava";
import { Generator, sampleStandardNormal, fitGeneralisedPareto, gpdQuantile, psis, psisExpectation } from "@vireo/core";

for (const [k, sigma] of [[0.5, 1], [0.2, 2], [0.9, 0.5], [0, 1], [-0.3, 1]] as const) {
  test(`GPD fit recovers k = ${k}, σ = ${sigma} from a known sample`, (t) => {
    const rng = new Generator(11 + Math.round(10 * k)), n = 4000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = gpdQuantile(rng.uniform(), k, sigma);
    const fit = fitGeneralisedPareto(x);
    const seK = (1 + k) / Math.sqrt(n), seS = sigma * Math.sqrt((2 * (1 + k)) / n);
    t.true(Math.abs(fit.k - k) < 5 * seK, `k̂ ${fit.k} vs ${k} (se ${seK})`);
    t.true(Math.abs(fit.sigma - sigma) < 5 * seS, `σ̂ ${fit.sigma} vs ${sigma} (se ${seS})`);
  });
}

test("gpdQuantile inverts the GPD CDF", (t) => {
  for (const k of [-0.4, 0, 0.3, 1.2]) {
    for (const p of [0.01, 0.5, 0.99]) {
      const x = gpdQuantile(p, k, 1.7);
      const F = k === 0 ? 1 - Math.exp(-x / 1.7) : 1 - Math.pow(1 + (k * x) / 1.7, -1 / k);
      t.true(Math.abs(F - p) < 1e-12, `k=${k} p=${p}: F(q) = ${F}`);
    }
  }
});

/** S draws from N(0, 1) and log ratios against the unnormalised target exp(−z²/2τ²) (normaliser √(2π) τ). */
function gaussianRatios(tau: number, S: number, seed: number) {
  const rng = new Generator(seed), z = new Float64Array(S), lr = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    z[s] = sampleStandardNormal(rng);
    lr[s] = -0.5 * (z[s]! / tau) ** 2 - (-0.5 * z[s]! ** 2 - 0.5 * Math.log(2 * Math.PI));
  }
  return { z, lr };
}

test("PSIS: an exact proposal gives equal weights (no tail) and the exact normaliser", (t) => {
  const { lr } = gaussianRatios(1, 1000, 3);
  const r = psis(lr);
  t.is(r.khat, -Infinity);
  t.true(r.reliable);
  t.true(Math.abs(r.logMeanRatio - 0.5 * Math.log(2 * Math.PI)) < 1e-12);
  t.true(Math.abs(r.ess - 1000) < 1e-6);
});

test("PSIS: k̂ tracks the theoretical 1 − 1/τ² for a too-narrow proposal; a too-wide one is safe", (t) => {
  for (const [tau, seed] of [[1.2, 5], [1.6, 6], [3, 7]] as const) {
    const S = 10000, { z, lr } = gaussianRatios(tau, S, seed), r = psis(lr), k = 1 - 1 / (tau * tau);
    t.true(Math.abs(r.khat - k) < 0.15, `τ=${tau}: k̂ ${r.khat} vs ${k}`);
    if (k < 0.55) t.true(r.reliable, `τ=${tau}: k = ${k} should pass`);
    if (k > 0.85) t.false(r.reliable, `τ=${tau}: k = ${k} should fail`);
    if (k < 0.5) {
      // Finite variance: the smoothed estimates are within a few SEs (the SE of a plain IS mean, a fair scale).
      const logZ = 0.5 * Math.log(2 * Math.PI) + Math.log(tau);
      t.true(Math.abs(r.logMeanRatio - logZ) < 0.02, `τ=${tau}: log Ẑ ${r.logMeanRatio} vs ${logZ}`);
      const second = psisExpectation(r.logWeights, z.map((v) => v * v));
      t.true(Math.abs(second / (tau * tau) - 1) < 0.05, `τ=${tau}: E[z²] ${second} vs ${tau * tau}`);
    }
  }
  const wide = psis(gaussianRatios(0.7, 4000, 8).lr);
  t.true(wide.khat < 0.3 && wide.reliable, `too-wide proposal: k̂ ${wide.khat}`);
});

test("PSIS validates its input", (t) => {
  t.throws(() => psis([1, 2, 3]), { message: /at least 10 draws/ });
  t.throws(() => psis(new Float64Array(20).fill(NaN)), { message: /finite or −∞/ });
});
