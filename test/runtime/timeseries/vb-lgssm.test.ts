import test from "ava";
import { Gamma, isVireoError } from "@vireo/core";
import { VbLgssm, fitLgssm } from "@vireo/runtime";
import { constantVelocity, cvSpec, simulateCv, worstDrop } from "./models.js";
import { referenceKalman, mat } from "../../core/chain/reference.js";

test("with known noise the ELBO is the exact log evidence of a textbook Kalman filter, and q(x) is its RTS smoother", (t) => {
  const R = [0.5, 0.1, 0.1, 0.3];
  const { y } = simulateCv(1, 40, 0.2, R);
  const m = constantVelocity(0.2);
  const fit = fitLgssm(cvSpec(0.2, { covariance: R }), y);
  const ys = Array.from({ length: 40 }, (_, s) => mat(y.subarray(2 * s, 2 * s + 2), 2, 1));
  const ref = referenceKalman({ A: mat(m.A, 4, 4), Q: mat(m.Q, 4, 4), C: mat(m.C, 2, 4), R: mat(R, 2, 2), m0: mat(m.m0, 4, 1), P0: mat(m.P0, 4, 4) }, ys);
  t.is(fit.elbo.length, 1);
  t.true(Math.abs(fit.elbo[0]! - ref.ll) < 1e-9 * Math.abs(ref.ll), `${fit.elbo[0]} vs ${ref.ll}`);
  const vb = new VbLgssm(cvSpec(0.2, { covariance: R }), y);
  vb.eStep();
  t.true(Math.abs(vb.elbo() - ref.ll) < 1e-9 * Math.abs(ref.ll), `explicit ELBO ${vb.elbo()} vs log evidence ${ref.ll}`);
  for (let s = 0; s < 40; s++) for (let i = 0; i < 4; i++) t.true(Math.abs(fit.smoothedMean[s * 4 + i]! - ref.ms[s]![i]![0]!) < 1e-9);
});

test("after each E-step the explicit ELBO (energies + chain entropy − KL) equals the collapsed bound log Z̃ − KL", (t) => {
  const { y } = simulateCv(2, 300, 0.1, [0.4, 0, 0, 0.4]);
  const I4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  for (const spec of [
    cvSpec(0.1, { gamma: { shape: 2, rate: 1 } }),
    cvSpec(0.1, { wishart: { df: 4, scale: [1, 0.2, 0.2, 1] } }, { wishart: { df: 6, scale: I4.map((v) => v * 5) } }),
    cvSpec(0.1, { covariance: [0.4, 0, 0, 0.4] }, { gamma: { shape: 3, rate: 0.3 } }),
  ]) {
    const vb = new VbLgssm(spec, y);
    for (let it = 0; it < 4; it++) {
      const collapsed = vb.eStep();
      const explicit = vb.elbo();
      t.true(Math.abs(collapsed - explicit) < 1e-9 * Math.abs(explicit), `iteration ${it}: collapsed ${collapsed} vs explicit ${explicit}`);
      vb.mStep();
    }
  }
});

test("the M-step maximises the ELBO over q(λ): perturbing the Gamma posterior lowers it", (t) => {
  const { y } = simulateCv(3, 200, 0.1, [0.25, 0, 0, 0.25]);
  const vb = new VbLgssm(cvSpec(0.1, { gamma: { shape: 1, rate: 1 } }), y);
  vb.eStep();
  vb.mStep();
  const best = vb.elbo(), q = vb.qObservation!.slice();
  const { shape, rate } = Gamma.fromNatural(q);
  for (const [ds, dr] of [[1.02, 1], [0.98, 1], [1, 1.02], [1, 0.98], [1.01, 1.01]] as const) {
    vb.qObservation = Gamma.toNatural({ shape: shape * ds, rate: rate * dr });
    t.true(vb.elbo() < best, `shape×${ds}, rate×${dr}`);
  }
});

