import test from "ava";
import { Generator, sampleCategorical, sampleNormal, isVireoError } from "@vireo/core";
import { VbHmm, fitHmm, type HmmSpec } from "@vireo/runtime";
import { worstDrop } from "./models.js";

/** Simulates a K-state HMM with transition rows `A` and a per-state emission sampler. */
function simulateHmm(seed: number, T: number, A: number[][], emit: (rng: Generator, k: number) => number) {
  const rng = new Generator(seed);
  const z = new Int32Array(T), y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    z[t] = t === 0 ? 0 : sampleCategorical(rng, A[z[t - 1]!]!);
    y[t] = emit(rng, z[t]!);
  }
  return { z, y };
}

const sticky = [[0.95, 0.03, 0.02], [0.04, 0.92, 0.04], [0.03, 0.02, 0.95]];
const mus = [-2, 0.5, 3], sds = [0.5, 0.7, 1];
const B = [[0.7, 0.2, 0.05, 0.05], [0.05, 0.1, 0.8, 0.05], [0.1, 0.1, 0.1, 0.7]];

test("after each E-step the explicit ELBO equals the collapsed bound log Z̃ − KL (both emission kinds)", (t) => {
  const g = simulateHmm(1, 400, sticky, (r, k) => sampleNormal(r, mus[k]!, sds[k]!));
  const c = simulateHmm(2, 400, sticky, (r, k) => sampleCategorical(r, B[k]!));
  for (const [spec, y] of [
    [{ states: 3, emission: { kind: "gaussian" } }, g.y],
    [{ states: 3, transitionPrior: 2, emission: { kind: "categorical", symbols: 4, prior: 0.5 } }, c.y],
  ] as [HmmSpec, Float64Array][]) {
    const vb = new VbHmm(spec, y);
    for (let it = 0; it < 5; it++) {
      const collapsed = vb.eStep(), explicit = vb.elbo();
      t.true(Math.abs(collapsed - explicit) < 1e-9 * Math.abs(explicit), `${spec.emission.kind} iteration ${it}: ${collapsed} vs ${explicit}`);
      vb.mStep();
    }
  }
});

test("the M-step maximises the ELBO over the Dirichlet transition rows", (t) => {
  const { y } = simulateHmm(3, 300, sticky, (r, k) => sampleNormal(r, mus[k]!, sds[k]!));
  const vb = new VbHmm({ states: 3, emission: { kind: "gaussian" } }, y);
  vb.eStep();
  vb.mStep();
  const best = vb.elbo(), q = vb.qTransition.slice();
  for (const [i, f] of [[0, 1.05], [4, 0.95], [7, 1.1]] as const) {
    vb.qTransition = q.slice();
    vb.qTransition[i] = (q[i]! + 1) * f - 1;
    t.true(vb.elbo() < best, `row entry ${i} × ${f}`);
  }
});

test("a 3-regime Gaussian HMM is recovered with a monotone ELBO", (t) => {
  const { z, y } = simulateHmm(4, 3000, sticky, (r, k) => sampleNormal(r, mus[k]!, sds[k]!));
  const fit = fitHmm({ states: 3, emission: { kind: "gaussian" } }, y);
  t.true(fit.converged);
  t.true(worstDrop(fit.elbo) <= 1e-11, `worst drop ${worstDrop(fit.elbo)}`);
  if (fit.emission.kind !== "gaussian") return t.fail();
  // Quantile initialisation keeps the states in the order of their means.
  for (let k = 0; k < 3; k++) {
    t.true(Math.abs(fit.emission.means[k]! - mus[k]!) < 0.1, `μ_${k} ≈ ${fit.emission.means[k]}`);
    t.true(Math.abs(1 / Math.sqrt(fit.emission.precisions[k]!) - sds[k]!) / sds[k]! < 0.1, `σ_${k}`);
    t.true(Math.abs(fit.transition[k * 3 + k]! - sticky[k]![k]!) < 0.03, `A_${k}${k} ≈ ${fit.transition[k * 3 + k]}`);
  }
  let hits = 0;
  for (let s = 0; s < 3000; s++) {
    let best = 0;
    for (let k = 1; k < 3; k++) if (fit.marginals[s * 3 + k]! > fit.marginals[s * 3 + best]!) best = k;
    if (best === z[s]) hits++;
  }
  t.true(hits / 3000 > 0.95, `state accuracy ${hits / 3000}`);
});

test("a categorical-emission HMM recovers its emission matrix up to a relabelling, ELBO monotone", (t) => {
  const { y } = simulateHmm(5, 5000, sticky, (r, k) => sampleCategorical(r, B[k]!));
  const fit = fitHmm({ states: 3, emission: { kind: "categorical", symbols: 4 }, seed: 1 }, y, { maxIterations: 500 });
  t.true(worstDrop(fit.elbo) <= 1e-11, `worst drop ${worstDrop(fit.elbo)}`);
  if (fit.emission.kind !== "categorical") return t.fail();
  const est = fit.emission.matrix;
  // Match each true row to the closest estimated row (labels are arbitrary).
  const used = new Set<number>();
  for (let k = 0; k < 3; k++) {
    let best = -1, dist = Infinity;
    for (let j = 0; j < 3; j++) {
      const dj = B[k]!.reduce((s, v, m) => s + Math.abs(v - est[j * 4 + m]!), 0);
      if (dj < dist) [best, dist] = [j, dj];
    }
    used.add(best);
    t.true(dist < 0.15, `row ${k}: L1 distance ${dist}`);
  }
  t.is(used.size, 3);
  t.true(Math.abs(fit.initial.reduce((a, b) => a + b) - 1) < 1e-12);
});

test("bad HMM data and specs raise VireoErrors naming the observation or parameter", (t) => {
  const e1 = t.throws(() => new VbHmm({ states: 2, emission: { kind: "categorical", symbols: 3 } }, [0, 1, 3]));
  t.true(isVireoError(e1, "INVALID_DATA") && /observation 2 is 3; expected an integer symbol in \[0, 3\)/.test(e1.message), e1?.message);
  const e2 = t.throws(() => new VbHmm({ states: 2, emission: { kind: "gaussian" } }, [0, NaN]));
  t.true(isVireoError(e2, "INVALID_DATA") && /observation 1 is NaN/.test(e2.message) && e2.context.row === 1, e2?.message);
  const e3 = t.throws(() => new VbHmm({ states: 2, transitionPrior: [1, 1, 1], emission: { kind: "gaussian" } }, [0, 1]));
  t.true(isVireoError(e3, "DIMENSION_MISMATCH") && /transitionPrior.*expected 4/.test(e3.message), e3?.message);
  const e4 = t.throws(() => new VbHmm({ states: 1, emission: { kind: "gaussian" } }, [0, 1]));
  t.true(isVireoError(e4, "INVALID_MODEL") && /states/.test(e4.message), e4?.message);
});
