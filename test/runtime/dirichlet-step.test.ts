/**
 * The fused damped Dirichlet step (runtime/src/engine/dirichlet-step.ts) against the step written
 * out: η ← (1 − ρ) η_old + ρ η̂, then E[log p_k] = ψ(α_k) − ψ(Σα) with stdlib's digamma; and its
 * refusal (nothing written) when the target is not finite or the blend is improper.
 */
import test from "ava";
import { Generator, digamma } from "@vireo/core";
import { dirichletStepStats } from "../../runtime/src/engine/dirichlet-step.js";

const K = 7, rows = 5;

function tables(seed: number) {
  const rng = new Generator(seed);
  const previous = new Float64Array(K * rows), target = new Float64Array(K * rows);
  for (let i = 0; i < K * rows; i++) {
    previous[i] = -0.9 + 50 * rng.uniform() ** 3;
    target[i] = -0.95 + 300 * rng.uniform() ** 4;
  }
  return { previous, target };
}

test("the fused step equals the blend followed by ψ(α) − ψ(Σα) row by row", (t) => {
  const { previous, target } = tables(4), rho = 0.37;
  const eta = target.slice(), stats = new Float64Array(K * rows);
  t.true(dirichletStepStats(eta, previous, rho, stats, K, rows));
  for (let r = 0; r < rows; r++) {
    let a0 = 0;
    for (let k = 0; k < K; k++) {
      const i = r * K + k, blended = (1 - rho) * previous[i]! + rho * target[i]!;
      t.is(eta[i], blended);
      a0 += blended + 1;
    }
    for (let k = 0; k < K; k++) {
      const i = r * K + k, expected = digamma(eta[i]! + 1) - digamma(a0);
      t.true(Math.abs(stats[i]! - expected) < 1e-13 * Math.max(1, Math.abs(expected)), `row ${r} entry ${k}: ${stats[i]} vs ${expected}`);
    }
  }
});

test("the fused step writes nothing when the target is not finite or the blend is improper", (t) => {
  for (const bad of [NaN, Infinity, -3]) {
    const { previous, target } = tables(5);
    target[3 * K + 2] = bad;
    previous[3 * K + 2] = -0.5;
    const eta = target.slice(), stats = new Float64Array(K * rows).fill(7);
    t.false(dirichletStepStats(eta, previous, bad === -3 ? 0.9 : 0.5, stats, K, rows), `target ${bad}`);
    t.deepEqual(eta, target);
    t.true(stats.every((s) => s === 7));
  }
});