test("VB learns the observation-noise precision within 10% over 10,000 steps, with a monotone ELBO", (t) => {
  const lambda = 4; // R = I / 4
  const { y } = simulateCv(4, 10_000, 0.05, [1 / lambda, 0, 0, 1 / lambda]);
  const fit = fitLgssm(cvSpec(0.05, { gamma: { shape: 1, rate: 1 } }), y, { maxIterations: 200, tolerance: 1e-12 });
  const est = fit.observationPrecision!;
  t.is(est.kind, "Gamma");
  const mean = est.kind === "Gamma" ? est.mean : NaN;
  t.true(Math.abs(mean - lambda) / lambda < 0.1, `E[λ] = ${mean}, true ${lambda}`);
  t.true(fit.elbo.length >= 3, `${fit.elbo.length} iterations`);
  t.true(worstDrop(fit.elbo) <= 1e-11, `worst drop ${worstDrop(fit.elbo)}`);
  t.true(fit.elbo[fit.elbo.length - 1]! > fit.elbo[0]!);
});

test("a full Wishart observation precision is learnt within 10% (known Q)", (t) => {
  const R = [0.3, 0.1, 0.1, 0.2];
  const { y } = simulateCv(5, 5000, 0.1, R);
  const fit = fitLgssm(cvSpec(0.1, { wishart: { df: 3, scale: [1, 0, 0, 1] } }), y, { maxIterations: 100, tolerance: 1e-12 });
  t.true(fit.converged);
  t.true(worstDrop(fit.elbo) <= 1e-11, `worst drop ${worstDrop(fit.elbo)}`);
  const est = fit.observationPrecision!;
  if (est.kind !== "Wishart") return t.fail("expected a Wishart summary");
  for (const i of [0, 1, 3]) t.true(Math.abs(est.covarianceEstimate[i]! - R[i]!) / R[i]! < 0.1, `R[${i}] ≈ ${est.covarianceEstimate[i]} vs ${R[i]}`);
});

test("learning transition and observation precisions together keeps the ELBO monotone", (t) => {
  const { y } = simulateCv(6, 2000, 0.1, [0.3, 0.1, 0.1, 0.2]);
  const I4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const fit = fitLgssm(cvSpec(0.1, { gamma: { shape: 1, rate: 1 } }, { wishart: { df: 5, scale: I4 } }), y, { maxIterations: 40, tolerance: 0 });
  t.is(fit.elbo.length, 40);
  t.true(worstDrop(fit.elbo) <= 1e-11, `worst drop ${worstDrop(fit.elbo)}`);
  t.true(fit.elbo[39]! > fit.elbo[0]! + 1, `ELBO rose from ${fit.elbo[0]} to ${fit.elbo[39]}`);
  t.is(fit.transitionPrecision?.kind, "Wishart");
});

test("bad observations and specs raise VireoErrors naming the index, field or parameter", (t) => {
  const spec = cvSpec(0.1, { gamma: { shape: 1, rate: 1 } });
  const e1 = t.throws(() => new VbLgssm(spec, [[1, 2], [3, NaN], [5, 6]]));
  t.true(isVireoError(e1, "INVALID_DATA") && /observation 1, field y\[1\] is NaN/.test(e1.message) && e1.context.row === 1, e1?.message);
  const e2 = t.throws(() => new VbLgssm(spec, [[1, 2], [3]]));
  t.true(isVireoError(e2, "INVALID_DATA") && /observation 1 has length 1; expected p = 2/.test(e2.message), e2?.message);
  const e3 = t.throws(() => new VbLgssm({ ...spec, observationNoise: { gamma: { shape: -1, rate: 1 } } }, [[1, 2]]));
  t.true(isVireoError(e3, "INVALID_MODEL") && /observationNoise\.gamma prior.*shape/.test(e3.message), e3?.message);
  const e4 = t.throws(() => new VbLgssm({ ...spec, observation: [1, 0, 0] }, [[1, 2]]));
  t.true(isVireoError(e4, "DIMENSION_MISMATCH") && /'observation'/.test(e4.message), e4?.message);
  const e5 = t.throws(() => fitLgssm(spec, [[1, 2]], { maxIterations: 0 }));
  t.true(isVireoError(e5, "INVALID_OPTION"), e5?.message);
});
