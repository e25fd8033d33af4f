/**
 * Simulation-based calibration on the conjugate Normal–Normal model (μ ~ N(0, 2²), x_i ~ N(μ, 1.5²),
 * n = 8). It passes for exact posterior draws and for a BBVI fit (full-rank q, which is exact for
 * this model at convergence); it fails for a posterior half as wide as it should be and for a fit
 * that assumes the wrong prior. The χ² survival function is checked against known values.
 */
import test from "ava";
import { sbc, chiSquareSurvival, sampleStandardNormal, fullRankGaussian, adam, exponentialDecay, type Generator } from "@vireo/core";
import { bbviModel, createBbvi, fitBbvi } from "@vireo/runtime";
import { gaussianLogLik, gaussianPrior } from "../bbvi/models.js";

const S0 = 2, SIGMA = 1.5, N = 8;

function posterior(x: Float64Array, s0: number) {
  let sx = 0;
  for (const v of x) sx += v;
  const prec = 1 / (s0 * s0) + x.length / (SIGMA * SIGMA);
  return { mean: sx / (SIGMA * SIGMA) / prec, sd: Math.sqrt(1 / prec) };
}

const common = {
  parameters: ["mu"],
  prior: (rng: Generator) => [S0 * sampleStandardNormal(rng)],
  simulate: (theta: ArrayLike<number>, rng: Generator) => Float64Array.from({ length: N }, () => theta[0]! + SIGMA * sampleStandardNormal(rng)),
};

function exactFit(widthFactor: number, priorSd: number) {
  return (x: Float64Array, rng: Generator, L: number) => {
    const { mean, sd } = posterior(x, priorSd);
    return Float64Array.from({ length: L }, () => mean + widthFactor * sd * sampleStandardNormal(rng));
  };
}

test("χ² survival function matches tabulated values", (t) => {
  t.true(Math.abs(chiSquareSurvival(3.841458820694124, 1) - 0.05) < 1e-12);
  t.true(Math.abs(chiSquareSurvival(21.665994333461924, 9) - 0.01) < 1e-12);
  t.true(Math.abs(chiSquareSurvival(2, 2) - Math.exp(-1)) < 1e-14);
});

test("SBC passes for exact posterior draws", (t) => {
  const r = sbc({ ...common, simulations: 400, posteriorDraws: 99, seed: 1, fit: exactFit(1, S0) });
  t.true(r.pass, `p = ${r.parameters[0]!.pValue}`);
  t.is(r.bins, 20);
  t.is(r.parameters[0]!.histogram.reduce((a, b) => a + b, 0), 400);
});

test("SBC fails for a too-narrow posterior and for a fit with the wrong prior", (t) => {
  const narrow = sbc({ ...common, simulations: 400, posteriorDraws: 99, seed: 1, fit: exactFit(0.5, S0) });
  t.false(narrow.pass);
  t.true(narrow.parameters[0]!.pValue < 1e-6, `p = ${narrow.parameters[0]!.pValue}`);
  // ∪-shaped: the extreme bins hold far more than their share.
  const h = narrow.parameters[0]!.histogram;
  t.true(h[0]! + h[h.length - 1]! > 4 * (400 / h.length));
  const wrongPrior = sbc({ ...common, simulations: 400, posteriorDraws: 99, seed: 1, fit: exactFit(1, 0.3) });
  t.false(wrongPrior.pass, `p = ${wrongPrior.parameters[0]!.pValue}`);
});

test("SBC passes for a BBVI fit of the model (full-rank q, draws from the fitted q)", (t) => {
  const fit = (x: Float64Array, rng: Generator, L: number, replication: number) => {
    const q = fullRankGaussian(1);
    const model = bbviModel({
      latents: [{ name: "mu", family: q }],
      factors: [
        { name: "prior", vars: ["mu"], logDensity: ({ mu }) => gaussianPrior(mu!, S0) },
        { name: "lik", vars: ["mu"], logDensity: ({ mu }, tape) => gaussianLogLik(tape, x, mu!, SIGMA) },
      ],
    });
    const engine = createBbvi(model, { samples: 4, optimizer: adam({ lr: 0.1 }), schedule: exponentialDecay(0.1, 0.02, 500) });
    const state = engine.init(1000 + replication);
    fitBbvi(engine, state, { maxIterations: 500, convergence: false, averageFrom: 250 });
    const lambda = engine.params(state, "mu"), out = new Float64Array(L), z = new Float64Array(1);
    for (let l = 0; l < L; l++) {
      q.sample(lambda, rng, z);
      out[l] = z[0]!;
    }
    return out;
  };
  const r = sbc({ ...common, simulations: 100, posteriorDraws: 99, seed: 2, fit });
  t.true(r.pass, `p = ${r.parameters[0]!.pValue}, histogram ${Array.from(r.parameters[0]!.histogram)}`);
});

test("SBC validates its options", (t) => {
  t.throws(() => sbc({ ...common, posteriorDraws: 100, bins: 7, fit: exactFit(1, S0) }), { message: /'bins' must be/ });
  t.throws(() => sbc({ ...common, parameters: [], fit: exactFit(1, S0) }), { message: /'parameters'/ });
  t.throws(() => sbc({ ...common, simulations: 20, fit: () => new Float64Array(3) }), { message: /expected L×P/ });
});
