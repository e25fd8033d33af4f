/**
 * compareModels on two Normal–Normal models of the same data that differ in their prior (s₀ = 2,
 * the generating one, and an over-diffuse s₀ = 20, which pays an Occam penalty): their exact log evidences are known in closed form. The PSIS
 * estimates match them, the ranking follows them, ELBOs carry Monte Carlo standard errors, and
 * candidates fitted with different kinds of family get the "better q, not better model" warning.
 */
import test from "ava";
import { adam, exponentialDecay, fullRankGaussian, meanFieldGaussian, flowQ, planar, repeat, type VariationalFamily } from "@vireo/core";
import { createBbvi, fitBbvi, compareModels, bbviModel } from "@vireo/runtime";
import { normalNormal, gaussianLogLik, gaussianPrior } from "../bbvi/models.js";
import { normalNormalLogEvidence } from "./helpers.js";

const nn = normalNormal();

function candidate(name: string, s0: number, family: VariationalFamily, steps = 1500) {
  const model = bbviModel({
    latents: [{ name: "mu", family }],
    factors: [
      { name: "prior", vars: ["mu"], logDensity: ({ mu }) => gaussianPrior(mu!, s0) },
      { name: "lik", vars: ["mu"], logDensity: ({ mu }, t) => gaussianLogLik(t, nn.x, mu!, nn.sigma) },
    ],
  });
  const engine = createBbvi(model, { samples: 8, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.02, steps) });
  const state = engine.init(7);
  fitBbvi(engine, state, { maxIterations: steps, convergence: false, averageFrom: steps / 2 });
  return { name, engine, state, logZ: normalNormalLogEvidence(nn.x, nn.sigma, s0) };
}

test("same family: PSIS log evidence matches the closed form, ranking follows it, no family warning", (t) => {
  const a = candidate("prior sd 2", 2, fullRankGaussian(1)), b = candidate("diffuse prior", 20, fullRankGaussian(1));
  t.true(a.logZ > b.logZ);
  const c = compareModels([b, a]);
  t.is(c.rankedBy, "psis-log-evidence");
  t.deepEqual(c.models.map((m) => m.name), ["prior sd 2", "diffuse prior"]);
  for (const m of c.models) {
    const exact = m.name === "prior sd 2" ? a.logZ : b.logZ;
    t.true(Math.abs(m.logEvidence - exact) < 0.01, `${m.name}: PSIS ${m.logEvidence} vs ${exact}`);
    t.true(m.elboSe > 0 && m.elbo <= exact + 5 * m.elboSe, `${m.name}: ELBO ${m.elbo} ± ${m.elboSe}`);
    t.true(m.reliable);
  }
  t.false(c.warnings.some((w) => /different variational families/.test(w)));
});

test("different families: the warning says a higher ELBO may mean a better q", (t) => {
  const a = candidate("mean-field", 2, meanFieldGaussian(1)), b = candidate("flow", 2, flowQ(1, repeat(2, planar())));
  const c = compareModels([a, b]);
  t.true(c.warnings.some((w) => /different variational families.*better q, not a better model/.test(w)), c.warnings.join("\n"));
  // Same model, both q near exact: the ELBOs agree within noise and the comparison says so.
  t.true(c.warnings.some((w) => /within two Monte Carlo standard errors/.test(w)), c.warnings.join("\n"));
});

test("compareModels validates its input", (t) => {
  const a = candidate("x", 2, fullRankGaussian(1), 10);
  t.throws(() => compareModels([a]), { message: /at least two/ });
  t.throws(() => compareModels([a, a]), { message: /used twice/ });
});
