/**
 * psisCheck on fitted models. Exact answers: the Normal–Normal log evidence (closed form), and for a
 * strongly curved, correlated posterior (y ~ N(θ₁ + θ₂², 0.3²) at y = 2, θ ~ N(0, I)) the posterior
 * moments by grid quadrature. An exact q gives no tail (k̂ = −∞) and the exact log evidence; a
 * fitted Gaussian gives a small k̂; the badly under-dispersed mean-field q on the curved posterior
 * gets k̂ > 0.7 and a warning, and the PSIS-corrected moments are closer to the grid than q's own.
 */
import test from "ava";
import { ad, adam, exponentialDecay, LOG_2PI, meanFieldGaussian, fullRankGaussian, pointMass, type TNode } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi, psisCheck } from "@vireo/runtime";
import { normalNormal } from "../bbvi/models.js";
import { normalNormalLogEvidence } from "./helpers.js";

const nn = normalNormal();
const logZ = normalNormalLogEvidence(nn.x, nn.sigma, nn.s0);

test("exact q: every ratio equal, k̂ = −∞, and the PSIS log evidence is exact", (t) => {
  const engine = createBbvi(nn.model({ family: meanFieldGaussian(1) }));
  const state = engine.init(0, { mu: [nn.postMean, Math.log(nn.postSd)] });
  const c = psisCheck(engine, state, { draws: 1000 });
  t.is(c.khat, -Infinity);
  t.true(c.reliable);
  t.is(c.warning, undefined);
  t.true(Math.abs(c.logEvidence - logZ) < 1e-9, `${c.logEvidence} vs ${logZ}`);
});

test("fitted full-rank q on a conjugate model: k̂ small, log evidence and mean right", (t) => {
  const engine = createBbvi(nn.model({ family: fullRankGaussian(1) }), { samples: 10, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.01, 2000) });
  const state = engine.init(5);
  fitBbvi(engine, state, { maxIterations: 2000, convergence: false, averageFrom: 1000 });
  const c = psisCheck(engine, state, { draws: 4000, seed: 1 });
  t.true(c.khat < 0.5 && c.reliable, `k̂ ${c.khat}`);
  t.true(Math.abs(c.logEvidence - logZ) < 0.005, `${c.logEvidence} vs ${logZ}`);
  t.true(Math.abs(c.means.mu![0]! - nn.postMean) < 0.05 * nn.postSd);
});

const Y = 2, SD = 0.3;
const logJoint = (a: number, b: number) => -0.5 * ((Y - a - b * b) / SD) ** 2 - Math.log(SD) - 0.5 * (a * a + b * b) - 1.5 * LOG_2PI;
function logJointOnTape(theta: TNode): TNode {
  const t1 = ad.slice(theta, 0, 1), t2 = ad.slice(theta, 1, 1);
  const r = ad.scale(ad.sub(ad.sub(theta.tape.scalar(Y), t1), ad.square(t2)), 1 / SD);
  return ad.shift(ad.scale(ad.add(ad.sum(ad.square(r)), ad.sum(ad.square(theta))), -0.5), -Math.log(SD) - 1.5 * LOG_2PI);
}

function grid() {
  const n = 700, lo = -7, h = 14 / n;
  let m = -Infinity;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m = Math.max(m, logJoint(lo + (i + 0.5) * h, lo + (j + 0.5) * h));
  let z = 0, m1 = 0, q2 = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = lo + (i + 0.5) * h, b = lo + (j + 0.5) * h, w = Math.exp(logJoint(a, b) - m);
      z += w; m1 += w * a; q2 += w * b * b;
    }
  }
  return { logEvidence: m + Math.log(z * h * h), mean1: m1 / z, second2: q2 / z };
}

test("under-dispersed mean-field q on a curved, correlated posterior: k̂ > 0.7, a warning, and PSIS moments beat q's", (t) => {
  const g = grid();
  const model = bbviModel({ latents: [{ name: "theta", family: meanFieldGaussian(2) }], factors: [{ name: "joint", vars: ["theta"], logDensity: ({ theta }) => logJointOnTape(theta!) }] });
  const engine = createBbvi(model, { samples: 8, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.05, 2000) });
  const state = engine.init(3, { theta: [0.3, 0.3, 0, 0] });
  fitBbvi(engine, state, { maxIterations: 2000, convergence: false, averageFrom: 1000 });
  for (const seed of [0, 1]) {
    const c = psisCheck(engine, state, { draws: 4000, seed });
    t.true(c.khat > 0.7 && !c.reliable, `seed ${seed}: k̂ ${c.khat}`);
    t.regex(c.warning ?? "", /k̂ = .* > 0\.7.*richer family/);
    const m = c.means.theta!, qm = c.qMeans.theta!;
    t.true(Math.abs(m[0]! - g.mean1) < Math.abs(qm[0]! - g.mean1), `E[θ₁]: PSIS ${m[0]} vs q ${qm[0]} vs grid ${g.mean1}`);
    const second = c.variances.theta![1]! + m[1]! ** 2, qSecond = c.qVariances.theta![1]! + qm[1]! ** 2;
    t.true(Math.abs(second - g.second2) < Math.abs(qSecond - g.second2), `E[θ₂²]: PSIS ${second} vs q ${qSecond} vs grid ${g.second2}`);
    t.true(qSecond < 0.5 * g.second2, "q is badly under-dispersed in θ₂");
  }
});

test("the reverse-KL-optimal mean-field q of a ρ = 0.99 Gaussian: k̂ > 0.7 (theory: k = 1 − (1 − ρ²)/(1 + ρ) ≈ 0.99)", (t) => {
  const rho = 0.99, c0 = 1 / (1 - rho * rho);
  // log N(θ; 0, [[1, ρ], [ρ, 1]]) with precision c₀ [[1, −ρ], [−ρ, 1]].
  const model = bbviModel({
    latents: [{ name: "theta", family: meanFieldGaussian(2) }],
    factors: [{
      name: "joint", vars: ["theta"], logDensity: ({ theta }) => {
        const a = ad.slice(theta!, 0, 1), b = ad.slice(theta!, 1, 1);
        const quad = ad.sub(ad.add(ad.sum(ad.square(a)), ad.sum(ad.square(b))), ad.scale(ad.sum(ad.mul(a, b)), 2 * rho));
        return ad.shift(ad.scale(quad, -0.5 * c0), -LOG_2PI - 0.5 * Math.log(1 - rho * rho));
      },
    }],
  });
  const engine = createBbvi(model);
  // The mean-field optimum of reverse KL: exact means, variances 1/Λ_ii = 1 − ρ².
  const state = engine.init(0, { theta: [0, 0, 0.5 * Math.log(1 - rho * rho), 0.5 * Math.log(1 - rho * rho)] });
  const c = psisCheck(engine, state, { draws: 4000 });
  t.true(c.khat > 0.7 && !c.reliable, `k̂ ${c.khat}`);
  t.true(c.variances.theta![0]! > c.qVariances.theta![0]!, "the correction widens q");
});

test("psisCheck refuses point masses and tiny draw counts", (t) => {
  const engine = createBbvi(nn.model({ family: pointMass(1) }));
  const state = engine.init(0);
  t.throws(() => psisCheck(engine, state), { message: /point mass/ });
  const e2 = createBbvi(nn.model({ family: meanFieldGaussian(1) }));
  t.throws(() => psisCheck(e2, e2.init(0), { draws: 10 }), { message: /'draws'/ });
});
