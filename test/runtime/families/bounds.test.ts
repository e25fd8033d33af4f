/**
 * IWAE and Rényi bounds on the conjugate Normal–Normal model, with q a deliberately imperfect
 * Gaussian. Exact answers: the log evidence (x ~ N(0, σ²I + s₀²11ᵀ), in closed form), the ELBO
 * (log p(x) − KL(q‖posterior), closed form), and the infinite-sample Rényi bound
 * L_α = log p(x) + (1 − α)⁻¹ log ∫ q^α p(μ|x)^{1−α} (quadrature). Monte Carlo means use fixed seeds
 * and 5-SE bounds.
 */
import test from "ava";
import { LOG_2PI, meanFieldGaussian, iwaeBound, renyiBound, elboBound, describeBound, type Bound } from "@vireo/core";
import { createBbvi } from "@vireo/runtime";
import { normalNormal } from "../bbvi/models.js";
import { normalNormalLogEvidence } from "./helpers.js";

const nn = normalNormal();

const logZ = normalNormalLogEvidence(nn.x, nn.sigma, nn.s0);
// q = N(m, s²): offset by half a posterior sd and 1.5 times too wide.
const m = nn.postMean + 0.5 * nn.postSd, s = 1.5 * nn.postSd;
const kl = Math.log(nn.postSd / s) + (s * s + (m - nn.postMean) ** 2) / (2 * nn.postSd ** 2) - 0.5;
const exactElbo = logZ - kl;

/** L_α by quadrature of q^α post^{1−α}. */
function renyiLimit(alpha: number): number {
  const N = 20000, lo = nn.postMean - 12 * s, h = (24 * s) / N;
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const z = lo + (i + 0.5) * h;
    const lq = -0.5 * ((z - m) / s) ** 2 - Math.log(s) - 0.5 * LOG_2PI;
    const lp = -0.5 * ((z - nn.postMean) / nn.postSd) ** 2 - Math.log(nn.postSd) - 0.5 * LOG_2PI;
    acc += Math.exp(alpha * lq + (1 - alpha) * lp) * h;
  }
  return logZ + Math.log(acc) / (1 - alpha);
}

/** Mean and SE of `calls` bound estimates at the fixed q (each averaging `samples` groups). */
function estimate(bound: Bound, calls: number, seed = 3, samples = 5): { mean: number; se: number; values: Float64Array } {
  const engine = createBbvi(nn.model({ family: meanFieldGaussian(1) }), { samples, bound });
  const state = engine.init(seed, { mu: [m, Math.log(s)] });
  const values = new Float64Array(calls);
  let a = 0, b = 0;
  for (let c = 0; c < calls; c++) {
    const v = engine.gradient(state).elbo;
    values[c] = v;
    a += v;
    b += v * v;
  }
  const mean = a / calls;
  return { mean, se: Math.sqrt(Math.max(0, b / calls - mean * mean) / calls), values };
}

test("the ELBO estimate and IWAE with K = 1 both equal the closed-form ELBO in expectation", (t) => {
  const e = estimate(elboBound(), 2000), i1 = estimate(iwaeBound(1), 2000);
  t.true(Math.abs(e.mean - exactElbo) < 5 * e.se, `ELBO ${e.mean} ± ${e.se} vs ${exactElbo}`);
  t.true(Math.abs(i1.mean - exactElbo) < 5 * i1.se, `IWAE_1 ${i1.mean} ± ${i1.se} vs ${exactElbo}`);
  t.is(describeBound(iwaeBound(4)), "IWAE(K=4)");
});

test("IWAE increases with K and approaches the exact log evidence", (t) => {
  const Ks = [1, 2, 4, 8, 64];
  const est = Ks.map((K) => estimate(iwaeBound(K), K <= 8 ? 4000 : 600));
  for (let j = 0; j < Ks.length; j++) {
    const e = est[j]!;
    t.true(e.mean <= logZ + 5 * e.se, `IWAE_${Ks[j]} ${e.mean} above log p(x) ${logZ}`);
    if (j > 0) {
      const p = est[j - 1]!;
      t.true(e.mean - p.mean > 5 * Math.hypot(e.se, p.se), `IWAE_${Ks[j]} ${e.mean} ± ${e.se} not above IWAE_${Ks[j - 1]} ${p.mean} ± ${p.se}`);
    }
  }
  const last = est[est.length - 1]!;
  t.true(logZ - last.mean < 0.01, `IWAE_64 gap ${logZ - last.mean} (KL of q is ${kl})`);
});

test("Rényi: K = 1 is the per-draw ELBO for any α, α = 0 is IWAE, α → 1 gives the ELBO, and the bound falls with α", (t) => {
  const i1 = estimate(iwaeBound(1), 50), r1 = estimate(renyiBound(0.5, 1), 50);
  for (let c = 0; c < 50; c++) t.true(Math.abs(i1.values[c]! - r1.values[c]!) < 1e-10);
  const i8 = estimate(iwaeBound(8), 50), r08 = estimate(renyiBound(0, 8), 50);
  for (let c = 0; c < 50; c++) t.true(Math.abs(i8.values[c]! - r08.values[c]!) < 1e-10);
  t.deepEqual(renyiBound(1, 8), elboBound());
  const near1 = estimate(renyiBound(0.999, 16), 400);
  t.true(Math.abs(near1.mean - exactElbo) < 5 * near1.se + 0.005, `Rényi α=0.999 ${near1.mean} ± ${near1.se} vs ELBO ${exactElbo}`);
  // With many draws the estimator reaches L_α from below; L_α falls from log p(x) at α = 0 towards the ELBO.
  let prev = Infinity;
  for (const alpha of [0, 0.5, 0.9]) {
    const limit = renyiLimit(alpha), e = estimate(renyiBound(alpha, 64), 200);
    t.true(e.mean <= limit + 5 * e.se && limit - e.mean < 0.02, `Rényi α=${alpha}, K=64: ${e.mean} ± ${e.se} vs L_α ${limit}`);
    t.true(limit < prev && limit > exactElbo);
    prev = limit;
  }
  t.true(Math.abs(renyiLimit(1e-9) - logZ) < 1e-6, "L_0 is the log evidence");
});

test("bound options are validated", (t) => {
  t.throws(() => iwaeBound(0), { message: /positive integer/ });
  t.throws(() => renyiBound(-1, 4), { message: /α must be/ });
  t.throws(() => createBbvi(nn.model({ family: meanFieldGaussian(1) }), { bound: { kind: "kl" } as unknown as Bound }), { message: /'bound' must be/ });
});
