/**
 * A flow on top of an amortised q: `amortised(encoder, { from: "x", flow: L })` pushes each row's
 * Gaussian through L planar layers shared by the rows. Its family contains the plain amortised
 * Gaussian (a planar layer with u = 0 is the identity), so its optimal ELBO is at least as high.
 * Model with a non-Gaussian posterior: z_i ~ N(0, 1) (conjugate node), x_i | z_i ~ N(exp(z_i), s²)
 * (a density node); the exact log p(x) comes from quadrature on a grid. Checks: ELBO_gauss <
 * ELBO_flow (beyond 3 standard errors of the difference) ≤ log p(x) (within 5 standard errors).
 */
import test from "ava";
import { Normal, Generator, sampleStandardNormal, amortised, mlp, adam, exponentialDecay, ad } from "@vireo/core";
import { NormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const s2 = 0.5, N = 40;

const expMean = densityNode("ExpMeanNormal", { edges: { z: "Normal", x: "input" } }, ({ z, x }) => {
  const r = ad.sub(x!, ad.exp(z!));
  return ad.shift(ad.scale(ad.sum(ad.square(r)), -0.5 / s2), -0.5 * r.size * Math.log(2 * Math.PI * s2));
});

function model(flow: number) {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const x = m.input("x", { plate: rows });
  const z = m.random("z", Normal, { plate: rows, q: amortised(mlp([1, 16, 2], { activation: "tanh" }), { from: "x", flow }) });
  m.factor(NormalNode, { out: z, mean: 0, precision: 1 }, { name: "prior" });
  m.factor(expMean, { z, x }, { name: "likelihood" });
  return m.build();
}

test("an amortised q with planar flow layers trains, and its ELBO is above the amortised Gaussian's and below log p(x)", (t) => {
  const rng = new Generator(3);
  const x = Float64Array.from({ length: N }, () => Math.exp(sampleStandardNormal(rng)) + Math.sqrt(s2) * sampleStandardNormal(rng));
  let logEvidence = 0;
  for (const v of x) {
    let s = 0;
    const h = 1e-3;
    for (let z = -8; z <= 8; z += h) s += Math.exp(-0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - (v - Math.exp(z)) ** 2 / (2 * s2) - 0.5 * Math.log(2 * Math.PI * s2)) * h;
    logEvidence += Math.log(s);
  }
  const sweeps = 2000;
  const run = (flow: number) => cavi(model(flow), {
    data: { x }, maxIterations: sweeps, tolerance: 0, seed: 1,
    gradient: { samples: 4, optimizer: adam({ lr: 0.02 }), schedule: exponentialDecay(0.02, 0.05, sweeps), convergence: false, elboSamples: 2000 },
  });
  const gauss = run(0), flow = run(2);
  const seDiff = Math.hypot(gauss.elboStandardError, flow.elboStandardError);
  t.true(flow.elboEstimate - gauss.elboEstimate > 3 * seDiff, `flow ELBO ${flow.elboEstimate} vs Gaussian ${gauss.elboEstimate} (SE of the difference ${seDiff})`);
  t.true(flow.elboEstimate < logEvidence + 5 * flow.elboStandardError, `flow ELBO ${flow.elboEstimate} ± ${flow.elboStandardError} vs log p(x) ${logEvidence}`);
  t.true(gauss.elboEstimate < logEvidence + 5 * gauss.elboStandardError);
});
