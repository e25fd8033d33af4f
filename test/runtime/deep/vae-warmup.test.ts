/**
 * KL warm-up in the vae() kit: with SGD at learning rate 1 a step moves θ by its gradient, which
 * for klWeight β is ∇ log p(x | z) − β ∇ KL at the step's draws (equal seeds, equal draws). So
 * Δθ(β) = Δθ(0) + β (Δθ(1) − Δθ(0)) exactly (up to rounding), β = 1 is the plain ELBO step, and
 * the reported bound is the unweighted ELBO whatever β is.
 */
import test from "ava";
import { Generator, sampleStandardNormal, sgd } from "@vireo/core";
import { vae } from "@vireo/runtime";

const D = 5, rows = 8;
const rng = new Generator(2);
const X = Float64Array.from({ length: rows * D }, () => sampleStandardNormal(rng));

function stepOf(klWeight?: number | ((t: number) => number)) {
  const m = vae({ inputs: D, latent: 2, hidden: [4], activation: "tanh", likelihood: "gaussian", optimizer: sgd({ lr: 1 }), seed: 3, ...(klWeight === undefined ? {} : { klWeight }) });
  const before = m.theta.slice();
  const report = m.step(X);
  return { move: m.theta.map((x, i) => x - before[i]!), elbo: report.elbo };
}

test("vae klWeight: the step is ∇ log p(x|z) − β ∇ KL; β = 1 is the ELBO step; the reported bound is the unweighted ELBO", (t) => {
  const plain = stepOf(), one = stepOf(1), zero = stepOf(0), half = stepOf(0.5);
  t.deepEqual(Array.from(one.move), Array.from(plain.move), "β = 1 is the plain ELBO step, bit for bit");
  t.true(zero.move.some((x, i) => Math.abs(x - one.move[i]!) > 1e-6), "β changes the step");
  let worst = 0;
  half.move.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (zero.move[i]! + 0.5 * (one.move[i]! - zero.move[i]!))))));
  t.true(worst < 1e-12, `Δθ(½) − [Δθ(0) + ½(Δθ(1) − Δθ(0))]: ${worst}`);
  for (const r of [zero, half]) t.true(Math.abs(r.elbo - plain.elbo) < 1e-12 * Math.abs(plain.elbo), `reported ${r.elbo} vs ELBO ${plain.elbo}`);
});

test("vae klWeight schedule: read at the step count before each step", (t) => {
  const calls: number[] = [];
  const m = vae({ inputs: D, latent: 2, hidden: [4], likelihood: "gaussian", seed: 3, klWeight: (s) => (calls.push(s), Math.min(1, s / 10)) });
  for (let i = 0; i < 3; i++) m.step(X);
  t.deepEqual(calls, [0, 1, 2]);
});
