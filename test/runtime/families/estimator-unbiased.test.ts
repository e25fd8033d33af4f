/**
 * The stratified mixture estimator and the flow estimator (−log q per draw) are unbiased: at fixed
 * λ, the mean of many one-step estimates of the ELBO and of its gradient equals the exact ELBO of
 * that q and its gradient, both computed independently by quadrature on a grid (the gradient by
 * central differences of the quadrature ELBO). Checked on a bimodal 1-D posterior with 5-SE bounds.
 */
import test from "ava";
import {
  ad, LOG_2PI, mixtureGaussian, flowQ, planar, radial, iaf, Generator, sampleStandardNormal, type TNode, type VariationalFamily,
} from "@vireo/core";
import { bbviModel, createBbvi } from "@vireo/runtime";

const Y = 2;
const logJoint = (t: number) => -0.5 * (Y - Math.abs(t)) ** 2 - 0.5 * (t - 0.3) ** 2 - LOG_2PI;
const logJointOnTape = (t: TNode) =>
  ad.shift(ad.scale(ad.add(ad.sum(ad.square(ad.sub(t.tape.scalar(Y), ad.sqrt(ad.square(t))))), ad.sum(ad.square(ad.shift(t, -0.3)))), -0.5), -LOG_2PI);

/** ∫ q (log p − log q) and ∫ q by the midpoint rule on [−14, 14]. */
function quadrature(q: VariationalFamily, lambda: Float64Array): { elbo: number; mass: number } {
  const n = 8000, lo = -14, h = 28 / n, z = new Float64Array(1);
  let s = 0, mass = 0;
  for (let i = 0; i < n; i++) {
    z[0] = lo + (i + 0.5) * h;
    const lq = q.logDensity(lambda, z), w = Math.exp(lq);
    if (w > 0) {
      s += w * (logJoint(z[0]) - lq) * h;
      mass += w * h;
    }
  }
  return { elbo: s, mass };
}
const quadratureElbo = (q: VariationalFamily, lambda: Float64Array): number => quadrature(q, lambda).elbo;

const families: Record<string, () => VariationalFamily> = {
  "mixture (full)": () => mixtureGaussian(1, 2, { means: [-1, 1.5] }),
  "mixture (diagonal), K=3": () => mixtureGaussian(1, 3, { covariance: "diagonal", means: [-1, 0.2, 1.5] }),
  "planar flow": () => flowQ(1, [planar(), planar()]),
  "radial flow": () => flowQ(1, [radial(), radial()]),
  "IAF flow": () => flowQ(1, [iaf({ hidden: 3 }), iaf({ hidden: 3 })]),
};

for (const [name, make] of Object.entries(families)) {
  test(`${name}: mean ELBO and gradient estimates equal the quadrature ELBO and its gradient (5 SE)`, (t) => {
    const q = make();
    const model = bbviModel({ latents: [{ name: "theta", family: q }], factors: [{ name: "joint", vars: ["theta"], logDensity: ({ theta }) => logJointOnTape(theta!) }] });
    const engine = createBbvi(model, { samples: 2 });
    const state = engine.init(8);
    const rng = new Generator(31);
    for (let i = 0; i < state.params.length; i++) state.params[i] += 0.3 * sampleStandardNormal(rng);
    const lambda = Float64Array.from(state.params);
    const P = lambda.length, N = 3000;
    const sum = new Float64Array(P + 1), sum2 = new Float64Array(P + 1), g = new Float64Array(P);
    for (let r = 0; r < N; r++) {
      const { elbo } = engine.gradient(state, undefined, g);
      for (let i = 0; i <= P; i++) {
        const v = i < P ? g[i]! : elbo;
        sum[i] += v;
        sum2[i] += v * v;
      }
    }
    const exact = new Float64Array(P + 1);
    const atLambda = quadrature(q, lambda);
    // The grid resolves q (some random λ make sharp densities): its mass is 1 to 5e-6.
    t.true(Math.abs(atLambda.mass - 1) < 5e-6, `${name}: ∫q = ${atLambda.mass}`);
    exact[P] = atLambda.elbo;
    const h = 1e-5;
    for (let i = 0; i < P; i++) {
      const lp = Float64Array.from(lambda), lm = Float64Array.from(lambda);
      lp[i] += h;
      lm[i] -= h;
      exact[i] = (quadratureElbo(q, lp) - quadratureElbo(q, lm)) / (2 * h);
    }
    for (let i = 0; i <= P; i++) {
      const m = sum[i]! / N, se = Math.sqrt(Math.max(0, sum2[i]! / N - m * m) / N);
      t.true(Math.abs(m - exact[i]!) < 5 * se + 1e-6, `${name} ${i === P ? "ELBO" : `∂/∂λ[${i}]`}: estimate ${m} ± ${se} vs quadrature ${exact[i]}`);
    }
  });
}
